"""`compile(jit_compile=True)`: a replayed training step trains exactly as the eager
one (same losses, metrics and weights, bit for bit), on every kind of model the
recording meets: dense, dropout, convolutions, normalization, recurrent and masked
layers, several outputs, sample weights, schedules, clipping, the last short batch."""

import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

RECORDS = current().step_recorder() is not None
rng = np.random.default_rng(3)


def _fit_both(build, x, y, compile_args, epochs=3, expect_eager=False, **fit_args):
    """Fits the model `build()` makes, compiled with `compile_args()`, eagerly and with
    jit_compile=True, from one seed (`expect_eager`: the jit run warns that it runs
    eagerly);
    asserts the same history and weights; returns the jit model."""
    runs = []
    for jit in (False, True):
        keras.utils.set_random_seed(11)
        model = build()
        model.compile(jit_compile=jit, **compile_args())
        if jit and expect_eager and RECORDS:
            with pytest.warns(UserWarning, match="runs eagerly"):
                history = model.fit(x, y, epochs=epochs, verbose=0, **fit_args)
        else:
            history = model.fit(x, y, epochs=epochs, verbose=0, **fit_args)
        runs.append((history.history, model.get_weights(), model))
    (h0, w0, _), (h1, w1, model) = runs
    assert h0 == h1
    assert len(w0) == len(w1)
    for a, b in zip(w0, w1):
        assert type(b) is np.ndarray
        np.testing.assert_array_equal(a, b)
    state = (list(model.variables) + list(model.optimizer.variables)
             + [v for m in model.metrics for v in m.variables])
    assert not any(type(v.value).__name__ == "TraceArray" for v in state)  # none left behind
    return model


def _replayed(model):
    """The batch signatures whose steps are replayed (checked against the eager step)."""
    step = model._compiled_train_step
    return [k for k, p in step.programs.items() if getattr(p, "verified", False)]


def _assert_replays(model, signatures=1):
    if not RECORDS:
        assert not model._compiled_train_step.programs
        return
    assert model._compiled_train_step.reasons == {}
    assert len(_replayed(model)) == signatures


def test_dense_softmax_with_sgd_replays_and_trains_the_same():
    x = rng.standard_normal((96, 20)).astype("float32")
    y = rng.integers(0, 10, 96)
    model = _fit_both(lambda: keras.Sequential([keras.Input((20,)),
                                                keras.layers.Dense(10, activation="softmax")]),
                      x, y, lambda: dict(optimizer=keras.optimizers.SGD(0.1),
                                 loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
                      batch_size=32)
    _assert_replays(model)


def test_dropout_draws_new_masks_at_every_replay():
    x = rng.standard_normal((128, 16)).astype("float32")
    y = rng.integers(0, 4, 128)

    def build():
        return keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu"),
                                 keras.layers.Dropout(0.5),
                                 keras.layers.Dense(4, activation="softmax")])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam",
                                                loss="sparse_categorical_crossentropy",
                                                metrics=["accuracy"]), batch_size=32, epochs=4)
    _assert_replays(model)


def test_seeded_dropout_and_seed_generators_replay_with_the_eager_draws():
    """A seeded Dropout and a layer drawing from its own `SeedGenerator` (a VAE's
    sampling) take their counters' next seeds at every replay, as eager steps do: the
    steps replay, with the eager run's losses, weights and draw counts."""
    x = rng.standard_normal((128, 16)).astype("float32")
    y = rng.standard_normal((128, 4)).astype("float32")
    generators = []

    class Noise(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(5)
            generators.append(self.seed_generator)

        def call(self, inputs):
            return inputs + 0.1 * keras.random.normal(keras.ops.shape(inputs),
                                                      seed=self.seed_generator)

    def build():
        return keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu"),
                                 keras.layers.Dropout(0.5, seed=3), Noise(),
                                 keras.layers.Dense(4)])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam", loss="mse"),
                      batch_size=32, epochs=4)
    _assert_replays(model)
    eager_draws, replayed_draws = (g.state[1] for g in generators[-2:])
    # one draw a step (4 steps x 4 epochs), besides those of building the model
    assert eager_draws == replayed_draws >= 16


