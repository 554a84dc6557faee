"""kerasx used from several threads at once: models trained, called and saved in
threads give what they give one after the other, and what one thread opens (a scope,
a mixed-precision call, a `remat` recomputation, a model's symbolic build, a step's
recording) changes nothing for the others: their ops, draws, seed counters, variables
and checks stay theirs.

Every scenario makes its threads overlap with a `threading.Barrier` (or, where one
thread must act inside another's call, with a layer that runs the other thread from
its `call`), so the assertions hold whatever the scheduling."""

import threading

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.backends import current
from tests.thread_runner import in_threads

needs_recorder = pytest.mark.skipif(
    current().step_recorder() is None,
    reason="this backend cannot record array work, so no step is recorded")

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(32, 6)).astype("float32")
Y = _RNG.integers(0, 3, size=32)


def _model(seed, jit_compile="auto", dropout_seed=None):
    keras.utils.set_random_seed(seed)
    stack = [keras.Input((6,)), layers.Dense(8, activation="relu")]
    if dropout_seed is not None:
        stack.append(layers.Dropout(0.25, seed=dropout_seed))
    model = keras.Sequential(stack + [layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _assert_same(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def _assert_threads_give(expected, *runs):
    """Runs each of `runs` in its own thread at once; each gives its `expected` weights."""
    for got, want in zip(in_threads(*runs), expected, strict=True):
        _assert_same(got, want)


class _RunsInAnotherThread(layers.Layer):
    """The identity; at the first call for which `when()` holds, it runs `other` in a
    new thread and waits for it, so `other` runs inside this call."""

    def __init__(self, other, when=lambda: True, **kwargs):
        super().__init__(**kwargs)
        self.other, self.when, self.result = other, when, None

    def call(self, x):
        if self.result is None and self.when():
            box = []
            thread = threading.Thread(target=lambda: box.append(self.other()))
            thread.start()
            thread.join()
            self.result = box[0] if box else "failed"
        return x


def _fit(model, epochs=2):
    model.fit(X, Y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return _weights(model)


def test_two_models_fit_in_two_threads_as_one_after_the_other():
    expected = [_fit(_model(1)), _fit(_model(2))]
    for _ in range(3):
        first, second = _model(1), _model(2)
        _assert_threads_give(expected, lambda: _fit(first), lambda: _fit(second))
        evaluated = in_threads(lambda: first.evaluate(X, Y, verbose=0),
                               lambda: second.evaluate(X, Y, verbose=0))
        assert evaluated == [first.evaluate(X, Y, verbose=0), second.evaluate(X, Y, verbose=0)]


def test_seeded_dropout_trains_in_threads_as_one_after_the_other():
    """A seeded `Dropout` draws from its own counter; unseeded draws (and `shuffle`)
    share the process's one generator, whose numbers go to whichever thread asks."""
    expected = [_fit(_model(1, dropout_seed=3)), _fit(_model(2, dropout_seed=4))]
    first, second = _model(1, dropout_seed=3), _model(2, dropout_seed=4)
    _assert_threads_give(expected, lambda: _fit(first), lambda: _fit(second))


def test_train_on_batch_and_a_gradient_tape_loop_in_two_threads():
    def batches(model):
        for i in range(6):
            model.train_on_batch(X[i * 4:(i + 1) * 4], Y[i * 4:(i + 1) * 4])
        return _weights(model)

    def tape_loop(model):
        optimizer = keras.optimizers.SGD(0.1)
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        for i in range(6):
            with keras.GradientTape() as tape:
                loss = loss_fn(Y[i * 4:(i + 1) * 4], model(X[i * 4:(i + 1) * 4], training=True))
            grads = tape.gradient(loss, model.trainable_weights)
            assert all(g is not None for g in grads)
            optimizer.apply(grads, model.trainable_weights)
        return _weights(model)

    expected = [batches(_model(1)), tape_loop(_model(2))]
    for _ in range(2):
        first, second = _model(1), _model(2)
        _assert_threads_give(expected, lambda: batches(first), lambda: tape_loop(second))


def test_predict_and_calls_from_four_threads_on_one_model(monkeypatch):
    from kerasx.trainers import compiled_step

    # prediction steps recorded and replayed from their second batch (not their 201st)
    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)
    model = _model(1)
    inputs = [_RNG.normal(size=(n, 6)).astype("float32") for n in (3, 8, 20, 33)]
    predicted = [model.predict(x, batch_size=8, verbose=0) for x in inputs]
    called = [ops.convert_to_numpy(model(x)) for x in inputs]

    def serve(i):
        for _ in range(4):
            np.testing.assert_array_equal(model.predict(inputs[i], batch_size=8, verbose=0),
                                          predicted[i])
            np.testing.assert_array_equal(ops.convert_to_numpy(model(inputs[i])), called[i])

    in_threads(*[lambda i=i: serve(i) for i in range(4)])
    if current().step_recorder() is not None:
        programs = model._compiled_predict_step.programs.values()
        assert any(getattr(p, "verified", False) and p.runs for p in programs)


def test_models_compiled_in_threads():
    expected = [_fit(_model(1)), _fit(_model(2))]
    models = []
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        models.append(keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                                        layers.Dense(3, activation="softmax")]))
    in_threads(*[lambda m=m: m.compile(optimizer="adam", metrics=["accuracy"],
                                       loss="sparse_categorical_crossentropy")
                 for m in models])
    _assert_threads_give(expected, *[lambda m=m: _fit(m) for m in models])


def test_a_model_called_and_predicting_while_it_trains():
    """The training is that of the model alone; the calls read the weights as the
    updates leave them (no error, no warning, probabilities)."""
    expected = _fit(_model(1), epochs=3)
    model = _model(1)

    def calls():
        for _ in range(10):
            for out in (model(X), model.predict(X, verbose=0)):
                out = ops.convert_to_numpy(out)
                assert out.shape == (32, 3) and np.isfinite(out).all()
                np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)

    got, _ = in_threads(lambda: _fit(model, epochs=3), calls)
    _assert_same(got, expected)


