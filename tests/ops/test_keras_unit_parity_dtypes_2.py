"""Result dtypes of ops joining or contracting several arrays, and of the half-precision
normalizations, as Keras 3.15.1 gives them (its JAX backend, which its dtype tests in
keras/src/ops/*_test.py take as the reference). Keras follows JAX's 32-bit lattice:
uint32 with a signed integer type of 32 bits or fewer is int32 and float16 with bfloat16
is float32, where NumPy widens to int64 and the array API has no common type."""

import re

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current


def _need(*dtypes):
    """Skips the test on a backend without one of `dtypes` (array_api_strict has no
    float16 or bfloat16)."""
    for dtype in dtypes:
        try:
            current().dtype(dtype)
        except TypeError:
            pytest.skip(f"the {current().name} backend has no {dtype}")


def _ones(dtype, n=2):
    return ops.ones((n,), dtype=dtype)


JOINS = {
    "concatenate": lambda a, b: ops.concatenate([a, b]),
    "stack": lambda a, b: ops.stack([a, b]),
    "append": ops.append,
    "hstack": lambda a, b: ops.hstack([a, b]),
    "vstack": lambda a, b: ops.vstack([a, b]),
    "dstack": lambda a, b: ops.dstack([a, b]),
}
CONTRACTIONS = {
    "einsum": lambda a, b: ops.einsum("i,i->i", a, b),
    "tensordot": lambda a, b: ops.tensordot(a, b, 1),
    "outer": ops.outer,
    "inner": ops.inner,
    "vdot": ops.vdot,
    "kron": ops.kron,
}

# Keras 3.15.1 gives these dtypes for both orders of the operands
MIXED = [
    ("uint32", "int8", "int32"),
    ("uint32", "int16", "int32"),
    ("uint32", "int32", "int32"),
    ("float16", "bfloat16", "float32"),
]


@pytest.mark.parametrize("a, b, expected", MIXED)
@pytest.mark.parametrize("op", sorted({**JOINS, **CONTRACTIONS}))
def test_joins_and_contractions_of_mixed_types(op, a, b, expected):
    _need(a, b)
    fn = {**JOINS, **CONTRACTIONS}[op]
    for x, y in ((a, b), (b, a)):
        assert str(fn(_ones(x), _ones(y)).dtype) == expected


def test_joined_values_are_kept():
    big = ops.convert_to_tensor(np.array([7, 2 ** 31 - 1], dtype="uint32"))
    small = ops.convert_to_tensor(np.array([-3, 5], dtype="int8"))
    out = ops.convert_to_numpy(ops.concatenate([big, small]))
    assert out.tolist() == [7, 2 ** 31 - 1, -3, 5]


@pytest.mark.parametrize("op, expected", [
    # Keras 3.15.1 gives int32 for `einsum` of int8 operands only, int8 elsewhere
    ("einsum", "int32"), ("tensordot", "int8"), ("outer", "int8"), ("inner", "int8"),
    ("vdot", "int8"), ("dot", "int8"), ("matmul", "int32"),
])
def test_int8_contractions(op, expected):
    fn = {**CONTRACTIONS, "dot": ops.dot, "matmul": ops.matmul}[op]
    assert str(fn(_ones("int8"), _ones("int8")).dtype) == expected


@pytest.mark.parametrize("op", ["einsum", "tensordot", "outer", "vdot"])
def test_bool_with_int8_contracts_in_int8(op):
    # Keras 3.15.1 gives int8 (einsum widens only operands all int8)
    assert str(CONTRACTIONS[op](_ones("bool"), _ones("int8")).dtype) == "int8"


def test_int8_dot_wraps_as_an_int8_accumulation():
    x = np.full((2, 200), 100, dtype="int8")
    out = ops.convert_to_numpy(ops.dot(x, x.T))
    # 100 * 100 * 200 modulo 2 ** 8, read as int8; Keras 3.15.1 gives -128 too
    expected = (100 * 100 * 200 + 128) % 256 - 128
    assert out.dtype == np.int8 and (out == expected).all()


