"""Training steps split in two halves of the batch (`kerasx.trainers.split_step`): the
same training as whole steps up to the order of the additions, replays verified bit
for bit against the eager split step, both halves run on two threads at once, and
models whose samples could meet in a step are never split."""

import threading

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("split steps replay NumPy recordings", allow_module_level=True)

from kerasx.backends import numpy_threads  # noqa: E402
from kerasx.backends.numpy_blas import threads  # noqa: E402
from kerasx.trainers import split_step  # noqa: E402

CONTROL = threads()
needs_control = pytest.mark.skipif(
    CONTROL is None, reason="NumPy here bundles no OpenBLAS whose thread count can be set")


def _convnet(dtype="float32", dropout=0.0, regularizer=None, extra=()):
    keras.utils.set_random_seed(3)
    layers = [keras.Input((8, 8, 2), dtype=dtype),
              keras.layers.Conv2D(4, 3, activation="relu", dtype=dtype,
                                  kernel_regularizer=regularizer),
              keras.layers.MaxPooling2D(2, dtype=dtype), *extra,
              keras.layers.Flatten(dtype=dtype)]
    if dropout:
        layers.append(keras.layers.Dropout(dropout, dtype=dtype))
    layers.append(keras.layers.Dense(3, activation="softmax", dtype=dtype))
    model = keras.Sequential(layers)
    # (a loss in float64 too: losses compute in float32 unless told otherwise, as Keras's)
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(dtype=dtype), metrics=["accuracy"])
    return model


def _data(n=60, dtype="float32"):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 8, 8, 2)).astype(dtype), rng.integers(0, 3, n)


def _fit(monkeypatch, split, model=None, batch_size=15, epochs=3, **kwargs):
    monkeypatch.setenv("KERASX_SPLIT_STEPS", split)
    model = model or _convnet()
    x, y = _data()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                        shuffle=False, **kwargs)
    return model, history.history


def _step(model):
    (program,) = model._compiled_train_step.programs.values()
    return program


