"""`Normalization.mean` / `.variance` always describe what the layer applies: after
`adapt`, a second `adapt`, loading, `set_weights` and assigning to the weights."""

import numpy as np

import kerasx as keras
from kerasx import layers, ops

X = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]], np.float32)


def _np(x):
    return ops.convert_to_numpy(x)


def _applied(layer):
    """The mean and variance that `layer`'s output shows (it maps x to (x - m) / sqrt(v))."""
    zero, one = _np(layer(np.zeros((1, 2), np.float32))), _np(layer(np.ones((1, 2), np.float32)))
    scale = 1.0 / (one - zero)
    return -zero * scale, scale ** 2


def _check_consistent(layer, mean, variance):
    np.testing.assert_allclose(_np(layer.mean), [mean], rtol=1e-6)
    np.testing.assert_allclose(_np(layer.variance), [variance], rtol=1e-6)
    got_mean, got_variance = _applied(layer)
    np.testing.assert_allclose(got_mean, [mean], rtol=1e-5)
    np.testing.assert_allclose(got_variance, [variance], rtol=1e-4)


def test_mean_and_variance_follow_adapt_and_a_second_adapt():
    layer = layers.Normalization()
    layer.adapt(X)
    _check_consistent(layer, X.mean(0), X.var(0))
    layer.adapt(2 * X)
    _check_consistent(layer, 2 * X.mean(0), 4 * X.var(0))


def test_mean_and_variance_after_loading(tmp_path):
    layer = layers.Normalization()
    layer.adapt(2 * X)
    model = keras.Sequential([keras.Input((2,)), layer])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras").layers[0]
    # Keras 3.15.1 shows the loaded statistics here; kerasx showed zeros
    _check_consistent(loaded, 2 * X.mean(0), 4 * X.var(0))
    model.save_weights(tmp_path / "m.weights.h5")
    fresh = keras.Sequential([keras.Input((2,)), layers.Normalization()])
    fresh.load_weights(tmp_path / "m.weights.h5")
    _check_consistent(fresh.layers[0], 2 * X.mean(0), 4 * X.var(0))


def test_mean_and_variance_follow_set_weights_and_assign():
    # (Keras keeps copies made at adapt: its output ignores these until a reload)
    layer = layers.Normalization()
    layer.adapt(X)
    layer.set_weights([np.array([1.0, 2.0]), np.array([4.0, 9.0]), np.array(0)])
    _check_consistent(layer, [1.0, 2.0], [4.0, 9.0])
    layer.adapt_variance.assign(np.array([16.0, 25.0], np.float32))
    _check_consistent(layer, [1.0, 2.0], [16.0, 25.0])
    layer.finalize_state()
    _check_consistent(layer, [1.0, 2.0], [16.0, 25.0])


def test_given_statistics_are_kept():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 4.0])
    layer.build((None, 2))
    assert layer.weights == []
    _check_consistent(layer, [1.0, 2.0], [4.0, 4.0])
    assert layer.get_config()["mean"] == [1.0, 2.0]
