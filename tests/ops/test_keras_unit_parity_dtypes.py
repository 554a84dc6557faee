"""Result dtypes of Keras's dtype tests (keras/src/ops/numpy_test.py, `NumpyDtypeTest`)
where kerasx differed: Keras 3.15.1 follows JAX's 32-bit lattice, in which uint32 meeting
a signed integer type of 32 bits or fewer gives int32 (NumPy: int64)."""

import pytest

from kerasx import ops

SIGNED = ["int8", "int16", "int32"]
ARITHMETIC = ["add", "subtract", "multiply", "maximum", "minimum", "power", "mod",
              "floor_divide", "fmin", "fmax", "fmod"]
BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
           "bitwise_right_shift", "left_shift", "right_shift", "gcd", "lcm"]


@pytest.mark.parametrize("signed", SIGNED)
@pytest.mark.parametrize("op", ARITHMETIC + BITWISE)
def test_uint32_with_a_signed_integer_gives_int32(op, signed):
    fn = getattr(ops, op)
    a = ops.full((2,), 3, dtype="uint32")
    b = ops.full((2,), 2, dtype=signed)
    # Keras 3.15.1 gives int32 for each order of the operands
    for x, y in ((a, b), (b, a)):
        out = fn(x, y)
        assert str(out.dtype) == "int32"
    # small values compute as in int64
    assert ops.convert_to_numpy(fn(a, b)).tolist() == \
        ops.convert_to_numpy(fn(ops.cast(a, "int64"), ops.cast(b, "int64"))).tolist()


@pytest.mark.parametrize("other", ["uint8", "uint16", "uint32"])
def test_uint32_with_an_unsigned_type_stays_uint32(other):
    out = ops.add(ops.ones((1,), dtype="uint32"), ops.ones((1,), dtype=other))
    assert str(out.dtype) == "uint32"


@pytest.mark.parametrize("op", ["equal", "less", "greater_equal"])
def test_comparisons_of_uint32_and_signed_integers_are_boolean(op):
    out = getattr(ops, op)(ops.ones((1,), dtype="uint32"), ops.ones((1,), dtype="int8"))
    assert str(out.dtype) == "bool"


def _needs(dtype):
    from kerasx.backends import current

    try:
        current().dtype(dtype)
    except TypeError:
        pytest.skip(f"the backend has no {dtype}")


@pytest.mark.parametrize("other, expected", [("float16", "float32"), ("float32", "float32")])
@pytest.mark.parametrize("op", ["add", "multiply", "maximum", "divide_no_nan", "heaviside",
                                "fmin", "nextafter", "arctan2"])
def test_bfloat16_with_another_float_takes_keras_type(op, other, expected):
    # Keras 3.15.1: bfloat16 with float16 gives float32, with float32 float32 (ml_dtypes
    # gave float64 for some of these ops and refused the float16 pairs)
    _needs("bfloat16")
    _needs("float16")
    fn = getattr(ops, op)
    a = ops.ones((2,), dtype="bfloat16")
    b = ops.ones((2,), dtype=other)
    assert str(fn(a, b).dtype) == expected
    assert str(fn(b, a).dtype) == expected


def test_clip_of_booleans_is_int32():
    out = ops.clip(ops.convert_to_tensor([True, False]), 0, 1)
    assert str(out.dtype) == "int32"
    assert ops.convert_to_numpy(out).tolist() == [1, 0]


def test_matmul_of_int8_accumulates_into_int32():
    a = ops.full((2, 4), 100, dtype="int8")
    out = ops.matmul(a, ops.full((4, 3), 100, dtype="int8"))
    assert str(out.dtype) == "int32"
    assert ops.convert_to_numpy(out).tolist() == [[40000] * 3] * 2  # would wrap in int8


@pytest.mark.parametrize("op", ["linspace", "logspace", "geomspace"])
@pytest.mark.parametrize("dtype, expected", [("float16", "float16"), ("bfloat16", "bfloat16"),
                                             ("int32", "float32"), ("int8", "float32")])
def test_sequences_between_array_bounds_take_the_bounds_float_type(op, dtype, expected):
    _needs(dtype)
    bound = ops.ones((2,), dtype=dtype)
    out = getattr(ops, op)(bound, ops.add(bound, ops.ones((2,), dtype=dtype)), 3)
    assert str(out.dtype) == expected


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_moments_of_half_precision_compute_in_float32_and_clip(dtype):
    _needs(dtype)
    import numpy as np

    # Keras's test: the variance overflows float16 and is clipped to its largest value
    x = np.array([-741.0, 353.2, 1099.0, -1807.0, 502.8, -83.4, 333.5, -130.9], "float32")
    mean, variance = ops.moments(ops.cast(x, dtype), axes=[0])
    assert str(mean.dtype) == dtype and str(variance.dtype) == dtype
    held = ops.convert_to_numpy(ops.cast(ops.cast(x, dtype), "float32"))
    expected_mean = ops.convert_to_numpy(ops.cast(ops.cast(held.mean(), dtype), "float32"))
    assert ops.convert_to_numpy(ops.cast(mean, "float32")).item() == pytest.approx(
        expected_mean.item(), rel=1e-2)
    assert ops.convert_to_numpy(ops.cast(variance, "float32")).item() == \
        ops.convert_to_numpy(ops.cast(ops.cast(65504.0, dtype), "float32")).item()


@pytest.mark.parametrize("draw", ["normal", "uniform", "truncated_normal", "gamma", "beta",
                                  "binomial"])
def test_random_draws_in_bfloat16(draw):
    # keras/src/random/random_test.py (RandomDTypeTest): each float draw takes bfloat16
    _needs("bfloat16")
    import numpy as np

    from kerasx import random

    args = {"gamma": (1.0,), "beta": (2.0, 2.0), "binomial": (5, 0.5)}.get(draw, ())
    out = getattr(random, draw)((200,), *args, dtype="bfloat16", seed=3)
    assert str(out.dtype) == "bfloat16"
    reference = getattr(random, draw)((200,), *args, dtype="float32", seed=3)
    # the same draws, rounded to bfloat16
    np.testing.assert_allclose(ops.convert_to_numpy(ops.cast(out, "float32")),
                               ops.convert_to_numpy(reference), rtol=1e-2, atol=1e-2)