@needs_control
def test_split_steps_train_as_whole_steps_in_float64(monkeypatch, two_blas_threads):
    """Odd batches (7 + 8 samples), sample weights and a weight penalty added once."""
    weights = np.linspace(0.5, 2.0, 60)
    runs = {}
    for split in ("0", "1"):
        model = _convnet("float64", regularizer=keras.regularizers.L2(0.01))
        runs[split] = _fit(monkeypatch, split, model, sample_weight=weights)
    (whole, whole_logs), (halves, halves_logs) = runs["0"], runs["1"]
    assert not whole._compiled_train_step._split
    assert _step(halves).verified and halves._compiled_train_step._split
    for a, b in zip(whole.get_weights(), halves.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    for key in whole_logs:
        np.testing.assert_allclose(whole_logs[key], halves_logs[key], rtol=1e-6)  # float32 logs



@needs_control
def test_per_sample_normalizations_train_split_as_whole_steps_in_float64(monkeypatch,
                                                                         two_blas_threads):
    # each normalizes within a sample, so halves of the batch give the whole step's values
    def model():
        L = keras.layers
        return _convnet("float64", extra=[
            L.Rescaling(0.5, 0.1, dtype="float64"), L.GroupNormalization(2, dtype="float64"),
            L.Normalization(mean=0.2, variance=2.0, dtype="float64"),
            L.RMSNormalization(dtype="float64"), L.UnitNormalization(dtype="float64")])

    runs = {split: _fit(monkeypatch, split, model(), epochs=2) for split in ("0", "1")}
    (whole, _), (halves, _) = runs["0"], runs["1"]
    assert _step(halves).verified and halves._compiled_train_step._split
    for a, b in zip(whole.get_weights(), halves.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@needs_control
def test_random_layers_draw_in_split_steps_as_in_whole_steps(monkeypatch, two_blas_threads):
    """Each half takes its rows of the whole batch's masks and noise, and a seeded
    layer counts one draw per step (odd batches: halves of 7 and 8 samples)."""
    L = keras.layers

    def model():
        return _convnet("float64", extra=[
            L.GaussianNoise(0.1, dtype="float64"), L.SpatialDropout2D(0.3, dtype="float64"),
            L.GaussianDropout(0.2, seed=5, dtype="float64"),
            L.AlphaDropout(0.1, dtype="float64"), L.Dropout(0.4, seed=7, dtype="float64")])

    runs = {split: _fit(monkeypatch, split, model(), epochs=2) for split in ("0", "1")}
    (whole, _), (halves, _) = runs["0"], runs["1"]
    assert _step(halves).verified and halves._compiled_train_step._split
    for a, b in zip(whole.get_weights(), halves.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    seeded = [[layer._seeds.calls for layer in model.layers
               if getattr(layer, "seed", None) is not None] for model in (whole, halves)]
    assert seeded == [[8, 8], [8, 8]]  # 4 batches, 2 epochs


@needs_control
def test_noise_layers_are_split_and_inactive_outside_training(monkeypatch, two_blas_threads):
    L = keras.layers
    model, _ = _fit(monkeypatch, "1", _convnet(extra=[
        L.GaussianNoise(0.1), L.GaussianDropout(0.2), L.AlphaDropout(0.1)]), epochs=2)
    steps = model._compiled_train_step
    assert _step(model).verified and steps._split and steps.reasons == {}
    x, _ = _data()
    np.testing.assert_allclose(model.predict(x, batch_size=15, verbose=0), model(x),
                               rtol=1e-5, atol=1e-6)

@needs_control
def test_the_replay_runs_both_halves_at_once_and_matches_the_eager_split_step(
        monkeypatch, two_blas_threads):
    seen = []
    both = numpy_threads.Pair.both

    def spying(pair, fn, first, second):
        seen.append(threading.get_ident())
        return both(pair, fn, first, second)

    monkeypatch.setattr(numpy_threads.Pair, "both", spying)
    model, _ = _fit(monkeypatch, "1", _convnet(dropout=0.3), epochs=2)
    program = _step(model)
    # verified: a replayed step left the weights, the metrics and the random generator
    # bit for bit as the eager split step did
    assert program.verified and program.replay.segmented and program.owner is not None
    assert "_segments(_s0, _s1)" in program.replay.source
    assert seen  # the segments were handed to the pair's worker
    assert CONTROL.get() == 2  # the BLAS's threads are given back after each step
    # the same seeds give the same training (draws made in the recorded order)
    again, _ = _fit(monkeypatch, "1", _convnet(dropout=0.3), epochs=2)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model._compiled_train_step.reasons == {}


@needs_control
def test_a_label_out_of_range_in_a_half_raises_as_in_a_whole_step(monkeypatch,
                                                                   two_blas_threads):
    model, _ = _fit(monkeypatch, "1")
    assert _step(model).verified
    x, y = _data()
    y = y.copy()
    y[50] = 7  # in the second half of the fourth batch
    with pytest.raises(ValueError, match="7"):
        model.fit(x, y, batch_size=15, epochs=1, verbose=0, shuffle=False)


@pytest.mark.parametrize("change, reason", [
    (lambda: dict(extra=[keras.layers.BatchNormalization()]), "may mix the samples"),
    (lambda: dict(extra=[keras.layers.Lambda(lambda t: t)]), "may mix the samples"),
    (lambda: dict(extra=[keras.layers.ActivityRegularization(0.1)]), "may mix the samples"),
])
def test_models_whose_samples_could_meet_are_not_split(change, reason):
    model = _convnet(**change())
    assert reason in split_step.split_reason(model)


def test_a_nested_model_of_per_sample_layers_is_split_and_one_holding_others_is_not():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(2)])
    outer.compile("adam", "mse")
    assert split_step.split_reason(outer) is None
    normalized = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    outer = keras.Sequential([keras.Input((4,)), normalized, keras.layers.Dense(2)])
    outer.compile("adam", "mse")
    assert "BatchNormalization" in split_step.split_reason(outer)


def test_custom_losses_metrics_and_steps_are_not_split():
    model = _convnet()
    assert split_step.split_reason(model) is None
    model.compile("adam", lambda y, p: keras.ops.mean((y - p) ** 2))
    assert "loss" in split_step.split_reason(model)
    model.compile("adam", keras.losses.MeanSquaredError(reduction="sum"))
    assert "reduction" in split_step.split_reason(model)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(ignore_class=0))
    assert "ignores a class" in split_step.split_reason(model)
    model.compile("adam", "mse", metrics=[lambda y, p: keras.ops.mean(p)])
    assert "metric" in split_step.split_reason(model)

    class Own(keras.Sequential):
        def train_step(self, data):
            return super().train_step(data)

    own = Own([keras.Input((3,)), keras.layers.Dense(2)])
    own.compile("adam", "mse")
    assert "only Sequential and functional" in split_step.split_reason(own)


