"""Replays against eager work on more kinds of models: eager `model(x)` calls replayed
against the same calls run through the layers (interleaved with `fit` and with layers
made untrainable), steps owned by kerasx's threads (`KERASX_OWN_THREADS=1`) against
eager steps at one BLAS thread, split steps of branched models with random layers
against whole steps, and training replays of transposed, separable, 3-D, masked
attention, bidirectional, time-distributed and multi-output models, and of a model's
own `train_step`."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("replays of NumPy recordings", allow_module_level=True)

from kerasx.backends import numpy_threads  # noqa: E402
from kerasx.models import eager_replay  # noqa: E402
from kerasx.trainers import compiled_step  # noqa: E402
from tests.trainers.test_replay_fuzz import CONTROL, _assert_same, _replayed, _run  # noqa: E402

L = keras.layers
needs_control = pytest.mark.skipif(CONTROL is None, reason="the BLAS's threads cannot be set")


@pytest.fixture(autouse=True)
def _predictions_replayed_early(monkeypatch):
    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)


# -- eager calls -----------------------------------------------------------------------
def _dict_inputs_batch_norm():
    a, b = keras.Input((6,), name="a"), keras.Input((4,), name="b")
    merged = L.Concatenate()([L.Dense(5, activation="relu")(a), L.Dense(5)(b)])
    return keras.Model({"a": a, "b": b}, L.Dense(2)(L.BatchNormalization()(merged)))


def _dict_data(rng, n):
    a = (np.round(rng.standard_normal((n, 6)) * 2) / 2).astype("float32")  # ReLU at 0
    return {"a": a, "b": rng.standard_normal((n, 4)).astype("float32")}


def _masked_gru():
    return keras.Sequential([keras.Input((6, 3)), L.Masking(0.0), L.GRU(4),
                             L.Dense(2, activation="tanh")])


def _masked_data(rng, n):
    x = rng.standard_normal((n, 6, 3)).astype("float32")
    x[:, -2:] = 0.0  # masked steps
    x[: n // 2, 2:] = 0.0
    return x


def _list_inputs_two_outputs():
    a, b = keras.Input((6,)), keras.Input((6,))
    hidden = L.Maximum()([L.Dense(5, activation="relu")(a), L.Dense(5, activation="relu")(b)])
    return keras.Model([a, b], [L.Dense(2, activation="softmax")(hidden), L.Dense(1)(hidden)])


def _list_data(rng, n):
    a = rng.standard_normal((n, 6)).astype("float32") * 1e4
    return [a, np.zeros_like(a) if n % 2 else a[::-1].copy()]  # tied maxima


CALL_CASES = {"dict_inputs_batch_norm": (_dict_inputs_batch_norm, _dict_data),
              "masked_gru": (_masked_gru, _masked_data),
              "list_inputs_two_outputs": (_list_inputs_two_outputs, _list_data)}


def _calls(monkeypatch, name, replayed):
    """The outputs of a loop of calls (batches of 3 and 4, half of them with
    `training=False`), with `fit` every fourth call and the last layer made untrainable
    after the tenth, and the number of calls that were replayed."""
    make_model, make_data = CALL_CASES[name]
    monkeypatch.setattr(eager_replay, "CALL_RECORD_AFTER", 1 if replayed else 10 ** 9)
    keras.utils.set_random_seed(3)
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    rng = np.random.default_rng(3)
    outputs = []
    for i in range(24):
        x = make_data(rng, (3, 4)[i % 2])
        y = model(x, training=False) if i // 2 % 2 else model(x)
        outputs.append([np.asarray(t) for t in keras.tree.flatten(y)])
        if i % 4 == 3:
            fx = make_data(rng, 10)
            fy = [rng.standard_normal((10,) + tuple(o.shape[1:])).astype("float32")
                  for o in model.outputs]
            model.fit(fx, fy if len(fy) > 1 else fy[0], batch_size=5, verbose=0)
        if i == 9:
            model.layers[-1].trainable = False
            model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    served = sum(step.served for step in model._eager_calls.steps.values())
    return outputs + [model.get_weights()], served


@pytest.mark.parametrize("name", list(CALL_CASES))
def test_replayed_calls_between_fits_give_the_layers_outputs(monkeypatch, name):
    eager, _ = _calls(monkeypatch, name, replayed=False)
    replayed, served = _calls(monkeypatch, name, replayed=True)
    assert served > 0
    for a, b in zip(eager, replayed, strict=True):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(v, u)


# -- steps on kerasx's own threads -----------------------------------------------------
@needs_control
def test_steps_owned_by_two_threads_give_the_eager_steps_at_one_blas_thread(
        monkeypatch, two_blas_threads):
    # products of 64 x 512 by 512 x 640 (large enough to be split) whose sums OpenBLAS
    # orders alike at one and two threads, so the steps before the recording agree too
    rng = np.random.default_rng(11)
    x = rng.standard_normal((150, 512)).astype("float32")
    x[rng.random(x.shape) < 0.5] = 0.0
    y = rng.integers(0, 10, 150).astype("int64")
    case = {"seed": 11, "data": (x, y), "test_batch_size": 64,
            "model": lambda: keras.Sequential([
                keras.Input((512,)), L.Dense(640, activation="relu"), L.Dropout(0.2, seed=1),
                L.Dense(10, activation="softmax")]),
            "compile": lambda: {"optimizer": keras.optimizers.Adam(1e-3),
                                "loss": "sparse_categorical_crossentropy",
                                "metrics": [keras.metrics.SparseTopKCategoricalAccuracy(3)]},
            "fit": {"batch_size": 64, "epochs": 2}}
    monkeypatch.setenv("KERASX_OWN_THREADS", "1")
    if numpy_threads.owner() is None:
        pytest.skip("this BLAS does not give split products the bits of whole ones")
    owned = _run(monkeypatch, case, "whole")
    steps = owned["model"]._compiled_train_step.programs.values()
    assert any(isinstance(p, compiled_step._Program) and p.owner is not None and p.runs
               for p in steps)
    monkeypatch.setenv("KERASX_OWN_THREADS", "0")
    CONTROL.set(1)
    _assert_same(_run(monkeypatch, case, "eager"), owned)


# -- split steps with random layers ----------------------------------------------------
@needs_control
def test_branches_with_random_layers_split_as_whole_steps(monkeypatch, two_blas_threads):
    """Merged branches of every random layer, seeded and not: each half takes its rows
    of the whole step's draws (float64: only the order of the halves' sums differs),
    the seed counters and the global generator end where the whole steps leave them."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((47, 6, 4))  # a last batch of 7: halves of 3 and 4
    y = rng.integers(0, 3, 47).astype("int64")
    f64 = {"dtype": "float64"}

    def model():
        inputs = keras.Input((6, 4), dtype="float64")
        a = L.SpatialDropout1D(0.3, seed=4, **f64)(L.Dense(4, activation="relu", **f64)(inputs))
        b = L.GaussianNoise(0.5, **f64)(L.Conv1D(4, 2, padding="same", **f64)(inputs))
        c = L.AlphaDropout(0.3, seed=5, **f64)(L.Dense(4, activation="selu", **f64)(inputs))
        merged = L.Subtract(**f64)([L.Maximum(**f64)([a, b]), c])
        merged = L.GaussianDropout(0.3, **f64)(L.Dropout(0.5, seed=6, **f64)(merged))
        return keras.Model(inputs, L.Dense(3, activation="softmax", **f64)(L.Flatten(**f64)(merged)))

    case = {"seed": 12, "data": (x, y), "model": model,
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.05, momentum=0.5),
                                "loss": "sparse_categorical_crossentropy",
                                "metrics": ["accuracy"]},
            "fit": {"batch_size": 8, "epochs": 2}}
    runs = {}
    for mode in ("eager", "split"):
        runs[mode] = _run(monkeypatch, case, mode)
        runs[mode]["next draw"] = np.asarray(keras.random.uniform((3,)))
    assert runs["split"]["model"]._compiled_train_step._split
    _assert_same(runs["eager"], runs["split"], rtol=1e-12, atol=1e-15)
    counters = [[layer._seeds.calls for layer in runs[mode]["model"].layers
                 if getattr(layer, "seed", None) is not None] for mode in runs]
    assert counters == [[12, 12, 12]] * 2  # 6 batches, 2 epochs
    np.testing.assert_array_equal(runs["split"]["next draw"], runs["eager"]["next draw"])


