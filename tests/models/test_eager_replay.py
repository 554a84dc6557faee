"""Eager calls of functional and Sequential models replayed from a recording
(`kerasx.models.eager_replay`): the same outputs as the call through the layers, and
every call that must not be replayed runs through them."""

import copy

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.models import eager_replay

CALLS = eager_replay.CALL_RECORD_AFTER + 4  # eager, recorded, checked, then replayed

needs_recorder = pytest.mark.skipif(
    current().step_recorder() is None,
    reason="this backend cannot record array work, so no call is replayed")


def _served(model):
    calls = model.__dict__.get("_eager_calls")
    return 0 if calls is None else sum(step.served for step in calls.steps.values())


def _inputs(shape, count=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype("float32") for _ in range(count)]


def _through_layers(model, x, **kwargs):
    return Layer.__call__(model, x, **kwargs)


def _same(a, b):
    a, b = kerasx.ops.convert_to_numpy(a), kerasx.ops.convert_to_numpy(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _mlp():
    kerasx.utils.set_random_seed(1)
    return kerasx.Sequential([kerasx.Input((6,)), layers.Dense(8, activation="relu"),
                              layers.Dropout(0.5), layers.Dense(3, activation="softmax")])


def test_replayed_calls_give_the_outputs_and_logits_of_the_layers():
    model = _mlp()
    xs = _inputs((2, 6))
    for i in range(CALLS):
        out = model(xs[i % 3])
        want = _through_layers(model, xs[i % 3])
        assert type(out) is type(want) and _same(out, want)
        # a cross-entropy reads the pre-activation kept with a softmax output
        assert out.logits[0] == want.logits[0] == "softmax"
        assert _same(out.logits[1], want.logits[1])
        assert out._keras_mask is None and not out.tracked
    if current().step_recorder() is not None:
        assert _served(model) > 0
    y = np.array([0, 2])
    loss = kerasx.losses.sparse_categorical_crossentropy
    assert _same(loss(y, model(xs[0])), loss(y, _through_layers(model, xs[0])))


@needs_recorder
def test_functional_model_with_structured_inputs_and_outputs():
    kerasx.utils.set_random_seed(2)
    left, right = kerasx.Input((3,), name="left"), kerasx.Input((4,), name="right")
    joined = layers.Concatenate()([layers.Dense(5)(left), right])
    model = kerasx.Model({"left": left, "right": right},
                         {"sum": layers.Dense(2)(joined), "max": layers.Maximum()([left, left])})
    lefts, rights = _inputs((4, 3)), _inputs((4, 4), seed=1)
    for i in range(CALLS):
        x = {"left": lefts[i % 3], "right": rights[i % 3]}
        out, want = model(x), _through_layers(model, x)
        assert list(out) == list(want)
        assert all(_same(out[k], want[k]) for k in want)
    assert _served(model) > 0


@needs_recorder
def test_new_batch_sizes_and_training_false_are_signatures_of_their_own():
    model = _mlp()
    for shape in ((2, 6), (5, 6)):
        xs = _inputs(shape)
        for i in range(CALLS):
            assert _same(model(xs[i % 3], training=False), _through_layers(model, xs[i % 3]))
    steps = model.__dict__["_eager_calls"].steps
    assert list(steps) == [False] and len(steps[False].programs) == 2


@needs_recorder
def test_training_calls_and_tapes_run_through_the_layers():
    model = _mlp()
    xs = _inputs((4, 6))
    for i in range(CALLS):
        model(xs[i % 3])
    served = _served(model)
    kerasx.utils.set_random_seed(5)
    dropped = model(xs[0], training=True)
    kerasx.utils.set_random_seed(5)
    assert _same(dropped, _through_layers(model, xs[0], training=True))
    assert not _same(dropped, model(xs[0]))  # the dropout was applied
    with kerasx.GradientTape() as tape:
        loss = kerasx.ops.sum(model(xs[1]))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None for g in grads)
    assert _served(model) == served + 1  # only the inference call above


@needs_recorder
def test_tensor_inputs_which_may_carry_masks_run_through_the_layers():
    kerasx.utils.set_random_seed(6)
    model = kerasx.Sequential([kerasx.Input((4, 2)), layers.LSTM(3)])
    xs = _inputs((2, 4, 2))
    for i in range(CALLS):
        model(xs[i % 3])
    served = _served(model)
    masked = kerasx.ops.convert_to_tensor(xs[0])
    masked._keras_mask = kerasx.ops.convert_to_tensor(np.array([[True] * 4, [True, False] * 2]))
    with pytest.warns(UserWarning, match="mask"):  # the model's own call warns, as Keras
        out = model(masked)
    assert _served(model) == served
    with pytest.warns(UserWarning, match="mask"):
        assert _same(out, _through_layers(model, masked))
    assert not _same(out, model(xs[0]))  # the mask changed the second sequence's result