def test_the_work_estimate_counts_each_weight_matrix_at_each_position():
    model = _convnet()
    # Conv2D: 3 x 3 x 2 x 4 weights at 6 x 6 positions; Dense: 3 x 3 x 4 -> 3 at one
    assert split_step.multiply_adds(model) == 72 * 36 + 36 * 3
    lstm = keras.Sequential([keras.Input((10, 5)), keras.layers.LSTM(4),
                             keras.layers.Dense(1)])
    assert split_step.multiply_adds(lstm) == (5 * 16 + 4 * 16) * 10 + 4


def test_small_steps_stay_whole_unless_asked(monkeypatch):
    model = _convnet()
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "auto")
    assert split_step.step_for(model, 64) is None
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "1")
    assert split_step.step_for(model, 64) is not None
    assert split_step.step_for(model, 1) is None
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "0")
    assert split_step.step_for(model, 64) is None
    # recurrent layers (a Python loop over time steps) only when asked, however large
    recurrent = _sequence_model("recurrent")
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "auto")
    assert split_step.step_for(recurrent, 10 ** 9) is None
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "1")
    assert split_step.step_for(recurrent, 2) is not None


def _sequence_model(kind):
    keras.utils.set_random_seed(3)
    d = "float64"
    inputs = keras.Input((7, 4), dtype=d)
    if kind == "recurrent":
        h = keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True, dtype=d),
                                       dtype=d)(inputs)
        h = keras.layers.SimpleRNN(4, dtype=d)(keras.layers.GRU(5, return_sequences=True,
                                                                dtype=d)(h))
    else:
        h = keras.layers.MultiHeadAttention(2, 3, dtype=d)(inputs, inputs)
        h = keras.layers.LayerNormalization(dtype=d)(keras.layers.Add(dtype=d)([inputs, h]))
        h = keras.layers.GlobalAveragePooling1D(dtype=d)(h)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", dtype=d)(h))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(dtype=d))
    return model


@needs_control
@pytest.mark.parametrize("kind", ["recurrent", "attention"])
def test_recurrent_and_attention_models_split_as_whole_steps(monkeypatch, two_blas_threads,
                                                             kind):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 7, 4)), rng.integers(0, 3, 30)
    weights = {}
    for split in ("0", "1"):
        monkeypatch.setenv("KERASX_SPLIT_STEPS", split)
        model = _sequence_model(kind)
        model.fit(x, y, batch_size=15, epochs=4, verbose=0, shuffle=False)
        assert bool(model._compiled_train_step._split) == (split == "1")
        assert _step(model).verified
        weights[split] = model.get_weights()
    for a, b in zip(weights["0"], weights["1"]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


@needs_control
def test_evaluate_and_predict_split_as_whole_steps(monkeypatch, two_blas_threads):
    from kerasx.trainers import compiled_step

    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)
    x, y = _data(dtype="float64")
    results = {}
    for split in ("0", "1"):
        monkeypatch.setenv("KERASX_SPLIT_STEPS", split)
        model = _convnet("float64", regularizer=keras.regularizers.L2(0.01))
        evaluated = [model.evaluate(x, y, batch_size=15, verbose=0) for _ in range(3)]
        predicted = [model.predict(x, batch_size=15, verbose=0) for _ in range(3)]
        for steps in (model._compiled_test_step, model._compiled_predict_step):
            assert bool(steps._split) == (split == "1") and steps.reasons == {}
            assert all(program.verified for program in steps.programs.values())
        results[split] = evaluated, predicted
    np.testing.assert_allclose(results["0"][0], results["1"][0], rtol=1e-6)  # float32 logs
    np.testing.assert_allclose(results["0"][1], results["1"][1], rtol=1e-12, atol=1e-15)