FLOAT_OF_TWO = {
    "average": lambda a, b: ops.average(a, weights=b),
    "correlate": ops.correlate,
    "trapezoid": lambda a, b: ops.trapezoid(a, b),
    "cdist": lambda a, b: ops.cdist(ops.reshape(a, (2, 1)), ops.reshape(b, (2, 1))),
}


@pytest.mark.parametrize("other", ["bool", "int8", "uint8", "int16", "int32", "uint32"])
@pytest.mark.parametrize("op", sorted(FLOAT_OF_TWO))
def test_float_results_of_float16_with_integers_stay_float16(op, other):
    # Keras 3.15.1 gives float16 (`result_type(x1, x2, float)`), either order
    _need("float16")
    fn = FLOAT_OF_TWO[op]
    for x, y in (("float16", other), (other, "float16")):
        assert str(fn(_ones(x), _ones(y)).dtype) == "float16"


@pytest.mark.parametrize("op", sorted(FLOAT_OF_TWO))
def test_float_results_of_integers_are_floatx(op):
    # Keras 3.15.1 gives float32 for int8 with int16, and for two booleans (cdist of two
    # booleans raises in Keras's JAX and NumPy backends: test_keras_unit_parity_ops_4)
    fn = FLOAT_OF_TWO[op]
    assert str(fn(_ones("int8"), _ones("int16")).dtype) == "float32"
    if op != "cdist":
        assert str(fn(_ones("bool"), _ones("bool")).dtype) == "float32"


def test_float_results_of_float16_with_bfloat16_are_float32():
    # Keras 3.15.1 gives float32 for each, and complex64 for `polar`
    _need("float16", "bfloat16")
    for fn in FLOAT_OF_TWO.values():
        assert str(fn(_ones("float16"), _ones("bfloat16")).dtype) == "float32"
    assert str(ops.polar(_ones("float16"), _ones("bfloat16")).dtype) == "complex64"


def test_average_of_float16_with_integer_weights_has_the_right_value():
    _need("float16")
    x = ops.convert_to_tensor(np.array([1.0, 3.0], dtype="float16"))
    w = ops.convert_to_tensor(np.array([1, 3], dtype="int32"))
    assert float(ops.convert_to_numpy(ops.average(x, weights=w))) == 2.5


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "bool"])
def test_moments_of_integers_are_floatx(dtype):
    # Keras 3.15.1 gives float32 (as its `var` and `mean`)
    mean, variance = ops.moments(ops.convert_to_tensor(np.array([0, 1, 1, 0], dtype=dtype)),
                                 axes=[0])
    assert str(mean.dtype) == str(variance.dtype) == "float32"
    assert float(ops.convert_to_numpy(variance)) == 0.25


# (input dtype, weights dtype) of Keras's NNOpsDtypeTest; the result keeps the input's
HALF_WITH_WEIGHTS = [("bfloat16", "float16"), ("bfloat16", "float32"), ("float16", "float32"),
                     ("float16", "bfloat16"), ("float32", "float16"), ("float32", "bfloat16")]


@pytest.mark.parametrize("x_dtype, w_dtype", HALF_WITH_WEIGHTS)
def test_layer_and_rms_normalization_keep_the_input_dtype(x_dtype, w_dtype):
    _need(x_dtype, w_dtype)
    x = ops.ones((2, 8), dtype=x_dtype)
    gamma = kerasx.Variable(np.ones((8,), dtype="float32"), dtype=w_dtype)
    beta = kerasx.Variable(np.zeros((8,), dtype="float32"), dtype=w_dtype)
    # Keras 3.15.1 gives x's dtype for each, eager and symbolic
    assert str(ops.layer_normalization(x, gamma, beta).dtype) == x_dtype
    assert str(ops.layer_normalization(x, gamma, beta, rms_scaling=True).dtype) == x_dtype
    assert str(ops.rms_normalization(x, gamma).dtype) == x_dtype
    spec = kerasx.KerasTensor((2, 8), dtype=x_dtype)
    weight = kerasx.KerasTensor((8,), dtype=w_dtype)
    assert str(ops.layer_normalization(spec, weight, weight).dtype) == x_dtype
    assert str(ops.rms_normalization(spec, weight).dtype) == x_dtype