# -- more kinds of layers in training replays ------------------------------------------
def _images(seed, n, shape):
    rng = np.random.default_rng(seed)
    x = (np.round(rng.standard_normal((n,) + shape) * 2) / 2).astype("float32")
    x[: n // 3] = 1.0
    return rng, x


def _transposed_and_separable():
    rng, x = _images(21, 29, (6, 6, 3))
    y = rng.integers(0, 2, (29, 1)).astype("float32")
    return {"seed": 21, "data": (x, y),
            "model": lambda: keras.Sequential([
                keras.Input((6, 6, 3)), L.Conv2DTranspose(3, 3, strides=2, activation="relu"),
                L.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu"),
                L.Cropping2D(1), L.ZeroPadding2D(((1, 0), (0, 1))), L.MaxPooling2D(2),
                L.Flatten(), L.Dense(1, activation="sigmoid")]),
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.05, momentum=0.9),
                                "loss": "binary_crossentropy",
                                "metrics": [keras.metrics.AUC(num_thresholds=50),
                                            keras.metrics.Precision(thresholds=[0.3, 0.5, 0.7])]},
            "fit": {"batch_size": 5, "epochs": 2, "validation_data": (x[:9], y[:9])}}


def _volumes():
    rng, x = _images(22, 26, (4, 4, 4, 2))
    y = rng.standard_normal((26, 2)).astype("float32")
    return {"seed": 22, "data": (x, y),
            "model": lambda: keras.Sequential([
                keras.Input((4, 4, 4, 2)), L.UpSampling3D(2), L.Conv3D(2, 3, strides=2),
                L.Conv3DTranspose(2, 2, activation="tanh"), L.GlobalAveragePooling3D(),
                L.Dense(2)]),
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.05), "loss": "mse",
                                "metrics": ["mae"], "steps_per_execution": 2},
            "fit": {"batch_size": 4, "epochs": 2}}


