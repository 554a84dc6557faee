"""`TFSMLayer`: a TensorFlow SavedModel's endpoint as a kerasx layer (runs where
TensorFlow is installed)."""

import numpy as np
import pytest

import kerasx
from kerasx.testing.gradcheck import check_layer_gradients, float64
from tests.conftest import to_numpy

tf = pytest.importorskip("tensorflow")


class _Module(tf.Module):
    def __init__(self, dtype="float32"):
        super().__init__()
        rng = np.random.default_rng(0)
        self.w = tf.Variable(rng.standard_normal((4, 3)).astype(dtype), name="dense/kernel")
        self.b = tf.Variable(np.full(3, 0.1, dtype), name="dense/bias")
        self.count = tf.Variable(0, name="count", trainable=False)
        spec = [tf.TensorSpec([None, 4], dtype)]
        self.serve = tf.function(self._serve, input_signature=spec)
        self.train = tf.function(self._train, input_signature=spec)

    def _serve(self, x):
        return tf.tanh(x @ self.w + self.b)

    def _train(self, x):
        self.count.assign_add(1)
        return tf.tanh(x @ self.w + self.b) * 2.0


def _saved(tmp_path, dtype="float32"):
    module = _Module(dtype)
    path = str(tmp_path / "saved")
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path, module


def _x(n=5, dtype="float32"):
    return np.random.default_rng(1).standard_normal((n, 4)).astype(dtype)


def test_call_endpoint_matches_the_saved_function_and_weights_are_its_variables(tmp_path):
    path, module = _saved(tmp_path)
    layer = kerasx.layers.TFSMLayer(path)
    x = _x()
    np.testing.assert_allclose(to_numpy(layer(x)), module.serve(x).numpy(), rtol=1e-6)
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(4, 3), (3,)]
    assert layer.non_trainable_weights == []
    signature = kerasx.layers.TFSMLayer(path, call_endpoint="serving_default")
    out = signature(x)
    assert set(out) == {"output_0"}
    np.testing.assert_allclose(to_numpy(out["output_0"]), module.serve(x).numpy(), rtol=1e-6)


def test_training_endpoint_and_its_state(tmp_path):
    path, module = _saved(tmp_path)
    layer = kerasx.layers.TFSMLayer(path, call_training_endpoint="train")
    x = _x()
    (count,) = layer.non_trainable_weights
    np.testing.assert_allclose(to_numpy(layer(x, training=True)), 2 * module.serve(x).numpy(),
                               rtol=1e-6)
    layer(x, training=False)
    assert int(to_numpy(count)) == 1


def test_unknown_endpoint_lists_the_available_ones(tmp_path):
    path, _ = _saved(tmp_path)
    with pytest.raises(ValueError, match=r"Available endpoints .*serving_default"):
        kerasx.layers.TFSMLayer(path, call_endpoint="predict")


def test_gradients_match_finite_differences_in_float64(tmp_path):
    path, _ = _saved(tmp_path, "float64")
    with float64():
        check_layer_gradients(kerasx.layers.TFSMLayer(path, dtype="float64"), _x(3, "float64"))


def test_fit_fine_tunes_the_saved_weights(tmp_path):
    path, module = _saved(tmp_path)
    inputs = kerasx.Input((4,))
    model = kerasx.Model(inputs, kerasx.layers.Dense(1)(kerasx.layers.TFSMLayer(path)(inputs)))
    model.compile(kerasx.optimizers.Adam(0.05), "mse")
    x = _x(64)
    y = x[:, :1] * 0.5
    before = to_numpy(model.layers[1].trainable_weights[0]).copy()
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]
    assert not np.array_equal(before, to_numpy(model.layers[1].trainable_weights[0]))
    frozen = kerasx.layers.TFSMLayer(path, trainable=False)
    assert frozen.trainable_weights == [] and len(frozen.weights) == 2


def test_config_needs_unsafe_deserialization(tmp_path):
    path, _ = _saved(tmp_path)
    config = kerasx.layers.TFSMLayer(path).get_config()
    assert config["filepath"] == path and config["call_endpoint"] == "serve"
    with pytest.raises(ValueError, match="safe_mode=False"):
        kerasx.layers.TFSMLayer.from_config(config)
    again = kerasx.layers.TFSMLayer.from_config(config, safe_mode=False)
    np.testing.assert_allclose(to_numpy(again(_x())), to_numpy(kerasx.layers.TFSMLayer(path)(_x())))
