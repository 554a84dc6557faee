"""Keras's type promotion where NumPy's and the array API's differ: an integer or boolean
array meeting a float array takes that float type, meeting a Python float the default
float type; layers with float weights read integer inputs in their weights' type."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import GradientTape, Variable, config, ops
from kerasx.backends import current
from kerasx.ops._helpers import keras_promoted

rng = np.random.default_rng(3)
INTS = ["int32", "int64", "uint32"]


def _np(t):
    return ops.convert_to_numpy(t)


def _dtype(t):
    return str(ops.convert_to_numpy(t).dtype)


@pytest.mark.parametrize("int_dtype", INTS + ["bool", "uint8", "int16"])
@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "minimum"])
def test_integer_and_float_arrays_give_the_float_type(op, int_dtype):
    i = rng.integers(1, 5, (3, 4)).astype(int_dtype)
    f = rng.uniform(0.5, 2.0, (3, 4)).astype("float32")
    backend = current()
    fn = getattr(ops, op)
    for a, b in ((i, f), (f, i)):
        out = fn(backend.asarray(a), backend.asarray(b))
        assert _dtype(out) == "float32"
        # the integers are exact in float32, so the values are those of the float inputs
        expected = getattr(np, op if op != "divide" else "true_divide")(
            a.astype("float32"), b.astype("float32"))
        np.testing.assert_allclose(_np(out), expected, rtol=1e-6)


@pytest.mark.parametrize("int_dtype", INTS + ["uint8"])
def test_an_integer_array_and_a_python_float_give_the_default_float_type(int_dtype):
    x = ops.convert_to_tensor(np.arange(6, dtype=int_dtype))
    assert _dtype(ops.divide(x, 255.0)) == "float32"
    assert _dtype(x * 0.5) == "float32" and _dtype(0.5 + x) == "float32"  # operators
    np.testing.assert_allclose(_np(ops.divide(x, 4.0)), np.arange(6) / 4.0, rtol=1e-7)
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        assert _dtype(ops.divide(x, 255.0)) == "float64"
    finally:
        config.set_floatx(previous)


def test_what_keeps_its_type():
    i64 = ops.convert_to_tensor(np.arange(4, dtype="int64"))
    f64 = ops.convert_to_tensor(np.ones(4, dtype="float64"))
    f32 = ops.convert_to_tensor(np.ones(4, dtype="float32"))
    assert _dtype(i64 + i64) == "int64" and _dtype(i64 * 2) == "int64"
    assert _dtype(f64 * i64) == "float64"
    assert _dtype(f32 * 0.5) == "float32"


def test_no_cast_where_numpy_reaches_the_float_type_itself():
    # a bool or uint8 mask times float32 is float32 in NumPy's own loop: no extra pass
    if current().name != "numpy":
        pytest.skip("NumPy's promotion")
    f = np.ones(5, "float32")
    for mask in (np.ones(5, bool), np.ones(5, "uint8")):
        a, b = keras_promoted(mask, f)
        assert a is mask and b is f


def test_gradients_reach_the_float_operand():
    i = current().asarray(np.array([1, 2, 3], dtype="int64"))
    w = Variable(np.array([0.5, -1.0, 2.0], dtype="float32"))
    with GradientTape() as tape:
        y = ops.sum(ops.multiply(i, w) + ops.divide(w, i))
    (g,) = tape.gradient(y, [w])
    assert _dtype(y) == "float32" and _dtype(g) == "float32"
    np.testing.assert_allclose(_np(g), [1 + 1.0, 2 + 0.5, 3 + 1 / 3], rtol=1e-6)


def test_matmul_and_dense_read_integer_inputs_in_the_weights_type():
    x = rng.integers(-3, 4, (5, 3))
    w = rng.standard_normal((3, 2)).astype("float32")
    b = rng.standard_normal(2).astype("float32")
    backend = current()
    for out in (ops.matmul(backend.asarray(x), backend.asarray(w)),
                ops.dense(backend.asarray(x), backend.asarray(w), backend.asarray(b))):
        assert _dtype(out) == "float32"
    np.testing.assert_allclose(_np(ops.dense(backend.asarray(x), backend.asarray(w),
                                             backend.asarray(b))),
                               x.astype("float32") @ w + b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, shape", [
    (lambda: keras.layers.Dense(3), (4, 5)),
    (lambda: keras.layers.Conv1D(3, 2), (2, 6, 3)),
    (lambda: keras.layers.Conv2D(3, 2, activation="relu"), (2, 5, 5, 2)),
    (lambda: keras.layers.Conv2DTranspose(3, 2, strides=2), (2, 3, 3, 2)),
    (lambda: keras.layers.DepthwiseConv2D(2), (2, 4, 4, 3)),
    (lambda: keras.layers.LSTM(3), (2, 4, 3)),
    (lambda: keras.layers.GRU(3, return_sequences=True), (2, 4, 3)),
    (lambda: keras.layers.SimpleRNN(3), (2, 4, 3)),
], ids=["dense", "conv1d", "conv2d", "conv2d_transpose", "depthwise", "lstm", "gru",
        "simple_rnn"])
def test_layers_give_float32_for_integer_inputs(make, shape):
    # Keras's op promotion gives float32 here; NumPy's gave float64 (or, for the
    # recurrent layers, refused to write float64 into an int64 buffer)
    layer = make()
    ints = rng.integers(0, 4, shape).astype("int64")
    out = layer(ints)
    assert _dtype(out) == "float32"
    np.testing.assert_allclose(_np(out), _np(layer(ints.astype("float32"))), rtol=1e-6,
                               atol=1e-6)


def test_a_model_predicts_float32_from_integer_features():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2)])
    x = rng.integers(0, 10, (6, 3)).astype("int64")
    assert model(x).dtype == "float32"
    pred = model.predict(x, verbose=0)
    assert pred.dtype == np.float32
    np.testing.assert_allclose(pred, model.predict(x.astype("float32"), verbose=0), rtol=1e-6)


@pytest.mark.parametrize("op, reference", [
    ("sqrt", np.sqrt), ("exp", np.exp), ("expm1", np.expm1), ("log", np.log),
    ("log1p", np.log1p), ("sin", np.sin), ("cos", np.cos), ("tanh", np.tanh),
    ("reciprocal", np.reciprocal)])
@pytest.mark.parametrize("int_dtype", ["int32", "int64", "uint8", "bool"])
def test_float_functions_read_integers_as_the_default_float_type(op, reference, int_dtype):
    x = rng.integers(1, 5, (2, 3)).astype(int_dtype)
    out = getattr(ops, op)(ops.convert_to_tensor(x))
    assert _dtype(out) == "float32"
    np.testing.assert_allclose(_np(out), reference(x.astype("float64")), rtol=2e-6)
    # floats keep their type
    assert _dtype(getattr(ops, op)(ops.convert_to_tensor(x.astype("float64")))) == "float64"


@pytest.mark.parametrize("int_dtype", ["int32", "int64", "bool"])
def test_means_and_true_division_of_integers_are_float32(int_dtype):
    x = rng.integers(0, 7, (4, 5)).astype(int_dtype)
    t = ops.convert_to_tensor(x)
    wide = x.astype("float64")
    for name, out, expected in (("mean", ops.mean(t), wide.mean()),
                                ("mean over an axis", ops.mean(t, axis=0), wide.mean(axis=0)),
                                ("var", ops.var(t), wide.var()), ("std", ops.std(t), wide.std())):
        assert _dtype(out) == "float32", name
        np.testing.assert_allclose(_np(out), expected, rtol=1e-6, err_msg=name)
    if int_dtype != "bool":
        out = ops.divide(t, ops.convert_to_tensor(x + 1))
        assert _dtype(out) == "float32"
        np.testing.assert_allclose(_np(out), wide / (wide + 1), rtol=1e-6)


def test_where_between_integers_and_floats_is_float32():
    cond = ops.convert_to_tensor(np.array([True, False, True]))
    out = ops.where(cond, ops.convert_to_tensor(np.array([1, 2, 3], dtype="int64")),
                    ops.convert_to_tensor(np.array([0.5, 0.25, 0.125], dtype="float32")))
    assert _dtype(out) == "float32"
    np.testing.assert_array_equal(_np(out), np.array([1.0, 0.25, 3.0], dtype="float32"))


def test_concatenating_integers_with_floats_gives_the_float_type():
    ints = ops.convert_to_tensor(np.array([[1, 2]], dtype="int64"))
    floats = ops.convert_to_tensor(np.array([[0.5]], dtype="float32"))
    out = ops.concatenate([ints, floats], axis=-1)
    assert _dtype(out) == "float32"
    np.testing.assert_array_equal(_np(out), np.array([[1.0, 2.0, 0.5]], dtype="float32"))
    # a Concatenate layer of an integer and a float input, as a tabular model has
    a = keras.Input((2,), dtype="int32")
    b = keras.Input((1,))
    model = keras.Model([a, b], keras.layers.Concatenate()([a, b]))
    assert model([np.array([[1, 2]], dtype="int32"),
                  np.array([[0.5]], dtype="float32")]).dtype == "float32"


def test_promotion_cache_keeps_numpy_and_strict_dtypes_apart():
    """Switching between the NumPy and array_api_strict backends in one process: the
    promotion cache does not compare their dtypes (array_api_strict warns about it)."""
    import warnings

    from kerasx.backends import use_backend

    pytest.importorskip("array_api_strict")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("numpy", "array_api_strict", "numpy"):
            with use_backend(name):
                out = ops.add(ops.convert_to_tensor(np.ones(2, "int32")), 1.5)
                assert "float32" in str(out.dtype)
