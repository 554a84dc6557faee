"""`Lambda`: functions written with kerasx.ops and Python operators, their gradients,
inferred output shapes, masks and (safe-mode) serialization."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import check_gradients, float64

X = np.random.default_rng(0).standard_normal((4, 3))


def _halve(x):
    return x * 0.5


def test_forward_with_operators_and_ops():
    with float64():
        layer = layers.Lambda(lambda x: ops.exp(-(x ** 2)) + 2.0 * x[:, :1] - abs(x) / 3.0)
        expected = np.exp(-X ** 2) + 2 * X[:, :1] - np.abs(X) / 3
        np.testing.assert_allclose(ops.convert_to_numpy(layer(X)), expected, rtol=1e-12)
        check_gradients(lambda v: layer(v), [X + 0.05])


def test_arguments_mask_and_training_are_passed():
    seen = {}

    def fn(x, scale, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x * scale

    layer = layers.Lambda(fn, arguments={"scale": 3.0})
    np.testing.assert_allclose(ops.convert_to_numpy(layer(X, training=True)), 3 * X, rtol=1e-6)
    assert seen == {"mask": None, "training": True}
    assert layer.get_config()["arguments"] == {"scale": 3.0}


def test_multiple_inputs():
    layer = layers.Lambda(lambda ab: ab[0] * ab[1] - ab[1])
    out = layer([X, 2 * X])
    np.testing.assert_allclose(ops.convert_to_numpy(out), 2 * X * X - 2 * X, rtol=1e-6)


def test_model_with_square_lambda_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 1))
    with float64():
        model = kerasx.Sequential([kerasx.Input(shape=(3,)), layers.Dense(2),
                                   layers.Lambda(lambda h: h ** 2), layers.Dense(1)])
        xt, yt = ops.convert_to_tensor(x), ops.convert_to_tensor(y)

        def loss_value():
            return ops.mean(ops.square(model(xt) - yt))

        weights = model.trainable_weights
        assert [w.shape for w in weights] == [(3, 2), (2,), (2, 1), (1,)]
        with kerasx.GradientTape() as tape:
            loss = loss_value()
        grads = tape.gradient(loss, weights)
        eps = 1e-6
        for w, g in zip(weights, grads):
            base = w.numpy().copy()
            numeric = np.zeros_like(base)
            for i in np.ndindex(base.shape):
                values = []
                for delta in (eps, -eps):
                    trial = base.copy()
                    trial[i] += delta
                    w.assign(trial)
                    values.append(float(loss_value()))
                numeric[i] = (values[0] - values[1]) / (2 * eps)
            w.assign(base)
            np.testing.assert_allclose(ops.convert_to_numpy(g), numeric, rtol=1e-6, atol=1e-9)


def test_model_with_square_lambda_trains():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (256, 2)).astype(np.float32)
    y = ((x[:, :1] + x[:, 1:]) ** 2).astype(np.float32)
    model = kerasx.Sequential([kerasx.Input(shape=(2,)), layers.Dense(1),
                               layers.Lambda(lambda h: h ** 2), layers.Dense(1)])
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]


def test_output_shape_is_inferred_or_declared():
    model = kerasx.Sequential([kerasx.Input(shape=(6,)), layers.Lambda(lambda x: x[:, :2]),
                               layers.Lambda(lambda x: ops.reshape(x, (-1, 1, 2)),
                                             output_shape=(1, 2)),
                               layers.Lambda(lambda x: x, output_shape=lambda s: s)])
    assert [layer.output_shape for layer in model.layers] == [(None, 2), (None, 1, 2), (None, 1, 2)]
    lines = []
    model.summary(print_fn=lines.append)
    assert "(None, 1, 2)" in "\n".join(lines)
    inputs = kerasx.Input(shape=(6,))
    assert layers.Lambda(lambda x: ops.sum(x, axis=-1, keepdims=True))(inputs).shape == (None, 1)


def test_output_shape_inference_failure_says_how_to_fix():
    def needs_batch_of_four(x):
        if x.shape[0] != 4:
            raise ValueError("only batches of 4")
        return x

    with pytest.raises(Exception, match=r"Pass output_shape=\.\.\. to the Lambda layer"):
        layers.Lambda(needs_batch_of_four).compute_output_shape((None, 3))


def test_mask_argument():
    layer = layers.Lambda(lambda x: x, mask=lambda inputs, mask: ops.greater(inputs, 0.0))
    out = layer(X.astype(np.float32))
    np.testing.assert_array_equal(ops.convert_to_numpy(out._keras_mask), X > 0)
    assert layer.supports_masking


def test_lambda_config_refuses_bytecode_in_safe_mode():
    offset = 1.5
    layer = layers.Lambda(lambda x: x * 2.0 + offset, name="double")
    config = layer.get_config()
    assert config["function"]["class_name"] == "__lambda__"
    assert set(config["function"]["config"]) == {"code", "defaults", "closure"}
    assert config["arguments"] == {} and config["name"] == "double"
    with pytest.raises(ValueError, match=r"Refusing to load a Lambda.*safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match=r"Refusing"):
        kerasx.saving.deserialize_keras_object(kerasx.saving.serialize_keras_object(layer))
    clone = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(ops.convert_to_numpy(clone(X)), 2 * X + 1.5, rtol=1e-6)


def test_named_function_config():
    layer = layers.Lambda(_halve, output_shape=(3,))
    config = layer.get_config()
    assert config["function"]["class_name"] == "function"
    assert config["function"]["config"] == "_halve"
    assert config["output_shape"] == (3,)
    clone = layers.Lambda.from_config(config, custom_objects={"_halve": _halve})
    np.testing.assert_allclose(ops.convert_to_numpy(clone(X)), X / 2, rtol=1e-6)


def test_not_callable():
    with pytest.raises(TypeError, match=r"function must be callable, received 3"):
        layers.Lambda(3)
