"""`OrbaxCheckpoint` and reading Orbax checkpoints with `load_model` / `load_weights`, in
Keras 3's layout."""

import os
import subprocess
import sys

import numpy as np
import pytest

import kerasx
from kerasx.callbacks import OrbaxCheckpoint
from tests.conftest import to_numpy

ocp = pytest.importorskip("orbax.checkpoint").v1


def _model(seed=0):
    kerasx.backend.clear_session()  # the layer names of a fresh process
    kerasx.utils.set_random_seed(seed)
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(3, activation="relu"),
                               kerasx.layers.BatchNormalization(), kerasx.layers.Dense(1)])
    model.compile(kerasx.optimizers.Adam(0.01), "mse", metrics=["mae"])
    return model


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, x[:, :1] - x[:, 1:2]


def _steps(directory):
    return sorted(int(d) for d in os.listdir(directory) if d.isdigit())


def _same_state(a, b):
    for va, vb in zip(a.variables, b.variables):
        np.testing.assert_array_equal(to_numpy(va), to_numpy(vb))
    for va, vb in zip(a.optimizer.variables, b.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(va), to_numpy(vb))


@pytest.mark.parametrize("background", [True, False])
def test_each_epoch_is_a_step_and_load_model_restores_the_latest(tmp_path, background):
    model = _model()
    x, y = _data()
    directory = tmp_path / "ckpt"
    callback = OrbaxCheckpoint(directory, max_to_keep=2, save_on_background=background)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[callback])
    assert _steps(directory) == [1, 2]
    restored = kerasx.saving.load_model(directory)
    _same_state(model, restored)
    assert int(to_numpy(restored.optimizer.iterations)) == 12
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    # the restored model trains on exactly as the original
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    restored.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    _same_state(model, restored)


def test_the_saved_tree_is_keras_state_tree(tmp_path):
    model = _model()
    x, y = _data()
    directory = tmp_path / "ckpt"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[OrbaxCheckpoint(directory)])
    loaded = ocp.load_checkpointables(str(directory / "0"))
    tree = loaded["pytree"]
    assert set(tree) == {"trainable_variables", "non_trainable_variables",
                         "optimizer_variables", "metrics_variables"}
    kernel = tree["trainable_variables"]["sequential"]["dense"]["kernel"]
    np.testing.assert_array_equal(np.asarray(kernel), to_numpy(model.layers[0].kernel))
    assert isinstance(tree["optimizer_variables"]["adam"]["iteration"], int)
    assert '"class_name": "Sequential"' in loaded["model_config"]["config"]


def test_integer_save_freq_counts_batches_and_a_step_directory_loads(tmp_path):
    model = _model()
    x, y = _data()
    directory = tmp_path / "ckpt"
    callback = OrbaxCheckpoint(directory, save_freq=3, max_to_keep=None,
                               save_on_background=False)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    assert _steps(directory) == [3, 6]  # 8 batches in all
    fresh = _model(seed=5)
    fresh.load_weights(directory / "3")
    earlier = kerasx.saving.load_model(directory / "3")
    np.testing.assert_array_equal(to_numpy(fresh.layers[0].kernel),
                                  to_numpy(earlier.layers[0].kernel))
    assert not np.array_equal(to_numpy(fresh.layers[0].kernel), to_numpy(model.layers[0].kernel))


def test_save_best_only_keeps_the_best_epoch(tmp_path):
    model = _model()
    x, y = _data()
    losses = iter([3.0, 1.0, 2.0])

    class FakeLoss(kerasx.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = next(losses)

    directory = tmp_path / "ckpt"
    callback = OrbaxCheckpoint(directory, save_best_only=True, max_to_keep=None,
                               save_on_background=False)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[FakeLoss(), callback])
    assert _steps(directory) == [0, 1] and callback.best == 1.0


