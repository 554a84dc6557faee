"""The per-output loss trackers of a multi-output model as Keras 3.15.1 names them
(`compile_loss/<output>_loss/total`, listed in `model.metrics` once a first step built
them), `CompileMetrics.metrics` as Keras's list of metric objects, `.keras` files of such
compiled models in both directions, and `compute_loss` overrides without `training`."""

import os
import subprocess

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


def _two_outputs(dict_outputs=False):
    keras.utils.set_random_seed(5)
    inputs = keras.Input((3,))
    a = keras.layers.Dense(1, name="a")(inputs)
    b = keras.layers.Dense(2, name="b")(inputs)
    return keras.Model(inputs, {"p": a, "q": b} if dict_outputs else [a, b])


def _data(n=8):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, [rng.normal(size=(n, 1)).astype("float32"),
               rng.normal(size=(n, 2)).astype("float32")]


def test_list_outputs_names_as_keras():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=["mse", "mae"], metrics=[["mae"], []])
    # Keras builds the trackers in the first step
    assert model.metrics_names == ["loss", "compile_metrics"]
    assert [v.path for v in model.metrics_variables] == ["loss/total", "loss/count"]
    x, y = _data()
    history = model.fit(x, y, epochs=1, verbose=0)
    assert sorted(history.history) == ["a_loss", "a_mae", "b_loss", "loss"]
    assert model.metrics_names == ["loss", "compile_metrics", "a_loss", "b_loss"]
    assert [v.path for v in model.metrics_variables] == [
        "loss/total", "loss/count", "mean_absolute_error/total", "mean_absolute_error/count",
        "compile_loss/a_loss/total", "compile_loss/a_loss/count",
        "compile_loss/b_loss/total", "compile_loss/b_loss/count"]
    assert [type(m).__name__ for m in model.metrics[1].metrics] == ["MeanAbsoluteError"]


def test_dict_outputs_names_as_keras():
    model = _two_outputs(dict_outputs=True)
    model.compile(optimizer="sgd", loss={"p": "mse", "q": "mae"}, metrics={"q": ["mse"]},
                  weighted_metrics={"p": ["mae"]})
    x, (ya, yb) = _data()
    history = model.fit(x, {"p": ya, "q": yb}, epochs=1, verbose=0,
                        sample_weight={"p": np.ones(8), "q": np.ones(8)})
    assert sorted(history.history) == ["loss", "p_loss", "p_mae", "q_loss", "q_mse"]
    assert [v.path for v in model.metrics_variables][-4:] == [
        "compile_loss/p_loss/total", "compile_loss/p_loss/count",
        "compile_loss/q_loss/total", "compile_loss/q_loss/count"]
    # unweighted metrics first, as Keras lists them
    assert [type(m).__name__ for m in model.metrics[1].metrics] == \
        ["MeanSquaredError", "MeanAbsoluteError"]


def test_single_output_has_no_per_output_trackers():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x, (y, _) = _data()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.metrics_names == ["loss"]


def _fit_two_outputs(jit_compile):
    model = _two_outputs()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=["mse", "mae"],
                  jit_compile=jit_compile)
    x, y = _data(16)
    return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history


def test_recorded_and_eager_steps_track_per_output_losses_alike():
    eager, replayed = _fit_two_outputs(False), _fit_two_outputs("auto")
    assert sorted(eager) == sorted(replayed) == ["a_loss", "b_loss", "loss"]
    for key in eager:
        np.testing.assert_allclose(replayed[key], eager[key], rtol=1e-5)
    # the total is the sum of the per-output means
    np.testing.assert_allclose(np.add(eager["a_loss"], eager["b_loss"]), eager["loss"],
                               rtol=1e-5)


def test_compute_loss_override_without_training_argument():
    class DoubledLoss(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return keras.ops.multiply(keras.ops.mean(keras.ops.square(y - y_pred)), 2.0)

    inputs = keras.Input((3,))
    model = DoubledLoss(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x, (y, _) = _data()
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 2 * mse, rtol=1e-5)
    before = _np(model.layers[1].kernel)
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.allclose(_np(model.layers[1].kernel), before)


def test_compute_loss_override_with_training_receives_it():
    seen = []

    class Watching(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            seen.append(training)
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    inputs = keras.Input((3,))
    model = Watching(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    x, (y, _) = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    assert seen == [True, False]


def test_keras_file_of_a_compiled_two_output_model_round_trips(tmp_path):
    model = _two_outputs()
    model.compile(optimizer="adam", loss=["mse", "mae"], metrics=[["mae"], []])
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0)[1], model.predict(x, verbose=0)[1],
                               rtol=1e-6)
    assert sorted(loaded.fit(x, y, epochs=1, verbose=0).history) == \
        ["a_loss", "a_mae", "b_loss", "loss"]
    assert [v.path for v in loaded.metrics_variables][-2:] == \
        ["compile_loss/b_loss/total", "compile_loss/b_loss/count"]


_KERAS_SIDE = """
import sys
import keras
import numpy as np
out = sys.argv[1]
data = np.load(out + "/data.npz")
x, y = data["x"], [data["ya"], data["yb"]]
model = keras.saving.load_model(out + "/kerasx.keras")
history = model.fit(x, y, epochs=1, verbose=0).history
paths = [v.path for v in model.metrics_variables]
inputs = keras.Input((3,))
other = keras.Model(inputs, [keras.layers.Dense(1, name="a")(inputs),
                             keras.layers.Dense(2, name="b")(inputs)])
other.compile(optimizer="adam", loss=["mse", "mae"], metrics=[["mae"], []])
other.fit(x, y, epochs=1, verbose=0)
other.save(out + "/keras.keras")
np.savez(out + "/keras_out.npz", keys=sorted(history), paths=paths,
         pred=other.predict(x, verbose=0)[1])
"""


def test_real_keras_and_kerasx_read_each_others_compiled_files(tmp_path):
    python = os.environ.get("KERASX_KERAS_PYTHON")
    if not python:
        pytest.skip("set KERASX_KERAS_PYTHON to a Python with keras 3 and jax to check the "
                    "files against real Keras")
    model = _two_outputs()
    model.compile(optimizer="adam", loss=["mse", "mae"], metrics=[["mae"], []])
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "kerasx.keras")
    np.savez(tmp_path / "data.npz", x=x, ya=y[0], yb=y[1])
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, "-c", _KERAS_SIDE, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = np.load(tmp_path / "keras_out.npz")
    assert list(out["keys"]) == ["a_loss", "a_mae", "b_loss", "loss"]
    assert [v.path for v in model.metrics_variables] == list(out["paths"])
    from_keras = keras.saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(from_keras.predict(x, verbose=0)[1], out["pred"], rtol=1e-5,
                               atol=1e-6)
    assert sorted(from_keras.fit(x, y, epochs=1, verbose=0).history) == \
        ["a_loss", "a_mae", "b_loss", "loss"]