def test_a_stateless_scope_in_one_thread_while_another_trains():
    """The scope's values stay in its thread; the training beside it is that of the model
    alone, within float rounding (see the next test)."""
    expected = _fit(_model(2))
    scoped, trained = _model(1), _model(2)
    before = _weights(scoped)

    def stateless_calls():
        for _ in range(10):
            zeros = [(v, ops.zeros_like(v.value)) for v in scoped.trainable_weights]
            with keras.StatelessScope(zeros):
                out = ops.convert_to_numpy(scoped(X))
            np.testing.assert_allclose(out, np.full((32, 3), 1 / 3), rtol=1e-6)

    in_threads(stateless_calls, lambda: _fit(trained))
    for got, want in zip(_weights(trained), expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    _assert_same(_weights(scoped), before)


def test_training_beside_an_open_stateless_scope_is_bitwise_that_alone():
    expected = _fit(_model(2))
    scoped, trained = _model(1), _model(2)
    opened, trained_done = threading.Barrier(2), threading.Barrier(2)

    def hold_scope():
        with keras.StatelessScope([(v, ops.zeros_like(v.value)) for v in scoped.weights]):
            opened.wait()
            trained_done.wait()

    def train():
        opened.wait()
        _fit(trained)
        trained_done.wait()

    in_threads(hold_scope, train)
    _assert_same(_weights(trained), expected)


@pytest.mark.skipif(not hasattr(current().xp, "float16"),
                    reason="the backend has no float16 (not an array API dtype)")
def test_a_mixed_precision_call_leaves_other_threads_weights_as_stored():
    """Another thread's float32 weights (its optimizer's update, its model's calls) read
    as stored while a thread runs a mixed-precision layer, whose weights read in float16."""
    other = layers.Dense(2, dtype="mixed_float16")
    other.build((None, 3))
    seen = {}

    def read():
        seen["dtype"] = str(ops.convert_to_numpy(other.kernel.value).dtype)
        return True

    probe = _RunsInAnotherThread(read, dtype="mixed_float16")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, dtype="mixed_float16"), probe])
    model(np.ones((2, 3), "float32"))
    assert probe.result is True
    assert seen == {"dtype": "float32"}
    assert str(ops.convert_to_numpy(other.kernel.value).dtype) == "float32"


def test_a_draw_journal_keeps_its_own_threads_draws():
    """The draws a rematerialized call notes (to draw them again in the backward pass)
    are its own thread's: another thread's draws meanwhile are neither noted nor served
    from the journal."""
    from kerasx.backends.random import DrawJournal

    journal = DrawJournal()
    inside, drawn = threading.Barrier(2), threading.Barrier(2)
    other = {}

    def journaled():
        with journal.recording():
            first = keras.random.uniform((4,))
            inside.wait()
            drawn.wait()
        with journal.replaying():
            inside.wait()
            drawn.wait()
            again = keras.random.uniform((4,))
        np.testing.assert_array_equal(ops.convert_to_numpy(again), ops.convert_to_numpy(first))

    def drawing():
        for key in ("recording", "replaying"):
            inside.wait()
            other[key] = ops.convert_to_numpy(keras.random.uniform((4,)))
            drawn.wait()

    in_threads(journaled, drawing)
    assert len(journal._entries) == 1
    # the other thread drew new numbers from the global generator both times
    assert not np.array_equal(other["recording"], other["replaying"])