def test_confusion_matrix_metrics_replay():
    """IoU metrics scatter-add into a confusion matrix (`ufunc.at`) and wrap their
    result with `asarray`: both are followed by the recording, so the steps replay
    with the eager run's results."""
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (rng.standard_normal((64, 1)) > 0).astype("float32")
    model = _fit_both(lambda: keras.Sequential([keras.Input((6,)),
                                                keras.layers.Dense(1, activation="sigmoid")]),
                      x, y, lambda: dict(optimizer="sgd", loss="binary_crossentropy",
                                         metrics=[keras.metrics.BinaryIoU(name="biou"),
                                                  keras.metrics.IoU(2, [1], name="iou",
                                                                    sparse_y_pred=False)]),
                      batch_size=16, epochs=3)
    _assert_replays(model)


def test_metrics_through_ops_argmax_replay():
    """`ops.argmax` ranks -0.0 below 0.0 without reading values to the host (a value
    read after the update would keep the step from replaying)."""
    x = rng.standard_normal((64, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 64)]
    model = _fit_both(lambda: keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)]),
                      x, y, lambda: dict(optimizer="adam", loss="categorical_crossentropy",
                                         metrics=[keras.metrics.TopKCategoricalAccuracy(
                                             k=2, name="top2")]),
                      batch_size=16, epochs=3)
    _assert_replays(model)


def test_the_last_short_batch_gets_its_own_recording():
    x = rng.standard_normal((70, 6)).astype("float32")
    y = rng.standard_normal((70, 1)).astype("float32")
    model = _fit_both(lambda: keras.Sequential([keras.Input((6,)), keras.layers.Dense(3),
                                                keras.layers.Dense(1)]),
                      x, y, lambda: dict(optimizer="rmsprop", loss="mse", metrics=["mae"]),
                      batch_size=32, epochs=4)
    _assert_replays(model, signatures=2)  # 32 rows and 6 rows