def _sequences():
    rng = np.random.default_rng(23)
    x = rng.standard_normal((31, 8, 3)).astype("float32") * 100  # saturated gates
    y = rng.integers(0, 3, 31).astype("int64")
    return {"seed": 23, "data": (x, y),
            "model": lambda: keras.Sequential([
                keras.Input((8, 3)), L.Conv1DTranspose(3, 3, strides=2),
                L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="mul"),
                L.LSTM(3, return_sequences=True, go_backwards=True), L.GroupNormalization(3),
                L.DepthwiseConv1D(3, depth_multiplier=2), L.Flatten(),
                L.Dense(3, activation="softmax")]),
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.05),
                                "loss": "sparse_categorical_crossentropy",
                                "metrics": [keras.metrics.SparseTopKCategoricalAccuracy(2)]},
            "fit": {"batch_size": 8, "epochs": 2}}


def _time_distributed():
    rng, x = _images(24, 21, (3, 5, 5, 2))
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 21)]
    return {"seed": 24, "data": (x, y),
            "model": lambda: keras.Sequential([
                keras.Input((3, 5, 5, 2)), L.TimeDistributed(L.Conv2D(2, 3, activation="relu")),
                L.TimeDistributed(L.Flatten()), L.SimpleRNN(4), L.LayerNormalization(),
                L.Dense(3, activation="softmax")]),
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.05),
                                "loss": "categorical_crossentropy",
                                "metrics": [keras.metrics.TopKCategoricalAccuracy(2),
                                            keras.metrics.AUC(multi_label=True)]},
            "fit": {"batch_size": 5, "epochs": 2}}