def test_half_precision_normalizations_compute_in_float32():
    _need("float16")
    x = np.array([[1.0, 2.0, 3.0, 900.0]], dtype="float16")
    g = np.array([1.5, 1.0, 1.0, 1.0], dtype="float32")
    wide = x.astype("float64")
    centered = wide - wide.mean(-1, keepdims=True)
    layer = centered / np.sqrt((centered ** 2).mean(-1, keepdims=True) + 1e-3) * g + g
    rms = wide / np.sqrt((wide ** 2).mean(-1, keepdims=True) + 1e-6) * g
    # float16 squares of 900 overflow; Keras 3.15.1 gives
    # [[0.63, 0.4226, 0.4253, 2.732]] and [[0.003334, 0.004444, 0.006668, 2.0]]
    out = ops.layer_normalization(x, g, g, epsilon=1e-3)
    assert str(out.dtype) == "float16"
    np.testing.assert_allclose(ops.convert_to_numpy(out).astype("float64"), layer, rtol=2e-3)
    out = ops.rms_normalization(x, g, epsilon=1e-6)
    assert str(out.dtype) == "float16"
    np.testing.assert_allclose(ops.convert_to_numpy(out).astype("float64"), rms, rtol=2e-3)


def test_half_precision_normalization_gradients_keep_their_dtypes():
    _need("float16")
    x = kerasx.Variable(np.array([[1.0, 2.0, 3.0, 5.0]], dtype="float32"), dtype="float16")
    g = kerasx.Variable(np.array([1.5, 1.0, 1.0, 1.0], dtype="float32"))
    with kerasx.GradientTape() as tape:
        loss = ops.sum(ops.layer_normalization(x, g, g) * ops.arange(4, dtype="float16"))
    gx, gg = tape.gradient(loss, [x, g])
    assert str(gx.dtype) == "float16" and str(gg.dtype) == "float32"
    # g is gamma and beta: d/dg of sum((xhat * g + g) * w) is (xhat + 1) * w, with xhat
    # computed in float64
    v = np.array([1.0, 2.0, 3.0, 5.0])
    xhat = (v - v.mean()) / np.sqrt(v.var() + 1e-3)
    np.testing.assert_allclose(ops.convert_to_numpy(gg), (xhat + 1) * np.arange(4), rtol=2e-3,
                               atol=2e-3)