def test_convolutions_pooling_and_batch_normalization_replay():
    x = rng.standard_normal((32, 10, 10, 2)).astype("float32")
    y = rng.integers(0, 3, 32)

    def build():
        return keras.Sequential([
            keras.Input((10, 10, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam",
                                                loss="sparse_categorical_crossentropy",
                                                metrics=["accuracy"]), batch_size=16, epochs=4)
    _assert_replays(model)
    moving = [w for w in model.weights if "moving_mean" in w.path]
    assert moving and np.any(moving[0].numpy() != 0)  # the replays updated the statistics


def test_same_padded_winograd_and_strided_convolutions_replay():
    # "same" padding writes the input into a fresh padded array by indexing, and the
    # 3x3 convolutions with 32+ channels hand their Winograd state to the backward:
    # both must be followed by the recording, not frozen as constants
    x = rng.standard_normal((16, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 3, 16)

    def build():
        return keras.Sequential([
            keras.Input((12, 12, 3)),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam",
                                                loss="sparse_categorical_crossentropy",
                                                metrics=["accuracy"]), batch_size=8, epochs=3)
    _assert_replays(model)


def test_kernels_that_needed_recording_as_calls_are_calls_from_the_next_signature_on(
        monkeypatch):
    # a ReLU kernel writing into a buffer from `np.empty`, which the recorder does not
    # see: the first signature is recorded twice; the last short batch needs one recording
    if not RECORDS:
        pytest.skip("the backend records no steps")
    from kerasx.trainers import compiled_step

    def relu_into_unseen_buffer(xp, y):
        return np.maximum(y, 0, out=np.empty(y.shape, y.dtype))

    monkeypatch.setitem(current().kernels, "relu_inplace", relu_into_unseen_buffer)
    recordings = []
    trace = compiled_step._trace

    def counted(tracer, model, batch, mode, opaque_kernels=False):
        recordings.append((mode, opaque_kernels, batch[0].shape[0]))
        return trace(tracer, model, batch, mode, opaque_kernels)

    monkeypatch.setattr(compiled_step, "_trace", counted)
    x = rng.standard_normal((40, 12, 12, 3)).astype("float32")
    y = rng.integers(0, 3, 40)

    def build():
        return keras.Sequential([
            keras.Input((12, 12, 3)), keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(), keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam",
                                                loss="sparse_categorical_crossentropy"),
                      batch_size=16, epochs=4)
    _assert_replays(model, signatures=2)
    train = [r for r in recordings if r[0] == "train"]
    assert train[:2] == [("train", False, 16), ("train", True, 16)], train
    assert train[2:] == [("train", True, 8)], train


def test_masked_recurrent_model_replays():
    x = rng.integers(1, 20, (48, 7))
    x[:, 5:] = 0
    y = rng.integers(0, 2, (48, 1)).astype("float32")

    def build():
        return keras.Sequential([keras.Input((7,), dtype="int64"),
                                 keras.layers.Embedding(20, 4, mask_zero=True),
                                 keras.layers.LSTM(5), keras.layers.Dense(1, activation="sigmoid")])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam", loss="binary_crossentropy",
                                        metrics=["accuracy"]), batch_size=16, epochs=4)
    _assert_replays(model)


def test_two_outputs_with_weights_sample_weights_schedule_and_clipping():
    x = rng.standard_normal((64, 5)).astype("float32")
    y = {"a": rng.integers(0, 3, 64), "b": rng.standard_normal((64, 2)).astype("float32")}
    sample_weight = rng.uniform(0.5, 1.5, 64).astype("float32")

    def build():
        inputs = keras.Input((5,))
        hidden = keras.layers.Dense(8, activation="tanh")(inputs)
        a = keras.layers.Dense(3, activation="softmax", name="a")(hidden)
        b = keras.layers.Dense(2, name="b")(hidden)
        return keras.Model(inputs, {"a": a, "b": b})

    def schedule():
        return keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)

    model = _fit_both(build, x, y, lambda: dict(
        optimizer=keras.optimizers.SGD(schedule(), momentum=0.9, clipnorm=1.0),
        loss={"a": "sparse_categorical_crossentropy", "b": "mse"},
        loss_weights={"a": 1.0, "b": 0.5}, metrics={"a": ["accuracy"], "b": ["mae"]}),
        batch_size=16, epochs=4, sample_weight=sample_weight)
    _assert_replays(model)
    assert int(model.optimizer.iterations) == 16  # the host-side step count advanced


def test_evaluation_and_validation_steps_replay_with_the_eager_results():
    x = rng.standard_normal((80, 6)).astype("float32")
    y = rng.integers(0, 3, 80)
    runs = []
    for jit in (False, True):
        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=jit)
        history = model.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), batch_size=8,
                            epochs=3, verbose=0)
        runs.append((history.history, model.evaluate(x, y, batch_size=16, verbose=0,
                                                     return_dict=True), model))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1]
    model = runs[1][2]
    if RECORDS:
        tested = model._compiled_test_step
        assert tested.reasons == {}
        assert sum(getattr(p, "verified", False) for p in tested.programs.values()) == 2


def test_validation_of_a_folded_batch_normalization_follows_the_training():
    """Evaluation folds a normalization into the convolution before it, keeping the
    folded weights for the run's batches; a recorded step computes them from the
    variables at every replay, so later epochs' validation sees the trained weights."""
    x = rng.standard_normal((48, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 3, 48)

    def build():
        return keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3),
                                 keras.layers.BatchNormalization(), keras.layers.ReLU(),
                                 keras.layers.Flatten(),
                                 keras.layers.Dense(3, activation="softmax")])

    model = _fit_both(build, x, y, lambda: dict(optimizer="adam",
                                                loss="sparse_categorical_crossentropy"),
                      epochs=4, batch_size=8, validation_data=(x, y))
    if RECORDS:
        assert model._compiled_test_step.reasons == {}


