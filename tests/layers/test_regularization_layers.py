"""SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout (and Dropout's
seeding): identity in inference, the right noise in training, gradients, errors."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import float64
from tests.sampled_gradcheck import check_gradients

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _run(layer, x, training=True):
    return ops.convert_to_numpy(layer(x, training=training))


ALL = [
    lambda: layers.SpatialDropout1D(0.5),
    lambda: layers.SpatialDropout2D(0.5),
    lambda: layers.SpatialDropout3D(0.5),
    lambda: layers.GaussianNoise(0.3),
    lambda: layers.GaussianDropout(0.3),
    lambda: layers.AlphaDropout(0.3),
    lambda: layers.Dropout(0.3),
]
SHAPES = [(2, 3, 4), (2, 3, 4, 5), (2, 2, 3, 4, 5), (2, 3), (2, 3), (2, 3), (2, 3)]


@pytest.mark.parametrize("i", range(len(ALL)))
def test_identity_in_inference_and_noise_in_training(i):
    x = np.random.default_rng(i).standard_normal(SHAPES[i]).astype(np.float32) + 2.0
    layer = ALL[i]()
    np.testing.assert_array_equal(_run(layer, x, training=False), x)
    np.testing.assert_array_equal(_run(layer, x, training=None), x)
    assert not np.allclose(_run(layer, x, training=True), x)
    assert layer.compute_output_shape(SHAPES[i]) == SHAPES[i]
    model = kerasx.Sequential([kerasx.Input(shape=SHAPES[i][1:]), ALL[i]()])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("layer_cls,shape,data_format,shared", [
    (layers.SpatialDropout1D, (4, 50, 6), None, (1,)),
    (layers.SpatialDropout2D, (4, 5, 6, 7), "channels_last", (1, 2)),
    (layers.SpatialDropout2D, (4, 7, 5, 6), "channels_first", (2, 3)),
    (layers.SpatialDropout3D, (3, 2, 3, 4, 5), "channels_last", (1, 2, 3)),
    (layers.SpatialDropout3D, (3, 5, 2, 3, 4), "channels_first", (2, 3, 4)),
])
def test_spatial_dropout_drops_whole_channels(layer_cls, shape, data_format, shared):
    kwargs = {} if data_format is None else {"data_format": data_format}
    layer = layer_cls(0.4, **kwargs)
    x = np.ones(shape, np.float32)
    y = _run(layer, x)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.6)}
    # constant along the spatial axes, varying across (sample, channel)
    assert (y == y.max(axis=shared, keepdims=True)).all()
    assert 0 < (y == 0).mean() < 1
    with float64():
        check_gradients(lambda v: layer_cls(0.4, seed=3, **kwargs)(v, training=True),
                        [np.random.default_rng(1).standard_normal((2,) + shape[1:])])


def test_spatial_dropout_config_and_errors():
    keys = set(layers.SpatialDropout1D(0.2, seed=1).get_config())
    assert keys == {"rate", "seed", "name", "dtype"}
    config = layers.SpatialDropout2D(0.2, data_format="channels_first").get_config()
    assert config["data_format"] == "channels_first"
    assert layers.SpatialDropout2D.from_config(config).data_format == "channels_first"
    with pytest.raises(ValueError, match=r"expects inputs of rank 4.*\(2, 3, 4\)"):
        layers.SpatialDropout2D(0.2)(np.zeros((2, 3, 4), np.float32), training=True)
    with pytest.raises(ValueError, match=r"expects inputs of rank 3.*\(2, 3\)"):
        layers.SpatialDropout1D(0.2)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"data_format must be 'channels_last' or"):
        layers.SpatialDropout3D(0.2, data_format="NHWC")
    with pytest.raises(ValueError, match=r"Expected a float value between 0 and 1. Received: rate=1.5"):
        layers.SpatialDropout1D(1.5)


def test_gaussian_noise_statistics_and_gradient():
    x = np.zeros((200, 100), np.float32)
    noise = _run(layers.GaussianNoise(0.2), x)
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.2) < 0.005
    with float64():
        check_gradients(lambda v: layers.GaussianNoise(0.5, seed=2)(v, training=True),
                        [np.random.default_rng(0).standard_normal((2, 3))])


def test_gaussian_dropout_statistics_and_gradient():
    x = np.full((200, 100), 2.0, np.float32)
    y = _run(layers.GaussianDropout(0.2), x)
    assert abs(y.mean() - 2.0) < 0.02
    assert abs(y.std() - 2.0 * np.sqrt(0.2 / 0.8)) < 0.02
    with float64():
        check_gradients(lambda v: layers.GaussianDropout(0.3, seed=2)(v, training=True),
                        [np.random.default_rng(0).standard_normal((2, 3))])


def test_alpha_dropout_values_and_self_normalization():
    rate = 0.2
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    x = np.random.default_rng(0).standard_normal((400, 250)).astype(np.float32)
    y = _run(layers.AlphaDropout(rate), x)
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    shared = _run(layers.AlphaDropout(rate, noise_shape=(None, 1)), x[:5])
    assert all(np.isclose(row, a * alpha_p + b).all() or np.allclose(row, a * xr + b, atol=1e-6)
               for row, xr in zip(shared, x[:5]))
    with float64():
        check_gradients(lambda v: layers.AlphaDropout(0.3, seed=2)(v, training=True),
                        [np.random.default_rng(0).standard_normal((2, 3))])


def test_seeded_layers_give_repeatable_but_fresh_noise():
    x = np.ones((4, 8), np.float32)
    for make in (lambda: layers.Dropout(0.5, seed=11), lambda: layers.GaussianNoise(0.5, seed=11),
                 lambda: layers.GaussianDropout(0.5, seed=11),
                 lambda: layers.AlphaDropout(0.5, seed=11)):
        first, second = make(), make()
        a1, a2 = _run(first, x), _run(first, x)
        b1, b2 = _run(second, x), _run(second, x)
        np.testing.assert_array_equal(a1, b1)
        np.testing.assert_array_equal(a2, b2)
        assert not np.array_equal(a1, a2)


def test_global_seed_makes_unseeded_noise_repeatable():
    x = np.ones((3, 5), np.float32)
    runs = []
    for _ in range(2):
        kerasx.utils.set_random_seed(5)
        runs.append(_run(layers.GaussianNoise(0.4), x))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_bad_rates():
    with pytest.raises(ValueError, match=r"stddev must be a float in \[0, 1\], received stddev=2"):
        layers.GaussianNoise(2)
    with pytest.raises(ValueError, match=r"Expected a float value between 0 and 1. Received: rate=-0.1"):
        layers.GaussianDropout(-0.1)
    with pytest.raises(ValueError, match=r"Expected a float value between 0 and 1. Received: rate=3"):
        layers.AlphaDropout(3)


def test_configs():
    assert layers.GaussianNoise(0.1, seed=3).get_config()["stddev"] == 0.1
    config = layers.AlphaDropout(0.1, noise_shape=(None, 1), seed=4).get_config()
    assert (config["rate"], config["noise_shape"], config["seed"]) == (0.1, (None, 1), 4)
    assert layers.GaussianDropout.from_config(layers.GaussianDropout(0.2).get_config()).rate == 0.2


def test_model_with_noise_layers_trains(digits):
    x_train, y_train, x_test, y_test = digits
    model = kerasx.Sequential([
        kerasx.Input(shape=(64,)), layers.GaussianNoise(0.1), layers.Dense(48, activation="selu"),
        layers.AlphaDropout(0.05), layers.Reshape((6, 8)), layers.SpatialDropout1D(0.1),
        layers.Flatten(), layers.GaussianDropout(0.1), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=kerasx.optimizers.Adam(0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] > 0.9


def test_activity_regularization():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    np.testing.assert_array_equal(_run(layer, x), x)
    expected = (0.1 * np.abs(x).sum() + 0.2 * (x * x).sum()) / 4
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)
    assert set(layer.get_config()) == {"name", "trainable", "dtype", "l1", "l2"}
    model = kerasx.Sequential([kerasx.Input(shape=(3,)), layers.Dense(2),
                               layers.ActivityRegularization(l2=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    model(x)
    penalty = float(model.losses[0])
    assert penalty > 0
    logged = model.evaluate(x, np.zeros((4, 2), np.float32), verbose=0)
    assert logged > penalty  # the penalty is part of the loss