def _masked_attention_two_outputs():
    rng = np.random.default_rng(25)
    x = rng.integers(1, 10, (27, 7)).astype("int32")
    x[:, 5:] = 0
    x[::3, 3:] = 0
    y = [rng.integers(0, 2, (27, 1)).astype("float32"),
         rng.standard_normal((27, 2)).astype("float32")]

    def model():
        inputs = keras.Input((7,), dtype="int32")
        embedded = L.Embedding(10, 4, mask_zero=True)(inputs)
        attended = L.MultiHeadAttention(2, 3)(embedded, embedded, use_causal_mask=True)
        scored = L.Attention(score_mode="concat")([embedded, attended])
        pooled = L.GlobalAveragePooling1D()(scored)
        # (outputs named: the logs' names, and so their order, the same in every run)
        return keras.Model(inputs, [L.Dense(1, activation="sigmoid", name="p")(pooled),
                                    L.Dense(2, name="q")(pooled)])

    return {"seed": 25, "data": (x, y), "model": model,
            "compile": lambda: {"optimizer": keras.optimizers.Adam(0.01),
                                "loss": ["binary_crossentropy", "mse"], "loss_weights": [0.7, 0.3],
                                "metrics": [[keras.metrics.AUC(), "accuracy"], ["mae"]]},
            "fit": {"batch_size": 6, "epochs": 2}}


LAYER_CASES = {"transposed_and_separable": _transposed_and_separable, "volumes": _volumes,
               "sequences": _sequences, "time_distributed": _time_distributed,
               "masked_attention_two_outputs": _masked_attention_two_outputs}


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_more_kinds_of_layers_replay_as_eager_steps(monkeypatch, name):
    case = LAYER_CASES[name]()
    whole = _run(monkeypatch, case, "whole")
    assert all(_replayed(whole)), _replayed(whole)
    eager = _run(monkeypatch, case, "eager")
    # (flattened: a metric with several thresholds logs a list)
    for a, b in zip(*(keras.tree.flatten([r[k] for k in ("weights", "history", "evaluate",
                                                       "predict")]) for r in (eager, whole)),
                    strict=True):
        np.testing.assert_array_equal(b, a)


# -- a train_step of the model's own -------------------------------------------------
class _OwnStep(keras.Model):
    """The usual custom step: gradients on a tape (clipped), each of `self.metrics`
    updated by hand; logs flat, or (`nested`) each metric's result under its name, as
    Keras's guide writes them (the compiled metrics' result is then a dict)."""

    nested = False

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            prediction = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=prediction)
        grads = tape.gradient(loss, self.trainable_variables)
        grads = [keras.ops.clip(g, -0.5, 0.5) for g in grads]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        logs = {}
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, prediction)
            result = metric.result()
            if isinstance(result, dict) and not self.nested:
                logs.update(result)
            else:
                logs[metric.name] = result
        return logs


class _NestedLogs(_OwnStep):
    nested = True


def _own_step_case(kind):
    rng = np.random.default_rng(26)
    x = rng.standard_normal((40, 6)).astype("float32")
    y = rng.standard_normal((40, 2)).astype("float32")

    def model():
        inputs = keras.Input((6,))
        return kind(inputs, L.Dense(2)(L.Dense(5, activation="relu")(inputs)))

    return {"seed": 26, "data": (x, y), "model": model,
            "compile": lambda: {"optimizer": keras.optimizers.SGD(0.05), "loss": "mse",
                                "metrics": ["mae"]},
            "fit": {"batch_size": 4, "epochs": 1}}


def test_a_train_step_of_its_own_replays_as_its_eager_steps(monkeypatch):
    case = _own_step_case(_OwnStep)
    whole = _run(monkeypatch, case, "whole")
    assert _replayed(whole)[0] > 0
    _assert_same(_run(monkeypatch, case, "eager"), whole)


def test_a_train_step_logging_the_compiled_metrics_dict_is_replayed(monkeypatch):
    case = _own_step_case(_NestedLogs)
    whole = _run(monkeypatch, case, "whole")
    assert _replayed(whole)[0] > 0, whole["model"]._compiled_train_step.reasons