def test_state_kept_outside_variables_is_caught_at_the_next_epoch():
    """A layer reading a plain array attribute that a callback replaces between epochs:
    the recording took the old array as a constant. The next epoch's first step runs
    both ways, they differ, and the step is recorded again; the epoch after, the eager
    step takes over for good. Every epoch trains as eagerly."""
    x = rng.standard_normal((96, 3)).astype("float32")  # 12 steps an epoch
    y = rng.standard_normal((96, 1)).astype("float32")

    class Scaled(keras.layers.Layer):
        scale = np.float32([1.0, 2.0, 3.0])

        def call(self, inputs):
            return inputs * keras.ops.convert_to_tensor(self.scale)

    class Rescale(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.layers[0].scale = self.model.layers[0].scale * np.float32(0.5)

    model = _fit_both(lambda: keras.Sequential([keras.Input((3,)), Scaled(),
                                                keras.layers.Dense(1)]),
                      x, y, lambda: dict(optimizer="sgd", loss="mse"), epochs=4, batch_size=8,
                      expect_eager=True, callbacks=[Rescale()])
    assert not _replayed(model)


def test_predict_replays_with_the_eager_outputs(monkeypatch):
    """A two-output functional model (a folded convolution + normalization, dropout
    off at inference) predicts the eager model's outputs bit for bit, in their
    structure, uncompiled and then after training between calls."""
    x = rng.standard_normal((40, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 3, 40)

    def build():
        keras.utils.set_random_seed(4)
        inputs = keras.Input((6, 6, 2))
        h = keras.layers.Conv2D(4, 3)(inputs)
        h = keras.layers.ReLU()(keras.layers.BatchNormalization()(h))
        h = keras.layers.Dropout(0.5)(keras.layers.Flatten()(h))
        return keras.Model(inputs, {"label": keras.layers.Dense(3, activation="softmax")(h),
                                    "score": keras.layers.Dense(1)(h)})

    from kerasx.trainers import compiled_step

    # recorded at a signature's second batch (a real predict waits for its 201st)
    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)
    outputs = []
    for jit in (False, "auto"):
        model = build()
        first = [model.predict(x, batch_size=4, verbose=0) for _ in range(3)]
        model.compile(optimizer="adam", loss={"label": "sparse_categorical_crossentropy",
                                              "score": "mse"}, jit_compile=jit)
        model.fit(x, {"label": y, "score": y.astype("float32")}, batch_size=8, verbose=0)
        later = [model.predict(x, batch_size=4, verbose=0) for _ in range(2)]
        outputs.append(first + later)
        if jit and RECORDS:
            step = model._compiled_predict_step
            assert step.reasons == {} and len(step.programs) == 1
            assert all(p.verified for p in step.programs.values())
    for eager, replayed in zip(*outputs):
        assert set(replayed) == {"label", "score"}
        for k in eager:
            assert type(replayed[k]) is np.ndarray
            np.testing.assert_array_equal(eager[k], replayed[k])


def test_a_recording_checked_on_its_own_batch_only_is_checked_on_the_next_other_batch():
    """One validation batch at every epoch: the test step is recorded on it and
    checked on it again, where a value taken unseen from the data (NumPy work on a
    plain view) matches. Evaluating other data checks the replay again, which then
    fails over to eager steps: the results are the eager model's."""
    if not RECORDS:
        pytest.skip("this backend records no steps")

    class Hidden(keras.layers.Layer):
        def call(self, inputs):
            hidden = np.asarray(inputs.value) * 2.0  # unseen by a recording
            return inputs + keras.ops.convert_to_tensor(hidden)

    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.standard_normal((64, 1)).astype("float32")
    validation = (x[:16] + 1.0, y[:16])
    results = []
    for jit in (False, "auto"):
        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.Input((4,)), Hidden(), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit)
        model.fit(x, y, batch_size=16, epochs=4, verbose=0, validation_data=validation)
        results.append((model.evaluate(x[16:32] - 3.0, y[16:32], batch_size=16, verbose=0),
                        model.evaluate(*validation, batch_size=16, verbose=0)))
    assert results[0] == results[1]
    # the check on the other batch failed: the recording is dropped (recorded again later)
    assert not any(getattr(p, "verified", False)
                   for p in model._compiled_test_step.programs.values())