# Error messages Keras's own tests (keras/src/ops/*_test.py) match; Keras 3.15.1 raises these
ERRORS = [
    (lambda: ops.pad(np.ones((2,)), 1, mode="reflect", constant_values=0), ValueError,
     "Argument `constant_values` can only be provided when `mode == 'constant'`"),
    (lambda: ops.histogram(np.ones((8,)), bins=-5), ValueError,
     "Argument `bins` should be a non-negative integer"),
    (lambda: ops.histogram(np.ones((8,)), bins=1.5), TypeError,
     "Argument `bins` must be of type `int`"),
    (lambda: ops.histogram(np.ones((8,)), range=(1,)), ValueError,
     "Argument `range` must be a tuple of two elements"),
    (lambda: ops.histogram(np.ones((8,)), range=(1, 0)), ValueError,
     "The second element of `range` must be greater than the first"),
    (lambda: ops.normalize(np.ones((2,)), order="a"), ValueError,
     "Argument `order` must be an int >= 1"),
    (lambda: ops.qr(np.ones((2, 2)), mode="invalid_mode"), ValueError,
     "Expected one of {'reduced', 'complete'}."),
    (lambda: ops.where(np.ones((2,)), np.ones((2,))), ValueError,
     "`x1` and `x2` either both should be `None`"),
    (lambda: ops.depth_to_space(np.ones((1, 2, 2, 4)), 1), ValueError,
     "`block_size` must be at least 2"),
    (lambda: ops.space_to_depth(np.ones((1, 2, 2, 4)), 1), ValueError,
     "`block_size` must be at least 2"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors_say_what_keras_says(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8", "uint16", "int32"])
def test_bincount_sums_of_integer_weights_keep_their_type(dtype):
    x = np.array([1, 1, 2, 3, 2, 4, 4, 5], dtype=dtype)
    weights = np.array([0, 0, 3, 2, 1, 1, 4, 2], dtype=dtype)
    out = ops.bincount(x, weights=weights, minlength=3)
    # Keras 3.15.1 gives the weights' dtype (its NumPy and JAX backends alike here)
    assert str(out.dtype) == dtype
    assert ops.convert_to_numpy(out).tolist() == np.bincount(x, weights, 3).tolist()


def test_bincount_counts_booleans():
    out = ops.bincount(np.array([True, False, True]))
    # Keras 3.15.1 gives int32 [1, 2]
    assert str(out.dtype) == "int32" and ops.convert_to_numpy(out).tolist() == [1, 2]


def test_dot_product_attention_of_float16_with_bfloat16_is_float32():
    _need("float16", "bfloat16")
    query = ops.ones((2, 3, 3, 8), dtype="bfloat16")
    key = ops.ones((2, 3, 3, 8), dtype="float16")
    # Keras 3.15.1 gives float32 (`result_type(bfloat16, float16)`), eager and symbolic
    assert str(ops.dot_product_attention(query, key, key).dtype) == "float32"
    spec_q = kerasx.KerasTensor((2, 3, 3, 8), dtype="bfloat16")
    spec_k = kerasx.KerasTensor((2, 3, 3, 8), dtype="float16")
    assert str(ops.dot_product_attention(spec_q, spec_k, spec_k).dtype) == "float32"


@pytest.mark.parametrize("strategy", ["greedy", "beam_search"])
def test_ctc_decode_scores_of_bfloat16_are_float32(strategy):
    _need("bfloat16")
    probs = np.array([[[0.4, 0.8, 0.4], [0.2, 0.8, 0.3], [0.9, 0.4, 0.5]]])
    inputs = ops.cast(probs, "bfloat16")
    decoded, scores = ops.ctc_decode(inputs, ops.convert_to_tensor([3]), strategy=strategy)
    # Keras 3.15.1 gives int32 and float32 (`result_type(dtype, "float32")`), scores -2.5
    # (greedy) and -1.2014263 (beam search) on its NumPy and JAX backends
    assert str(decoded.dtype) == "int32" and str(scores.dtype) == "float32"
    want = {"greedy": -2.5, "beam_search": -1.2014263}[strategy]
    np.testing.assert_allclose(ops.convert_to_numpy(scores)[0, 0], want, rtol=1e-6)


@pytest.mark.parametrize("op", ["cast", "saturate_cast"])
def test_a_cast_to_none_gives_floatx(op):
    # Keras 3.15.1 gives float32
    out = getattr(ops, op)(np.ones((1,), dtype="int32"), None)
    assert str(out.dtype) == "float32"


@pytest.mark.parametrize("op", ["linspace", "logspace"])
def test_sequences_between_symbolic_bounds_are_symbolic(op):
    start = kerasx.KerasTensor((2,), dtype="float32")
    # Keras 3.15.1 gives KerasTensors of shape (5, 2) and (2, 5)
    assert getattr(ops, op)(start, start, 5).shape == (5, 2)
    assert getattr(ops, op)(0.0, start, 5, axis=1).shape == (2, 5)
    inputs = kerasx.Input((2,))
    model = kerasx.Model(inputs, getattr(ops, op)(inputs, inputs + 1.0, 3, axis=1))
    data = np.array([[0.0, 1.0]], dtype="float32")
    want = getattr(np, op)(data, data + 1.0, 3, axis=1)
    np.testing.assert_allclose(model.predict(data, verbose=0), want, rtol=1e-6)


@pytest.mark.parametrize("other", ["int8", "int16", "uint8", "uint32"])
@pytest.mark.parametrize("op", ["gcd", "lcm"])
def test_gcd_and_lcm_of_booleans_with_integers(op, other):
    flags = np.array([True, False])
    numbers = np.array([4, 6], dtype=other)
    # Keras 3.15.1 gives the integer type, gcd [1, 6] and lcm [4, 0]
    want = {"gcd": [1, 6], "lcm": [4, 0]}[op]
    for x, y in ((flags, numbers), (numbers, flags)):
        out = getattr(ops, op)(x, y)
        assert str(out.dtype) == other and ops.convert_to_numpy(out).tolist() == want
    with pytest.raises(TypeError, match="booleans only"):
        getattr(ops, op)(flags, flags)
