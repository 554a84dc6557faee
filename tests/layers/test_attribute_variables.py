"""`Variable`s held as layer attributes (alone, in lists and dicts, made in `__init__`
or `build`) are the layer's weights, as Keras's tracker makes them: listed in Keras's
order, trained (also by recorded replays), frozen with the layer, and saved under
Keras's names so that files written by real Keras load here and the reverse."""

import os
import subprocess

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from tests.layers.attribute_variable_layer import KERAS_WEIGHT_NAMES, define

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
AttrVars = define(keras)


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


def _model():
    return keras.Sequential([keras.Input((4,)), AttrVars(3, name="attr_vars"),
                             keras.layers.Dense(2, name="head")])


def test_attribute_variables_are_weights_in_keras_order():
    layer = _model().layers[0]
    assert [v.name for v in layer.weights] == KERAS_WEIGHT_NAMES
    assert [v.name for v in layer.variables] == KERAS_WEIGHT_NAMES
    assert [v.name for v in layer.trainable_weights] == KERAS_WEIGHT_NAMES[:-1]
    assert [v.name for v in layer.non_trainable_weights] == ["counts"]
    assert layer.count_params() == 3 + 4 * 3 + 3 + 3 + 3 + 3
    # Keras's paths: a variable made in `__init__` has no layer scope, one made in `build`
    # has its model's and layer's
    assert [v.path for v in layer.weights] == [
        "scale", "sequential/attr_vars/kernel", "sequential/attr_vars/bias",
        "sequential/attr_vars/gate", "sequential/attr_vars/shift", "counts"]


def test_reassigned_and_shared_variables_are_listed_once():
    class Tied(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = keras.Variable(np.ones((2,), "float32"), name="w")
            self.alias = self.w
            self.pair = (self.w, [keras.Variable(np.ones((1,), "float32"), name="v")])

    layer = Tied()
    assert [v.name for v in layer.weights] == ["w", "v"]


def test_frozen_layer_trains_none_of_its_attribute_variables():
    model = _model()
    model.layers[0].trainable = False
    assert [v.name for v in model.trainable_weights] == ["kernel", "bias"]
    before = [_np(v) for v in model.layers[0].weights]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 2), "float32"), epochs=1, verbose=0)
    for v, old in zip(model.layers[0].weights[:-1], before):
        np.testing.assert_array_equal(_np(v), old)


def _trained(jit_compile):
    keras.utils.set_random_seed(3)
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", jit_compile=jit_compile)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, history.history["loss"]


def test_recorded_and_eager_fits_train_attribute_variables_alike():
    eager, eager_loss = _trained(False)
    replayed, replayed_loss = _trained("auto")
    np.testing.assert_allclose(replayed_loss, eager_loss, rtol=1e-5)
    layer = eager.layers[0]
    assert not np.allclose(_np(layer.scale), 0.5)  # trained
    assert not np.allclose(_np(layer.table["shift"]), 0.0)
    np.testing.assert_array_equal(_np(layer.counts), np.full(3, 8.0))  # 2 epochs x 4 steps
    for a, b in zip(replayed.weights, eager.weights):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_files_written_by_keras_load(suffix):
    pytest.importorskip("h5py")
    data = np.load(os.path.join(FIXTURES, "attribute_variables.npz"))
    path = os.path.join(FIXTURES, "attribute_variables" + suffix)
    if suffix == ".keras":
        model = keras.saving.load_model(path)
    else:
        model = _model()
        model.load_weights(path)
    for i, v in enumerate(model.weights):
        np.testing.assert_array_equal(_np(v), data[f"w{i}"])
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_round_trip(tmp_path, suffix):
    pytest.importorskip("h5py")
    model = _model()
    rng = np.random.default_rng(2)
    for v in model.weights:
        v.assign(rng.normal(size=v.shape).astype("float32"))
    path = str(tmp_path / ("m" + suffix))
    if suffix == ".keras":
        model.save(path)
        loaded = keras.saving.load_model(path)
    else:
        model.save_weights(path)
        loaded = _model()
        loaded.load_weights(path)
    for a, b in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(_np(a), _np(b))


_KERAS_SIDE = """
import sys
import keras
import numpy as np
sys.path.insert(0, sys.argv[1])
from attribute_variable_layer import define
AttrVars = define(keras)
out = sys.argv[2]
data = np.load(out + "/x.npz")
model = keras.saving.load_model(out + "/kerasx.keras")
other = keras.Sequential([keras.Input((4,)), AttrVars(3, name="attr_vars"),
                          keras.layers.Dense(2, name="head")])
other.load_weights(out + "/kerasx.weights.h5")
np.savez(out + "/keras_out.npz", archive=model.predict(data["x"], verbose=0),
         weights=other.predict(data["x"], verbose=0))
"""


def test_real_keras_loads_the_files_written_here(tmp_path):
    python = os.environ.get("KERASX_KERAS_PYTHON")
    if not python:
        pytest.skip("set KERASX_KERAS_PYTHON to a Python with keras 3 and jax to check the "
                    "files against real Keras")
    model = _model()
    rng = np.random.default_rng(4)
    for v in model.weights:
        v.assign(rng.normal(size=v.shape).astype("float32"))
    x = rng.normal(size=(5, 4)).astype("float32")
    np.savez(tmp_path / "x.npz", x=x)
    model.save(tmp_path / "kerasx.keras")
    model.save_weights(tmp_path / "kerasx.weights.h5")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, "-c", _KERAS_SIDE, HERE, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = np.load(tmp_path / "keras_out.npz")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(out["archive"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["weights"], expected, rtol=1e-5, atol=1e-6)