def test_python_side_effects_happen_only_while_recording():
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.standard_normal((64, 1)).astype("float32")

    class Counting(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.calls = 0

        def call(self, inputs, training=False):
            self.calls += 1
            return self.dense(inputs)

    keras.utils.set_random_seed(0)
    model = Counting()
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    if RECORDS:
        # building, the first step, recording, the eager half of the check, then the
        # eager half of each later epoch's first step; 20 steps in all
        assert model.calls <= 5 + 4
    else:
        assert model.calls >= 20


def test_a_batch_taking_another_branch_than_the_recording_runs_eagerly():
    """The sparse cross-entropy kernel checks for labels out of range (they count 0);
    a replay meeting one fails that guard before changing anything and the batch runs
    as the eager step, with the eager step's results."""
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.integers(0, 3, 64)
    models = []
    for jit in (False, True):
        keras.utils.set_random_seed(5)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=jit)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        models.append(model)
    eager, jitted = models
    bad = y[:16].copy()
    bad[3] = 7
    batch = (keras.ops.convert_to_tensor(x[:16]), keras.ops.convert_to_tensor(bad), None)
    step = jitted._compiled_train_step
    if RECORDS:
        assert len(_replayed(jitted)) == 1
    calls = []
    run_eagerly = step.eager
    step.eager = lambda data: calls.append(1) or run_eagerly(data)
    got = {k: float(v) for k, v in dict(step(batch)).items()}
    want = {k: float(v) for k, v in dict(eager.train_step(batch)).items()}
    assert got == want
    assert calls == [1]
    for a, b in zip(eager.get_weights(), jitted.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_step_that_reads_values_into_python_runs_eagerly():
    """A layer scaling by a Python float read from its input: every batch reads another
    value, so the recording is refused and the steps run eagerly, with the same results."""
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.standard_normal((64, 1)).astype("float32")

    class ScaleByMean(keras.layers.Layer):
        def call(self, inputs):
            return inputs * float(keras.ops.convert_to_numpy(keras.ops.mean(inputs)))

    model = _fit_both(lambda: keras.Sequential([keras.Input((4,)), ScaleByMean(),
                                                keras.layers.Dense(1)]),
                      x, y, lambda: dict(optimizer="sgd", loss="mse"), batch_size=16,
                      expect_eager=True)
    assert not _replayed(model)
    if RECORDS:
        assert model._compiled_train_step.reasons


def test_a_failure_of_the_recording_itself_leaves_the_eager_step(monkeypatch):
    """Whatever goes wrong while recording, the state is put back and the step runs
    eagerly, with a warning saying why."""
    if not RECORDS:
        pytest.skip("this backend records no steps")
    from kerasx.backends import numpy_trace

    def broken(self, outputs):
        raise RuntimeError("no code today")

    monkeypatch.setattr(numpy_trace.Recorder, "compile", broken)
    x = rng.standard_normal((48, 4)).astype("float32")
    y = rng.standard_normal((48, 1)).astype("float32")
    model = _fit_both(lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2),
                                                keras.layers.Dropout(0.3),
                                                keras.layers.Dense(1)]),
                      x, y, lambda: dict(optimizer="adam", loss="mse", metrics=["mae"]),
                      batch_size=16, expect_eager=True)
    assert not _replayed(model)
    assert "no code today" in next(iter(model._compiled_train_step.reasons.values()))


def test_a_layer_computing_on_numpy_copies_runs_eagerly():
    """NumPy work on a plain copy of a recorded array is invisible to the recording;
    the replay then disagrees with the eager step, and the eager step is kept."""
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.standard_normal((64, 1)).astype("float32")

    class Doubled(keras.layers.Layer):
        def call(self, inputs):
            doubled = np.asarray(keras.ops.convert_to_numpy(inputs)) * 2.0
            return inputs + keras.ops.convert_to_tensor(doubled)

    model = _fit_both(lambda: keras.Sequential([keras.Input((4,)), Doubled(),
                                                keras.layers.Dense(1)]),
                      x, y, lambda: dict(optimizer="sgd", loss="mse"), batch_size=16,
                      expect_eager=True)
    assert not _replayed(model)


def _fit_small(jit=None, run_eagerly=False, batches=4, **fit_args):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    args = {} if jit is None else {"jit_compile": jit}
    model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly, **args)
    model.fit(np.ones((8 * batches, 3), "float32"), np.ones((8 * batches, 1), "float32"),
              batch_size=8, verbose=0, **fit_args)
    return model


