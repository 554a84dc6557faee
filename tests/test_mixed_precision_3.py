"""A layer reads every float input in its compute dtype, as Keras 3.15.1's
`DTypePolicy.convert_input` casts them: float16 / bfloat16 / float64 tensors reach a
float32 layer as float32 whether or not a half-precision layer exists in the process,
a float64 layer (or one built under `floatx() == "float64"`, as the gradient checks
build theirs) reads float64, and `autocast=False` layers take their inputs as given.
The Keras values below come from Keras 3.15.1 (float64 ones from its NumPy backend:
JAX runs without 64-bit floats by default)."""

import importlib.util

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.testing import check_gradients, float64

HALF = [
    pytest.param("float16", marks=pytest.mark.skipif(
        not hasattr(current().xp, "float16"), reason="the backend has no float16")),
    pytest.param("bfloat16", marks=pytest.mark.skipif(
        importlib.util.find_spec("ml_dtypes") is None or current().name not in ("numpy", "cupy"),
        reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")),
]
FLOATS = HALF + ["float64"]
X = np.linspace(-1.0, 1.0, 8).reshape(2, 4)


class Twice(layers.Layer):
    def call(self, x):
        return x * 2


class TwiceAsGiven(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(autocast=False, **kwargs)

    def call(self, x):
        return x * 2


class Sum(layers.Layer):
    def call(self, x, y):
        return x + y


DEFAULT_LAYERS = {
    "Dense": lambda: layers.Dense(3),
    "Activation": lambda: layers.Activation("relu"),
    "Flatten": lambda: layers.Flatten(),
    "Dropout": lambda: layers.Dropout(0.5),
    "custom": lambda: Twice(),
    "Sequential": lambda: keras.Sequential([Twice()]),
    "Softmax": lambda: layers.Softmax(),
    "Reshape": lambda: layers.Reshape((2, 2)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("make", DEFAULT_LAYERS.values(), ids=DEFAULT_LAYERS.keys())
def test_a_float32_layer_reads_other_float_tensors_in_float32(make, dtype):
    # Keras 3.15.1 gives float32 for each layer and each of float16, bfloat16, float64
    x = ops.cast(X, dtype)
    assert make()(x).dtype == "float32"


@pytest.mark.parametrize("dtype", FLOATS)
def test_the_cast_rounds_the_input_to_float32_first(dtype):
    x = ops.cast(X, dtype)
    expected = ops.convert_to_numpy(x).astype(np.float32) * 2
    got = Twice()(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(got), expected)


@pytest.mark.parametrize("dtype", FLOATS)
def test_an_autocast_false_layer_keeps_its_input_dtype(dtype):
    # Keras 3.15.1: float16 / bfloat16 / float64 in, the same out
    assert TwiceAsGiven()(ops.cast(X, dtype)).dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
def test_the_other_arguments_of_a_call_are_cast_too(dtype):
    # Keras 3.15.1 converts every argument: float32 for both
    x = ops.cast(X, dtype)
    assert Sum()(x, x).dtype == "float32"
    assert Sum()(x, y=x).dtype == "float32"
    attention = layers.MultiHeadAttention(2, 2)
    seq = ops.cast(np.ones((2, 5, 4)), dtype)
    assert attention(seq, value=seq).dtype == "float32"


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_float64_layer_reads_float64(dtype):
    # Keras 3.15.1 (NumPy backend): a custom dtype="float64" layer returns float64 for
    # float16, bfloat16 and float64 inputs
    x = ops.cast(X, dtype)
    assert Twice(dtype="float64")(x).dtype == "float64"
    assert layers.Dense(3, dtype="float64")(x).dtype == "float64"


def test_layers_built_under_floatx_float64_keep_gradient_checks_in_float64():
    with float64():
        dense = layers.Dense(3)
        activation = layers.Activation("tanh")
    x64 = ops.convert_to_tensor(X)
    assert dense(x64).dtype == "float64"
    # finite differences in float64 match only if nothing rounds to float32
    check_gradients(lambda v: activation(dense(v)), [X], rtol=1e-7, atol=1e-9)


def test_the_gradient_reaches_the_input_in_its_own_dtype():
    x = keras.Variable(X, dtype="float64")
    with keras.GradientTape() as tape:
        y = ops.sum(Twice()(x))
    assert y.dtype == "float32"
    grad = tape.gradient(y, x)
    assert keras.backend.standardize_dtype(grad.dtype) == "float64"
    np.testing.assert_array_equal(ops.convert_to_numpy(grad), np.full(X.shape, 2.0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_functional_model_on_an_input_of_another_float_dtype(dtype):
    # Keras 3.15.1: [float32, float32, <the Input's dtype>] symbolically and eagerly
    inputs = layers.Input((4,), dtype=dtype)
    twice = Twice()(inputs)
    dense = layers.Dense(2)(twice)
    as_given = TwiceAsGiven()(inputs)
    model = keras.Model(inputs, [twice, dense, as_given])
    expected = ["float32", "float32", dtype]
    assert [t.dtype for t in model.outputs] == expected
    assert [t.dtype for t in model(np.ones((2, 4), "float32"))] == expected
    assert [t.dtype for t in model(ops.cast(X, dtype))] == expected


@pytest.mark.parametrize("dtype", FLOATS)
def test_predict_and_fit_on_data_of_another_float_dtype(dtype):
    # Keras 3.15.1: predict returns float32, fit trains, for float16 / bfloat16 / float64
    model = keras.Sequential([layers.Input((4,)), Twice(), layers.Dense(1)])
    model.compile("sgd", "mse")
    x = ops.convert_to_numpy(ops.cast(np.ones((8, 4)), dtype))
    assert model.predict(x, verbose=0).dtype == np.float32
    history = model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_mask_travels_with_the_cast_input():
    x = ops.cast(np.ones((2, 3, 4)), "float64")
    masked = layers.Masking(mask_value=0.0)(x)  # a float32 layer: a float32 output
    assert masked.dtype == "float32"
    out = layers.Activation("relu")(ops.cast(masked, "float64"))
    assert out.dtype == "float32"
    x._keras_mask = ops.convert_to_tensor(np.array([[True, True, False]] * 2))
    out = layers.Activation("relu")(x)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(out._keras_mask),
                                  ops.convert_to_numpy(x._keras_mask))