@needs_recorder
def test_batch_normalization_trained_between_replayed_calls():
    kerasx.utils.set_random_seed(3)
    model = kerasx.Sequential([kerasx.Input((4,)), layers.Dense(4), layers.BatchNormalization(),
                               layers.Dense(2)])
    xs = _inputs((8, 4))
    for i in range(CALLS):
        model(xs[i % 3])
    before = _served(model)
    model(xs[0] + 3.0, training=True)  # moves the moving statistics
    out = model(xs[1])
    assert _served(model) == before + 1
    assert _same(out, _through_layers(model, xs[1]))


@needs_recorder
def test_assigned_and_replaced_weights_and_changed_layers_are_read():
    model = _mlp()
    dense = model.layers[0]
    xs = _inputs((2, 6))
    for i in range(CALLS):
        model(xs[i % 3])
    served = _served(model)
    dense.kernel.assign(dense.kernel.numpy() * 2.0)  # read at every replay
    assert _same(model(xs[0]), _through_layers(model, xs[0]))
    assert _served(model) == served + 1
    model.set_weights([w * 0.5 for w in model.get_weights()])
    assert _same(model(xs[1]), _through_layers(model, xs[1]))
    dense.activation = kerasx.activations.tanh  # a layer attribute: recorded again
    assert _same(model(xs[2]), _through_layers(model, xs[2]))
    assert _served(model) == 0
    for i in range(CALLS):
        assert _same(model(xs[i % 3]), _through_layers(model, xs[i % 3]))
    assert _served(model) > 0
    assert np.all(np.abs(kerasx.ops.convert_to_numpy(dense(xs[0]))) <= 1.0)


@needs_recorder
def test_layers_added_to_a_sequential_model_after_replayed_calls():
    model = _mlp()
    xs = _inputs((2, 6))
    for i in range(CALLS):
        model(xs[i % 3])
    model.add(layers.Dense(7))
    for i in range(CALLS):
        out = model(xs[i % 3])
        assert out.shape == (2, 7) and _same(out, _through_layers(model, xs[i % 3]))
    model.pop()
    assert model(xs[0]).shape == (2, 3)


@needs_recorder
def test_masked_outputs_keep_their_masks_and_stop_the_replays():
    model = kerasx.Sequential([kerasx.Input((5,), dtype="int32"),
                               layers.Embedding(10, 4, mask_zero=True)])
    tokens = np.array([[1, 2, 0, 0, 3], [0, 4, 5, 6, 0]], dtype="int32")
    for _ in range(CALLS):
        out = model(tokens)
        np.testing.assert_array_equal(kerasx.ops.convert_to_numpy(out._keras_mask),
                                      tokens != 0)
    assert _served(model) == 0 and model.__dict__["_eager_calls"].off