def test_auto_is_the_default_and_replays():
    model = _fit_small()
    assert model.jit_compile == "auto"
    _assert_replays(model)


def test_false_and_run_eagerly_run_eagerly():
    assert _fit_small(False)._compiled_train_step is None
    assert _fit_small("auto", run_eagerly=True)._compiled_train_step is None
    with pytest.warns(UserWarning, match="disabling jit_compile"):
        model = _fit_small(True, run_eagerly=True)
    assert model.jit_compile is False and model._compiled_train_step is None


def test_auto_falls_back_silently_and_true_warns():
    """A layer computing on NumPy copies cannot be replayed: under "auto" it runs
    eagerly without a word, under True with one warning."""
    class Doubled(keras.layers.Layer):
        def call(self, inputs):  # NumPy work on a copy: the recording cannot see it
            doubled = np.asarray(keras.ops.convert_to_numpy(inputs)) * 2.0
            return inputs + keras.ops.convert_to_tensor(doubled)

    for jit in ("auto", True):
        model = keras.Sequential([keras.Input((3,)), Doubled(), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit)
        x, y = rng.standard_normal((32, 3)).astype("float32"), np.ones((32, 1), "float32")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        messages = [str(w.message) for w in caught if "runs eagerly" in str(w.message)]
        if RECORDS:
            assert len(messages) == (1 if jit is True else 0)
            assert model._compiled_train_step.reasons
            assert not _replayed(model)


def test_batches_of_ever_new_shapes_stop_being_recorded():
    """Past MAX_SIGNATURES batch signatures, steps on new ones run eagerly, and the
    first ones keep replaying."""
    from kerasx.trainers.compiled_step import MAX_SIGNATURES

    model = keras.Sequential([keras.Input((None, 2)), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for length in range(1, MAX_SIGNATURES + 5):
            x = rng.standard_normal((12, length, 2)).astype("float32")
            model.fit(x, np.zeros((12, 1), "float32"), batch_size=4, epochs=1, verbose=0)
    step = model._compiled_train_step
    if RECORDS:
        assert len(step.programs) == MAX_SIGNATURES
        assert "signatures" in step.reasons
        assert len(_replayed(model)) == MAX_SIGNATURES  # three steps each: all replayed
        assert sum("batch signatures" in str(w.message) for w in caught) == 1


def test_a_custom_train_step_replays():
    """The train_step of Keras's "customizing fit" guide (tape, optimizer.apply, metric
    objects updated by hand) and a custom test_step replay and train as eagerly."""
    x = rng.standard_normal((64, 5)).astype("float32")
    y = rng.standard_normal((64, 1)).astype("float32")

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae = keras.metrics.MeanAbsoluteError(name="mae")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae]

        def train_step(self, data):
            inputs, targets = data[0], data[1]
            with keras.GradientTape() as tape:
                predictions = self(inputs, training=True)
                loss = keras.ops.mean(keras.ops.square(predictions - targets))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            self.mae.update_state(targets, predictions)
            return {"loss": self.loss_tracker.result(), "mae": self.mae.result()}

        def test_step(self, data):
            predictions = self(data[0], training=False)
            self.mae.update_state(data[1], predictions)
            return {"mae": self.mae.result()}

    model = _fit_both(Custom, x, y, lambda: dict(optimizer=keras.optimizers.Adam(0.01)),
                      batch_size=8, validation_data=(x[:16], y[:16]))
    _assert_replays(model)
    if RECORDS:
        assert model._compiled_test_step.reasons == {}
    assert int(model.optimizer.iterations) == 24  # the host-side step count advanced


def test_a_train_step_with_two_optimizers_replays():
    """A GAN-style step: two optimizers, each updating its own sub-model."""
    x = rng.standard_normal((48, 4)).astype("float32")
    y = rng.standard_normal((48, 1)).astype("float32")

    class TwoPart(keras.Model):
        def __init__(self):
            super().__init__()
            self.first = keras.layers.Dense(6, activation="tanh")
            self.second = keras.layers.Dense(1)

        def call(self, inputs):
            return self.second(self.first(inputs))

        def compile(self, **kwargs):
            super().compile(**kwargs)
            self.first_optimizer = keras.optimizers.SGD(0.05, momentum=0.9)
            self.second_optimizer = keras.optimizers.Adam(0.01)

        def train_step(self, data):
            inputs, targets = data[0], data[1]
            for layer, optimizer in ((self.first, self.first_optimizer),
                                     (self.second, self.second_optimizer)):
                with keras.GradientTape() as tape:
                    loss = keras.ops.mean(keras.ops.square(self(inputs) - targets))
                grads = tape.gradient(loss, layer.trainable_variables)
                optimizer.apply(grads, layer.trainable_variables)
            return {"loss": loss}

    model = _fit_both(TwoPart, x, y, lambda: dict(optimizer="sgd"), batch_size=8)
    _assert_replays(model)
    assert int(model.first_optimizer.iterations) == int(model.second_optimizer.iterations) == 18


def test_a_cross_entropy_on_probabilities_replays():
    """`log(clip(p))` (a cross-entropy on probabilities outside a fused softmax) replays:
    the NumPy namespace clips by `np.clip` itself (array-api-compat's clip writes into a
    buffer `np.empty` made, which a recording cannot follow: the steps then run eagerly)."""

    class Probabilities(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(3)

        def call(self, x):  # a softmax by hand: the loss cannot fuse it with its logits
            e = keras.ops.exp(self.out(self.hidden(x)))
            return e / keras.ops.sum(e, axis=-1, keepdims=True)

    x = rng.normal(size=(48, 5)).astype("float32")
    y = rng.integers(0, 3, 48)
    model = _fit_both(Probabilities, x, y,
                      lambda: {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy"},
                      batch_size=16)
    _assert_replays(model)


def test_a_failed_recording_frees_its_arrays_before_the_eager_step():
    """The eager step that follows a failed recording does not run beside the failed
    recording's activations (a traceback kept alive would hold them: twice the memory
    of a step at that moment)."""
    if not RECORDS:
        pytest.skip("this backend records no steps")
    import weakref

    seen = {"recorded": None, "alive_in_eager": []}

    class FailsWhileRecorded(keras.layers.Layer):
        def call(self, inputs):
            outputs = inputs * 2.0
            if type(outputs.value).__name__ == "TraceArray":
                seen["recorded"] = weakref.ref(outputs.value)
                raise RuntimeError("not recordable")
            if seen["recorded"] is not None:
                seen["alive_in_eager"].append(seen["recorded"]() is not None)
            return outputs

    model = keras.Sequential([keras.Input((4,)), FailsWhileRecorded(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile="auto")
    x = rng.standard_normal((64, 4)).astype("float32")
    model.fit(x, x[:, :1], batch_size=16, epochs=1, verbose=0)
    assert seen["recorded"] is not None and seen["alive_in_eager"]
    assert not any(seen["alive_in_eager"])


def test_prediction_checks_come_less_often_after_each_one_passed(monkeypatch):
    """A replayed prediction is compared with the eager step again after 8 replays,
    then after twice as many each time a check passes (up to `RECHECK_AFTER_MOST`)."""
    if not RECORDS:
        pytest.skip("this backend records no steps")
    from kerasx.trainers import compiled_step

    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)
    monkeypatch.setattr(compiled_step, "RECHECK_AFTER_MOST", 32)
    checked = []
    verify = compiled_step.CompiledStep._verify_alone

    def counting(self, *args):
        checked.append(self._replays_total)
        return verify(self, *args)

    monkeypatch.setattr(compiled_step.CompiledStep, "_verify_alone", counting)
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = rng.standard_normal((8, 3)).astype("float32")
    step = None
    for _ in range(120):  # one batch a call
        model.predict(x, batch_size=8, verbose=0)
        step = model._compiled_predict_step
        step._replays_total = sum(p.runs for p in step.programs.values()
                                  if isinstance(p, compiled_step._Program))
    gaps = [b - a for a, b in zip(checked, checked[1:])]
    # the first comparison, then rechecks 8, 16, 32, 32, ... replays apart
    assert gaps[:4] == [8, 16, 32, 32] and set(gaps[3:]) == {32}
    assert step._recheck_after == 32
