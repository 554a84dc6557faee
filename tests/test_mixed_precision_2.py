"""Output dtypes of layers under `"mixed_bfloat16"` / `"mixed_float16"` as Keras 3.15.1
gives them: Keras casts a layer's float inputs to its compute dtype and never casts its
outputs, so a layer of the user's that computes in float32 (an explicit cast, weights
without autocast, `autocast=False`, a float32 constant) returns float32, and a float32
layer after a mixed-precision one (the float32 softmax closing the model) reads its
inputs in float32. kerasx's own layers still return their compute dtype."""

import importlib.util

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.backends import current

HALF_POLICIES = [
    pytest.param("mixed_bfloat16", marks=pytest.mark.skipif(
        importlib.util.find_spec("ml_dtypes") is None or current().name not in ("numpy", "cupy"),
        reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")),
    pytest.param("mixed_float16", marks=pytest.mark.skipif(
        not hasattr(current().xp, "float16"), reason="the backend has no float16")),
]
X = np.ones((2, 4, 3), "float32")


class CastToFloat32(layers.Layer):
    def call(self, x):
        return ops.cast(x, "float32")


class WithoutAutocast(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(autocast=False, **kwargs)

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w


class Float32Weight(layers.Layer):
    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1],), initializer="ones", autocast=False)

    def call(self, x):
        return x * self.w


class Ones(layers.Layer):
    def call(self, x):
        return ops.ones(ops.shape(x))


class Several(layers.Layer):
    def call(self, x):
        return [ops.cast(x, "float32"), x * 0.5, ops.cast(x, "int32")]


def _dtype(x):
    return str(x.dtype)


@pytest.mark.parametrize("policy", HALF_POLICIES)
@pytest.mark.parametrize("make", [
    CastToFloat32, WithoutAutocast, Float32Weight, Ones,
    lambda dtype: layers.Lambda(lambda t: ops.cast(t, "float32"), dtype=dtype),
])
def test_a_call_computing_in_float32_returns_float32(policy, make):
    # Keras 3.15.1 gives float32 for each of these under both mixed policies
    assert _dtype(make(dtype=policy)(X)) == "float32"


@pytest.mark.parametrize("policy", HALF_POLICIES)
def test_each_output_keeps_its_own_dtype(policy):
    compute = policy.split("_")[1]
    # Keras 3.15.1 gives ['float32', <compute dtype>, 'int32']
    assert [_dtype(o) for o in Several(dtype=policy)(X)] == ["float32", compute, "int32"]


@pytest.mark.parametrize("policy", HALF_POLICIES)
@pytest.mark.parametrize("make", [
    lambda dtype: layers.Dense(2, dtype=dtype),
    lambda dtype: layers.Rescaling(0.5, dtype=dtype),
    lambda dtype: layers.Normalization(mean=0.0, variance=1.0, dtype=dtype),
    lambda dtype: layers.UnitNormalization(dtype=dtype),
    lambda dtype: layers.LayerNormalization(dtype=dtype),
])
def test_builtin_layers_return_their_compute_dtype(policy, make):
    # as Keras 3.15.1 (Rescaling and Normalization gave float32 under mixed_float16)
    assert _dtype(make(policy)(X)) == policy.split("_")[1]


@pytest.mark.parametrize("policy", HALF_POLICIES)
def test_a_float32_layer_after_a_mixed_one_returns_float32(policy):
    inputs = keras.Input((4, 3))
    hidden = layers.Dense(2, dtype=policy)(inputs)
    probs = layers.Activation("softmax", dtype="float32")(hidden)
    model = keras.Model(inputs, [hidden, probs])
    compute = policy.split("_")[1]
    # Keras 3.15.1 gives [compute, 'float32'] for the call and for predict
    assert [_dtype(o) for o in model(X)] == [compute, "float32"]
    assert [str(o.dtype) for o in model.predict(X, verbose=0)] == [compute, "float32"]
    expected = np.exp(hidden_values := np.asarray(model.predict(X, verbose=0)[0], "float64"))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(X, verbose=0)[1], expected, rtol=1e-6)
    assert hidden_values.shape == (2, 4, 2)


@pytest.mark.parametrize("policy", HALF_POLICIES)
def test_a_subclassed_model_casting_its_output_returns_float32(policy):
    class Model(keras.Model):
        def __init__(self):
            super().__init__(dtype=policy)
            self.dense = layers.Dense(2, dtype=policy)

        def call(self, x):
            return ops.cast(self.dense(x), "float32")

    model = Model()
    assert _dtype(model(X)) == "float32"  # Keras 3.15.1: float32 (call and predict)
    assert str(model.predict(X, verbose=0).dtype) == "float32"