@needs_control
@pytest.mark.parametrize("split, extra, recorded", [
    ("1", (), True), ("0", (), False), ("1", ("ActivityRegularization",), False)])
def test_a_split_prediction_is_recorded_at_its_second_batch(monkeypatch, two_blas_threads,
                                                           split, extra, recorded):
    # its replays run the halves on two cores: it does not wait `PREDICT_RECORD_AFTER`
    # batches as whole predictions do (their replays save only Python overhead)
    from kerasx.trainers import compiled_step

    monkeypatch.setenv("KERASX_SPLIT_STEPS", split)
    model = _convnet(extra=[getattr(keras.layers, name)() for name in extra])
    x, _ = _data()
    predicted = model.predict(x, batch_size=15, verbose=0)  # 4 batches of one signature
    (program,) = model._compiled_predict_step.programs.values()
    if recorded:
        # recorded at the second batch, compared at the third, replayed at the fourth
        assert isinstance(program, compiled_step._Program)
        assert program.verified and program.owner is not None and program.runs == 1
    else:
        assert program == 4  # eager steps counted
    np.testing.assert_allclose(predicted, model(x), rtol=1e-5, atol=1e-6)


@needs_control
def test_a_dense_prediction_waits_for_its_recording_as_whole_ones_do(monkeypatch,
                                                                    two_blas_threads):
    # its replays split in halves gain too little to pay for an early recording
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "1")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).standard_normal((60, 6)).astype("float32")
    model.predict(x, batch_size=15, verbose=0)
    assert list(model._compiled_predict_step.programs.values()) == [4]


@needs_control
def test_batch_normalization_is_split_in_evaluation_and_prediction_only(monkeypatch,
                                                                        two_blas_threads):
    # its moving statistics make it per sample outside training, even where the model's
    # graph was built calling it with `training=True` (the step's `training=False` wins)
    x, y = _data(dtype="float64")
    runs = {}
    for split in ("0", "1"):
        monkeypatch.setenv("KERASX_SPLIT_STEPS", split)
        keras.utils.set_random_seed(3)
        inputs = keras.Input((8, 8, 2), dtype="float64")
        hidden = keras.layers.Conv2D(4, 3, dtype="float64")(inputs)
        hidden = keras.layers.BatchNormalization(dtype="float64")(hidden, training=True)
        outputs = keras.layers.Dense(3, activation="softmax", dtype="float64")(
            keras.layers.Flatten(dtype="float64")(hidden))
        model = keras.Model(inputs, outputs)
        model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(dtype="float64"))
        model.fit(x, y, batch_size=15, epochs=1, verbose=0, shuffle=False)
        runs[split] = (model, [model.evaluate(x, y, batch_size=15, verbose=0)
                               for _ in range(3)],
                       [model.predict(x, batch_size=15, verbose=0) for _ in range(3)])
    whole, halves = runs["0"][0], runs["1"][0]
    assert not halves._compiled_train_step._split
    assert halves._compiled_test_step._split and halves._compiled_predict_step._split
    assert not whole._compiled_predict_step._split
    np.testing.assert_allclose(runs["0"][1], runs["1"][1], rtol=1e-6)  # float32 logs
    np.testing.assert_allclose(runs["0"][2], runs["1"][2], rtol=1e-12, atol=1e-15)

@needs_control
def test_a_model_with_two_outputs_predicts_split_in_its_structure(monkeypatch,
                                                                  two_blas_threads):
    from kerasx.trainers import compiled_step

    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "1")
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    model = keras.Model(inputs, {"a": keras.layers.Dense(2)(hidden),
                                 "b": keras.layers.Dense(3)(hidden)})
    x = np.random.default_rng(2).standard_normal((21, 5)).astype("float32")
    outputs = [model.predict(x, batch_size=7, verbose=0) for _ in range(4)]
    assert model._compiled_predict_step._split
    assert sorted(outputs[-1]) == ["a", "b"] and outputs[-1]["b"].shape == (21, 3)
    np.testing.assert_allclose(outputs[-1]["a"], model(x)["a"], rtol=1e-6, atol=1e-7)