@needs_recorder
def test_models_that_keep_state_or_run_user_code_are_not_replayed():
    kerasx.utils.set_random_seed(4)
    stateful = kerasx.Sequential([kerasx.Input((3, 2), batch_size=2),
                                  layers.SimpleRNN(3, stateful=True)])
    lam = kerasx.Sequential([kerasx.Input((3,)), layers.Lambda(lambda x: x * 2.0)])
    user_activation = kerasx.Sequential([kerasx.Input((3,)),
                                         layers.Dense(2, activation=lambda x: x + 1.0)])

    class Subclassed(kerasx.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    subclassed = Subclassed()
    eager_model = _mlp()
    eager_model.compile(loss="mse", jit_compile=False)
    user_gate = kerasx.Sequential([kerasx.Input((3, 2)),
                                   layers.LSTM(2, recurrent_activation=lambda x: x * 0.5)])
    sequences = _inputs((2, 3, 2))
    outputs = [stateful(sequences[0]) for _ in range(CALLS)]
    assert not _same(outputs[-1], outputs[-2])  # the states carried over
    for _ in range(CALLS):
        user_gate(sequences[1])
    for model in (lam, user_activation, subclassed):
        for _ in range(CALLS):
            model(_inputs((2, 3))[0])
    for _ in range(CALLS):
        eager_model(_inputs((2, 6))[0])
    for model in (stateful, user_gate, lam, user_activation, subclassed, eager_model):
        assert _served(model) == 0


@needs_recorder
def test_symbolic_calls_and_calls_inside_other_models():
    inner = _mlp()
    xs = _inputs((2, 6))
    for i in range(CALLS):
        inner(xs[i % 3])
    symbolic = inner(kerasx.Input((6,)))
    assert isinstance(symbolic, kerasx.KerasTensor) and symbolic.shape == (None, 3)
    outer = kerasx.Sequential([kerasx.Input((6,)), inner, layers.Dense(1)])
    served = _served(inner)
    for i in range(CALLS):
        assert _same(outer(xs[i % 3]), _through_layers(outer, xs[i % 3]))
    assert _served(inner) == served and _served(outer) > 0


@needs_recorder
def test_a_copied_model_replays_its_own_weights():
    model = _mlp()
    xs = _inputs((2, 6))
    for i in range(CALLS):
        model(xs[i % 3])
    twin = copy.deepcopy(model)
    twin.set_weights([w + 1.0 for w in twin.get_weights()])
    for i in range(CALLS):
        assert _same(twin(xs[i % 3]), _through_layers(twin, xs[i % 3]))
        assert _same(model(xs[i % 3]), _through_layers(model, xs[i % 3]))


@needs_recorder
def test_recordings_beside_other_threads_wait_for_each_other_and_replay_on_any_thread():
    import threading

    from kerasx.trainers.compiled_step import ONE_AT_A_TIME

    xs = _inputs((2, 6))
    # while another thread records or compares a call (or a step), a call records nothing
    other = _mlp()
    held, done = threading.Event(), threading.Event()

    def holding():
        with ONE_AT_A_TIME:
            held.set()
            done.wait()

    holder = threading.Thread(target=holding)
    holder.start()
    held.wait()
    try:
        for i in range(CALLS):
            assert _same(other(xs[i % 3]), _through_layers(other, xs[i % 3]))
    finally:
        done.set()
        holder.join()
    assert _served(other) == 0
    # a thread of the program's own (a server, a data loader) leaves the calls replayed
    model = _mlp()
    release = threading.Event()
    idle = threading.Thread(target=release.wait)
    idle.start()
    try:
        for i in range(CALLS):
            assert _same(model(xs[i % 3]), _through_layers(model, xs[i % 3]))
        served = _served(model)
        assert served > 0
    finally:
        release.set()
        idle.join()
    got = {}
    worker = threading.Thread(target=lambda: got.update(out=model(xs[1])))
    worker.start()
    worker.join()
    assert _same(got["out"], _through_layers(model, xs[1])) and _served(model) == served + 1


@needs_recorder
def test_one_array_refilled_in_place_between_calls():
    model = _mlp()
    buffer = _inputs((2, 6))[0]
    for _ in range(CALLS):
        model(buffer)
    program = next(iter(model.__dict__["_eager_calls"].steps[None].programs.values()))
    # checked on other values too: the batch's values are not hashed at every call
    assert program.verified and not program.only_recorded_batch
    for x in _inputs((2, 6), seed=3):
        buffer[...] = x
        assert _same(model(buffer), _through_layers(model, buffer))
    assert _served(model) > 0


@needs_recorder
def test_a_layer_attribute_set_between_few_calls_ends_the_recordings():
    model = _mlp()
    xs = _inputs((2, 6))
    for i in range(eager_replay.MAX_RESTARTS + 2):
        for j in range(CALLS):
            assert _same(model(xs[j % 3]), _through_layers(model, xs[j % 3]))
        model.layers[0].note = i  # drops the recordings, which served a few calls each
    assert _same(model(xs[0]), _through_layers(model, xs[0]))
    calls = model.__dict__["_eager_calls"]
    assert calls.eligible and calls.off


@needs_recorder
def test_fit_evaluate_and_predict_between_calls_keep_the_recordings():
    model = _mlp()
    model.compile("sgd", "mse")
    xs, y = _inputs((2, 6)), np.zeros((2, 3), "float32")
    for i in range(CALLS):
        model(xs[i % 3])
    served = _served(model)
    assert served > 0
    for i in range(3):  # each run sets the model's run bookkeeping (`stop_training`...)
        model.fit(xs[i], y, epochs=1, verbose=0)
        model.evaluate(xs[i], y, verbose=0)
        model.predict(xs[i], verbose=0)
        assert _same(model(xs[i]), _through_layers(model, xs[i]))
    assert _served(model) == served + 3


@needs_recorder
def test_a_call_that_sets_a_layer_attribute_is_never_replayed(monkeypatch):
    original = layers.Dense.call

    def counting(self, inputs):
        self.seen = getattr(self, "seen", 0) + 1  # a side effect replays would skip
        return original(self, inputs)

    monkeypatch.setattr(layers.Dense, "call", counting)
    model = _mlp()
    built = model.layers[0].seen  # the calls that built the model
    xs = _inputs((2, 6))
    for i in range(3 * CALLS):
        assert _same(model(xs[i % 3]), _through_layers(model, xs[i % 3]))
    assert model.layers[0].seen == built + 2 * 3 * CALLS and _served(model) == 0
    assert model.__dict__["_eager_calls"].off