def test_save_best_only_without_the_monitored_value_warns_and_skips(tmp_path):
    model = _model()
    x, y = _data()
    callback = OrbaxCheckpoint(tmp_path / "ckpt", save_best_only=True, monitor="val_loss")
    with pytest.warns(UserWarning, match="Can save best model only with val_loss"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert not (tmp_path / "ckpt").exists() or _steps(tmp_path / "ckpt") == []


def test_weights_only_checkpoints_load_weights_and_refuse_load_model(tmp_path):
    model = _model()
    x, y = _data()
    directory = tmp_path / "ckpt"
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[OrbaxCheckpoint(directory, save_weights_only=True)])
    fresh = _model(seed=3)
    fresh.load_weights(directory)
    for a, b in zip(fresh.variables, model.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    with pytest.raises(ValueError, match="save_weights_only=True"):
        kerasx.saving.load_model(directory)


def test_other_layer_names_are_refused_with_the_fix(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[OrbaxCheckpoint(tmp_path / "ckpt")])
    kerasx.backend.clear_session()
    renamed = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(3, name="first"),
                                 kerasx.layers.BatchNormalization(), kerasx.layers.Dense(1)])
    with pytest.raises(ValueError, match="layer names it was saved with"):
        renamed.load_weights(tmp_path / "ckpt")


def test_a_checkpoint_of_another_model_is_refused_with_the_path(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[OrbaxCheckpoint(tmp_path / "ckpt")])
    other = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(2)])
    with pytest.raises(ValueError, match="does not fit this model"):
        other.load_weights(tmp_path / "ckpt")


@pytest.mark.parametrize("save_freq", ["batch", 0, 1.5])
def test_bad_save_freq_is_refused(tmp_path, save_freq):
    with pytest.raises(ValueError, match="save_freq"):
        OrbaxCheckpoint(tmp_path, save_freq=save_freq)


def test_missing_orbax_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['orbax'] = None; sys.modules['orbax.checkpoint'] = None\n"
            "import kerasx\n"
            "try:\n    kerasx.callbacks.OrbaxCheckpoint('x')\n"
            "except ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    assert "pip install orbax-checkpoint" in out


_KERAS_SIDE = """
import sys, numpy as np, keras
work = sys.argv[1]
data = np.load(work + "/data.npz")
x, y = data["x"], data["y"]
restored = keras.saving.load_model(work + "/kerasx_ckpt")
out = {"restored": restored.predict(x, verbose=0),
       "iterations": int(restored.optimizer.iterations.numpy())}
inputs = keras.Input((4,))
hidden = keras.layers.BatchNormalization()(keras.layers.Dense(3, activation="relu")(inputs))
hidden = keras.layers.Dropout(0.1)(hidden)  # its seed generator's state is saved too
model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[
    keras.callbacks.OrbaxCheckpoint(work + "/keras_ckpt", save_on_background=False)])
out["keras"] = model.predict(x, verbose=0)
np.savez(work + "/keras_out.npz", **out)
"""


def test_real_keras_reads_kerasx_checkpoints_and_kerasx_reads_keras_ones(tmp_path):
    python = os.environ.get("KERASX_KERAS_PYTHON")
    if not python:
        pytest.skip("set KERASX_KERAS_PYTHON to a Python with keras 3, jax and "
                    "orbax-checkpoint to check checkpoints against real Keras")
    kerasx.backend.clear_session()
    inputs = kerasx.Input((4,))
    hidden = kerasx.layers.BatchNormalization()(
        kerasx.layers.Dense(3, activation="relu")(inputs))
    hidden = kerasx.layers.Dropout(0.1)(hidden)
    model = kerasx.Model(inputs, kerasx.layers.Dense(1)(hidden))
    model.compile(kerasx.optimizers.Adam(0.01), "mse", metrics=["mae"])
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[
        OrbaxCheckpoint(tmp_path / "kerasx_ckpt", save_on_background=False)])
    np.savez(tmp_path / "data.npz", x=x, y=y)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, "-c", _KERAS_SIDE, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = np.load(tmp_path / "keras_out.npz")
    np.testing.assert_allclose(out["restored"], model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)
    assert int(out["iterations"]) == 8
    restored = kerasx.saving.load_model(tmp_path / "keras_ckpt")
    np.testing.assert_allclose(restored.predict(x, verbose=0), out["keras"], rtol=1e-5,
                               atol=1e-6)
