"""Training, evaluation and prediction replayed from recordings, whole and split in
halves of the batch, against eager steps (`jit_compile=False`) on small models and
data that change the kernels' choices between batches: ties and constant regions
(max pooling winners, ReLU at 0), many zeros, large values, label sets that differ
by batch, odd last batches, sample and class weights, validation data and several
steps per execution. Whole replays give the eager steps' values bit for bit; split
ones add the halves' gradients in another order, so agree to float32 rounding."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("replays of NumPy recordings", allow_module_level=True)

from kerasx.backends.numpy_blas import threads  # noqa: E402
from kerasx.trainers import compiled_step  # noqa: E402

L = keras.layers
CONTROL = threads()


@pytest.fixture(autouse=True)
def _predictions_replayed_early(monkeypatch):
    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)


def _run(monkeypatch, case, mode):
    """Weights, history, evaluation and predictions of `case` trained `mode`ly:
    "eager", "whole" (replayed) or "split" (replayed in halves where it may be)."""
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "1" if mode == "split" else "0")
    keras.utils.set_random_seed(case["seed"])
    model = case["model"]()
    model.compile(jit_compile=mode != "eager", **case["compile"]())
    x, y = case["data"]
    history = model.fit(x, y, shuffle=False, verbose=0, **case["fit"])
    xv, yv = case.get("test", case["data"])
    batch_size = case.get("test_batch_size", 3)
    return {"weights": model.get_weights(),
            "history": [history.history[k] for k in sorted(history.history)],
            "evaluate": model.evaluate(xv, yv, batch_size=batch_size, verbose=0),
            "predict": model.predict(xv, batch_size=batch_size, verbose=0),
            "model": model}


def _values(result):
    return [*result["weights"], *map(np.asarray, result["history"]),
            np.asarray(result["evaluate"]), result["predict"]]


def _assert_same(eager, replayed, rtol=0.0, atol=0.0):
    for a, b in zip(_values(eager), _values(replayed), strict=True):
        if rtol or atol:
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(b, a)


def _replayed(result):
    """The number of train, test and predict steps that ran a replay."""
    model = result["model"]
    return [sum(p.runs for p in getattr(model, f"_compiled_{mode}_step").programs.values()
                if isinstance(p, compiled_step._Program))
            for mode in ("train", "test", "predict")]


def _sgd(momentum=0.0):
    return lambda: {"optimizer": keras.optimizers.SGD(0.05, momentum=momentum)}


def _conv2d_ties():
    # values on a half grid: tied maxima in the pooling windows, ReLU inputs at 0
    rng = np.random.default_rng(1)
    x = (np.round(rng.standard_normal((23, 6, 6, 8)) * 2) / 2).astype("float32")
    y = (np.arange(23) // 5 % 3).astype("int64")  # each batch holds one class
    return {
        "seed": 1, "data": (x, y),
        "model": lambda: keras.Sequential([
            keras.Input((6, 6, 8)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
            L.BatchNormalization(), L.Flatten(), L.Dense(3, activation="softmax")]),
        "compile": lambda: {**_sgd(0.9)(), "loss": "sparse_categorical_crossentropy",
                            "metrics": ["accuracy"], "steps_per_execution": 2},
        "fit": {"batch_size": 5, "epochs": 3, "class_weight": {0: 1.0, 1: 2.0, 2: 0.5},
                "validation_data": (x[:9], y[:9])}}


def _conv1d_zeros():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 12, 3)).astype("float32")
    x[rng.random(x.shape) < 0.7] = 0.0
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 30)]
    return {
        "seed": 2, "data": (x, y),
        "model": lambda: keras.Sequential([
            keras.Input((12, 3)), L.Conv1D(4, 3, strides=2, padding="same", activation="relu"),
            L.GlobalMaxPooling1D(), L.Dense(3, activation="softmax")]),
        "compile": lambda: {**_sgd()(), "loss": "categorical_crossentropy",
                            "metrics": ["categorical_accuracy"]},
        "fit": {"batch_size": 4, "epochs": 2, "sample_weight": np.linspace(0.2, 2.0, 30)}}


def _masked_gru():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10, (26, 7)).astype("int32")
    x[:, 4:] = 0  # padding the mask hides
    x[::3, 2:] = 0
    y = rng.integers(0, 2, 26).astype("int64")
    return {
        "seed": 3, "data": (x, y),
        "model": lambda: keras.Sequential([
            keras.Input((7,), dtype="int32"), L.Embedding(10, 4, mask_zero=True), L.GRU(5),
            L.Dense(2, activation="softmax")]),
        "compile": lambda: {**_sgd(0.9)(), "loss": "sparse_categorical_crossentropy",
                            "metrics": ["accuracy"]},
        "fit": {"batch_size": 8, "epochs": 2}}


def _attention_merge():
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((29, 5, 4)) * 10).astype("float32")
    x[:12] = 1.0  # identical samples: constant attention scores
    y = rng.standard_normal((29, 2)).astype("float32")

    def model():
        inputs = keras.Input((5, 4))
        attended = L.LayerNormalization()(L.MultiHeadAttention(2, 3)(inputs, inputs))
        merged = L.Add()([attended, L.Dense(4, activation="relu")(inputs)])
        return keras.Model(inputs, L.Dense(2)(L.GlobalAveragePooling1D()(merged)))

    return {"seed": 4, "data": (x, y), "model": model,
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.002), "loss": "mse",
                                "metrics": ["mae"],
                                "steps_per_execution": 3},
            "fit": {"batch_size": 4, "epochs": 2, "validation_data": (x[-8:], y[-8:])}}


def _dense_dropout():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((48, 6)).astype("float32")
    y = rng.integers(0, 3, 48).astype("int64")
    return {
        "seed": 5, "data": (x, y),
        "model": lambda: keras.Sequential([
            keras.Input((6,)), L.Dense(7, activation="relu"), L.Dropout(0.25),
            L.Dense(3, activation="softmax")]),
        "compile": lambda: {**_sgd()(), "loss": "sparse_categorical_crossentropy",
                            "metrics": ["accuracy"]},
        "fit": {"batch_size": 8, "epochs": 2}}


CASES = {"conv2d_ties": _conv2d_ties, "conv1d_zeros": _conv1d_zeros,
         "masked_gru": _masked_gru, "attention_merge": _attention_merge,
         "dense_dropout": _dense_dropout}


@pytest.mark.parametrize("name", list(CASES))
def test_replays_train_evaluate_and_predict_as_eager_steps(monkeypatch, two_blas_threads, name):
    case = CASES[name]()
    eager = _run(monkeypatch, case, "eager")
    whole = _run(monkeypatch, case, "whole")
    assert all(_replayed(whole)), _replayed(whole)  # every kind of step was replayed
    _assert_same(eager, whole)
    split = _run(monkeypatch, case, "split")
    _assert_same(eager, split, rtol=1e-5, atol=1e-6)


def _ties_then_none():
    # the first half of the samples alike: every position of the convolution ties for
    # the global maximum, so the sparse gradient kernel declines there and not after
    rng = np.random.default_rng(6)
    x = rng.standard_normal((30, 8, 8, 8)).astype("float32")
    x[:20] = 1.0
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 30)]
    return {
        "seed": 6, "data": (x, y),
        "model": lambda: keras.Sequential([
            keras.Input((8, 8, 8)), L.Conv2D(4, 3), L.GlobalMaxPooling2D(), L.Dropout(0.25),
            L.Dense(3, activation="softmax")]),
        "compile": lambda: {**_sgd()(), "loss": "categorical_crossentropy"},
        "fit": {"batch_size": 5, "epochs": 1}}


def test_a_replay_failing_a_guard_leaves_the_random_draws_to_the_eager_step(monkeypatch):
    case = _ties_then_none()
    eager = _run(monkeypatch, case, "eager")
    whole = _run(monkeypatch, case, "whole")
    step = whole["model"]._compiled_train_step
    assert sum(p.misses for p in step.programs.values()) > 0  # a guard failed
    _assert_same(eager, whole)


def test_auc_counts_follow_the_replayed_predictions(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 3)).astype("float32")
    # the batches the recording is checked on: scores in one bucket of the thresholds,
    # two positive labels each, so the same counts
    x[:20] = 1.0 + 1e-4 * x[:20]
    y = rng.integers(0, 2, (40, 1)).astype("float32")
    y[:20, 0] = np.tile([1.0, 0.0], 10)
    case = {"seed": 7, "data": (x, y), "test_batch_size": 4,
            "model": lambda: keras.Sequential([keras.Input((3,)),
                                               L.Dense(1, activation="sigmoid")]),
            "compile": lambda: {**_sgd()(), "loss": "binary_crossentropy",
                                "metrics": [keras.metrics.AUC()]},
            "fit": {"batch_size": 4, "epochs": 1}}
    _assert_same(_run(monkeypatch, case, "eager"), _run(monkeypatch, case, "whole"))


@pytest.mark.skipif(CONTROL is None, reason="steps split where the BLAS's threads can be set")
def test_split_steps_draw_the_whole_steps_dropout_masks_for_odd_halves(monkeypatch,
                                                                      two_blas_threads):
    case = _dense_dropout()
    x, y = case["data"]
    case["data"] = (x[:47], y[:47])  # a last batch of 7: halves of 3 and 4
    _assert_same(_run(monkeypatch, case, "eager"), _run(monkeypatch, case, "split"),
                 rtol=1e-5, atol=1e-6)


def test_a_kernel_declining_at_recording_is_checked_at_replay(monkeypatch):
    # batches 0 and 1 tie for the global maximum (the sparse gradient kernel declines),
    # 2 and 3 do not: the first recording fails its check on batch 2, the second, with
    # the kernels recorded as calls, is made on the next epoch's batch 0
    rng = np.random.default_rng(9)
    x = rng.standard_normal((56, 8, 8, 5)).astype("float32")
    x[:28] = 1.0
    x[28:, ..., :1] = 0.0
    y = rng.integers(0, 2, (56, 1)).astype("float32")
    case = {"seed": 9, "data": (x, y),
            "model": lambda: keras.Sequential([
                keras.Input((8, 8, 5)), L.Conv2D(4, 3, dilation_rate=2),
                L.GlobalMaxPooling2D(), L.Dense(1, activation="sigmoid")]),
            "compile": lambda: {**_sgd()(), "loss": "binary_crossentropy"},
            "fit": {"batch_size": 16, "epochs": 2}}
    _assert_same(_run(monkeypatch, case, "eager"), _run(monkeypatch, case, "whole"))


def test_a_kernel_declining_after_the_step_changed_a_variable_does_not_crash(monkeypatch):
    rng = np.random.default_rng(2012 * 7 + 1)
    x = rng.standard_normal((57, 9, 5)).astype("float32")
    x[rng.random(x.shape) < 0.7] = 0.0  # ReLU outputs tie for the global maximum at 0
    y = rng.integers(0, 4, 57).astype("int64")
    case = {"seed": 2012, "data": (x, y),
            "model": lambda: keras.Sequential([
                keras.Input((9, 5)), L.SeparableConv1D(4, 3, activation="relu"),
                L.BatchNormalization(), L.GlobalMaxPooling1D(),
                L.Dense(4, activation="softmax")]),
            "compile": lambda: {**_sgd()(), "loss": "sparse_categorical_crossentropy"},
            "fit": {"batch_size": 5, "epochs": 1}}
    _assert_same(_run(monkeypatch, case, "eager"), _run(monkeypatch, case, "whole"))