def test_a_rematerialized_call_recomputed_while_another_thread_calls_a_layer():
    """The backward pass recomputes a `remat` function with the random draws and the
    layer bookkeeping of its first run; another thread's layer call and draw meanwhile
    are neither taken for the function's (its activity loss, its draw) nor undone."""
    regularized = layers.Dense(2, activity_regularizer="l2")
    regularized.build((None, 3))
    dropout = layers.Dropout(0.5)
    runs, other = [], {}

    def other_thread():
        regularized(np.ones((2, 3), "float32"))
        other["draw"] = keras.random.uniform((3,))

    def f(x):
        runs.append(len(runs))
        if len(runs) == 2:  # the recomputation, in the backward pass
            thread = threading.Thread(target=other_thread)
            thread.start()
            thread.join()
        return dropout(x, training=True)

    v = keras.Variable(np.ones((4, 8), "float32"))
    with keras.GradientTape() as tape:
        y = keras.remat(f)(v)
        loss = ops.sum(y)
    grad = ops.convert_to_numpy(tape.gradient(loss, v))
    assert len(runs) == 2 and "draw" in other
    np.testing.assert_array_equal(grad, ops.convert_to_numpy(y))  # the first run's mask
    assert len(regularized.losses) == 1


def test_a_functional_model_built_while_another_thread_computes():
    """Building a functional model runs each layer on zero arrays standing for its
    symbolic inputs, where some checks are waived; another thread's ops meanwhile keep
    them (here: a geometric sequence cannot start at 0)."""
    def geomspace_from_zero():
        try:
            ops.geomspace(0.0, 1.0, 3)
        except ValueError as error:
            return str(error)
        return "no error"

    probe = _RunsInAnotherThread(geomspace_from_zero)
    inputs = keras.Input((3,))
    keras.Model(inputs, probe(layers.Dense(2)(inputs)))
    assert "nonzero" in probe.result


def test_a_model_built_while_another_thread_draws_from_its_seed_counters():
    """Building a model runs its layers and then puts back the seed counters they drew
    from; another thread's draws meanwhile (a `SeedGenerator`, a seeded `Dropout`) stay
    drawn: its next numbers are new."""
    ones = np.ones((2, 8), "float32")

    def draws(generator, dropout, n):
        return [(ops.convert_to_numpy(keras.random.uniform((3,), seed=generator)),
                 ops.convert_to_numpy(dropout(ones, training=True))) for _ in range(n)]

    generator, dropout = keras.random.SeedGenerator(7), layers.Dropout(0.5, seed=3)
    probe = _RunsInAnotherThread(lambda: draws(generator, dropout, 2))
    inputs = keras.Input((3,))
    keras.Model(inputs, probe(layers.Dropout(0.5, seed=1)(inputs)))
    expected = draws(keras.random.SeedGenerator(7), layers.Dropout(0.5, seed=3), 3)
    got = probe.result + draws(generator, dropout, 1)
    for (numbers, mask), (expected_numbers, expected_mask) in zip(got, expected):
        np.testing.assert_array_equal(numbers, expected_numbers)
        np.testing.assert_array_equal(mask, expected_mask)


def test_an_output_shape_asked_while_another_thread_builds_a_model():
    class Plain(layers.Layer):  # no compute_output_shape: the default runs it
        def call(self, x):
            return x[:, :2]

    class Declaring(layers.Layer):
        def __init__(self):
            super().__init__()
            self.result = None

        def call(self, x):
            return x

        def compute_output_shape(self, input_shape):
            if self.result is None:
                thread = threading.Thread(
                    target=lambda: setattr(self, "result", Plain().compute_output_shape((4, 3))))
                thread.start()
                thread.join()
            return input_shape

    declaring = Declaring()
    inputs = keras.Input((3,))
    keras.Model(inputs, declaring(inputs))
    assert tuple(declaring.result) == (4, 2)


def test_a_rematerialized_call_leaves_another_threads_variables_alone():
    """A recomputation puts back the variables its function assigned, as they were at
    its first run; a variable another thread assigns meanwhile keeps its values."""
    counter = keras.Variable(np.zeros(3, "float32"))
    seen = []

    def other_thread():
        seen.append(ops.convert_to_numpy(counter).tolist())
        counter.assign(counter.value + 1.0)

    def f(x):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        return x * 2.0

    v = keras.Variable(np.ones(3, "float32"))
    with keras.GradientTape() as tape:
        loss = ops.sum(keras.remat(f)(v))
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(loss, v)), [2.0] * 3)
    assert seen == [[0.0] * 3, [1.0] * 3]  # the first run, then the recomputation
    np.testing.assert_array_equal(ops.convert_to_numpy(counter), [2.0] * 3)


