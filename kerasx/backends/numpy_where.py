"""`where` for the NumPy backend's namespace: a branch-free select of float bits.

NumPy's `where` takes a branch per element. On a condition that follows the data's
sign, as in the gradients of leaky ReLU, ELU, clipping or `maximum`, half of those
branches are mispredicted: 1.9 ms for 524,288 float32 values, where a multiply takes
0.05-0.1 ms (and the same call on a sorted condition 0.3 ms). Here the condition
becomes an integer mask of all-ones or all-zeros words, and the result is
`(x1 & mask) | (x2 & ~mask)` on the floats' bits: 0.25 ms, and 0.13 ms when one side
is the constant 0.0 (one `and`). Selecting bits copies every value exactly, NaN,
infinities and the sign of zero included.

Other arguments (small arrays, integer or mixed dtypes, NumPy scalars) go to the
array-API `where` it replaces.
"""

import math

import numpy as np

# below this many output values a branch per value costs less than the extra passes
_MIN_SIZE = 4096
_INTEGER_OF = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}
_INTEGER_OF_WIDTH = {2: np.int16, 4: np.int32, 8: np.int64}


def fast_where(portable):
    """`where(condition, x1, x2)` with the bit select, falling back to `portable`."""

    def where(condition, x1, x2, /):
        out = _select(condition, x1, x2)
        return portable(condition, x1, x2) if out is None else out

    where.__doc__ = portable.__doc__
    return where


def word_mask(condition, dtype):
    """The boolean `condition` as integer words of `dtype`'s width (a float dtype, 16, 32
    or 64 bits: float16 and bfloat16 too), all ones where it is True and zero elsewhere,
    for selecting floats by their bits; None for a dtype of another width."""
    integer = _INTEGER_OF_WIDTH.get(np.dtype(dtype).itemsize)
    return None if integer is None else np.negative(condition.view(np.int8), dtype=integer)


def _operand(x, dtype):
    """`x` (an array of `dtype` or a Python number) as an array of `dtype`, or None."""
    if type(x) is np.ndarray:
        return x if x.dtype == dtype else None
    if type(x) in (float, int):
        return np.asarray(x, dtype=dtype)
    return None


def _is_positive_zero(x):
    return type(x) in (float, int) and x == 0 and math.copysign(1.0, x) > 0


def _select(condition, x1, x2):
    if type(condition) is not np.ndarray or condition.dtype != np.bool_:
        return None
    arrays = [x for x in (x1, x2) if type(x) is np.ndarray]
    if not arrays:
        return None
    dtype = arrays[0].dtype
    integer = _INTEGER_OF.get(dtype)
    if integer is None:
        return None
    a, b = _operand(x1, dtype), _operand(x2, dtype)
    if a is None or b is None:
        return None
    shape = np.broadcast_shapes(condition.shape, a.shape, b.shape)
    if math.prod(shape) < _MIN_SIZE:
        return None
    flags = condition.view(np.int8)
    if _is_positive_zero(x1):  # x2 where the condition is false, else the bits of +0.0
        mask = np.subtract(flags, 1, dtype=integer)
        return np.bitwise_and(b.view(integer), mask).view(dtype)
    mask = word_mask(condition, dtype)
    out = np.bitwise_and(a.view(integer), mask)
    if out.shape != shape:
        out = np.broadcast_to(out, shape).copy()
    if _is_positive_zero(x2):
        return out.view(dtype)
    np.invert(mask, out=mask)
    if mask.shape == shape:
        np.bitwise_and(mask, b.view(integer), out=mask)
        out |= mask
    else:
        out |= np.bitwise_and(mask, b.view(integer))
    return out.view(dtype)