def test_a_symbolic_scope_belongs_to_its_thread():
    from kerasx.scopes import SymbolicScope, in_symbolic_scope

    opened, done = threading.Barrier(2), threading.Barrier(2)
    seen = {}

    def scoped():
        with SymbolicScope():
            opened.wait()
            done.wait()
            seen["own"] = in_symbolic_scope()

    def other():
        opened.wait()
        seen["other"] = in_symbolic_scope()
        done.wait()

    in_threads(scoped, other)
    assert seen == {"own": True, "other": False}


def test_name_scopes_belong_to_their_thread():
    """Each thread's variables take the paths of its own open scopes, also when two
    threads open a scope of the same name for the same caller."""
    caller = object()
    opened, built = threading.Barrier(2), threading.Barrier(2)

    def scoped(name):
        layer = layers.Dense(1, name=name)
        with keras.name_scope("outer", caller=caller):
            opened.wait()
            layer.build((None, 2))
            built.wait()
        return layer.kernel.path

    assert sorted(in_threads(lambda: scoped("a"), lambda: scoped("b"))) == [
        "outer/a/kernel", "outer/b/kernel"]


def test_threads_first_using_a_backend_at_once_share_one(monkeypatch):
    from kerasx import backends

    name = "numpy" if current().name != "numpy" else "array_api_strict"
    monkeypatch.setattr(backends, "_INSTANCES", {})  # as in a process that has not used it
    got = in_threads(*[lambda: backends.get_backend(name)] * 8)
    assert len({id(backend) for backend in got}) == 1


def test_layer_names_are_unique_across_threads():
    """One counter for the process: layers made in several threads at once get distinct
    names (Keras counts per thread, and names each thread's first Dense `dense`)."""
    names = in_threads(*[lambda: [layers.Dense(1).name for _ in range(50)]] * 4)
    flat = [n for each in names for n in each]
    assert len(set(flat)) == 200 and "dense" in flat and "dense_199" in flat


def test_two_models_saved_and_loaded_in_two_threads(tmp_path):
    models = [_model(1), _model(2)]
    for model in models:
        _fit(model, epochs=1)  # the optimizer state is saved too
    paths = [str(tmp_path / f"model_{i}.keras") for i in range(2)]
    in_threads(*[lambda i=i: models[i].save(paths[i]) for i in range(2)])
    loaded = in_threads(*[lambda i=i: keras.models.load_model(paths[i]) for i in range(2)])
    for model, back in zip(models, loaded):
        _assert_same(_weights(back), _weights(model))


def test_fit_on_a_py_dataset_read_by_worker_threads():
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8]

    expected = _model(1)
    expected.fit(Batches(), epochs=2, shuffle=False, verbose=0)
    model = _model(1)
    model.fit(Batches(workers=3, use_multiprocessing=False), epochs=2, shuffle=False, verbose=0)
    _assert_same(_weights(model), _weights(expected))


def _recording():
    from kerasx.backends import numpy_trace_array

    return numpy_trace_array._ACTIVE.recorder is not None


def _recorded_while(other):
    """Trains a model whose recorded step runs `other` in another thread; returns the
    model's probe layer (`.result`: what `other` returned)."""
    probe = _RunsInAnotherThread(other, when=_recording)
    model = keras.Sequential([keras.Input((6,)), layers.Dense(3), probe])
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    for _ in range(8):
        model.train_on_batch(X[:8], np.ones((8, 3), "float32"))
    assert probe.result is not None
    return probe


@needs_recorder
def test_an_update_in_another_thread_is_not_part_of_a_recorded_step():
    """An optimizer update made in another thread while a training step is recorded
    runs once, there, and is not replayed with the step."""
    from kerasx.optimizers.optimizer import Optimizer

    original = Optimizer.__dict__["apply"]
    v = keras.Variable(np.ones(3, "float32"))

    def update():
        keras.optimizers.SGD(0.5).apply([np.ones(3, "float32")], [v])
        return ops.convert_to_numpy(v).tolist()

    assert _recorded_while(update).result == [0.5, 0.5, 0.5]
    np.testing.assert_array_equal(ops.convert_to_numpy(v), [0.5, 0.5, 0.5])
    assert Optimizer.__dict__["apply"] is original


@needs_recorder
def test_a_draw_in_another_thread_while_a_step_is_recorded():
    """A draw made in another thread while a training step is recorded is a plain
    array, not one of the recording."""
    from kerasx.backends import numpy_trace

    def draw():
        drawn = keras.random.normal((3,))
        return type(getattr(drawn, "value", drawn))

    assert _recorded_while(draw).result is not numpy_trace.TraceArray
    assert type(current().rng).__name__ == "RandomGenerator"
