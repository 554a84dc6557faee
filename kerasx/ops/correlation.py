"""Correlation: `correlate` (the sliding dot product of two 1-D signals) and
`corrcoef` (Pearson correlation coefficients of variables), both differentiable.
Integer inputs give `floatx` (mixed with a float, that float, as in Keras)."""

from kerasx.ops._helpers import (as_float_operand, common_operands, current, operand_value,
                                 shape_of, value_of)
from kerasx.ops.linalg import matmul
from kerasx.ops.math import clip, divide, sqrt, subtract
from kerasx.ops.matrix import diagonal
from kerasx.ops.reduction import mean
from kerasx.ops.shape import expand_dims, constant_pad, reshape, take, transpose

_MODES = ("valid", "same", "full")


def _native_input(x):
    v = value_of(x)
    if getattr(x, "tracked", False):
        return x
    if not current().is_native(v):
        v = operand_value(v)
        v = v if current().is_native(v) else current().asarray(v)
    return v


def _float_input(x):
    x = _native_input(x)
    return x if getattr(x, "tracked", False) else as_float_operand(x)


def correlate(x1, x2, mode="valid"):
    """The cross-correlation `c[k] = sum_n x1[n + k] * x2[n]` of two 1-D inputs, as
    `numpy.correlate`: `"full"` gives every overlap (`len(x1) + len(x2) - 1` values),
    `"same"` the central `max(len)` of them, `"valid"` only the complete overlaps."""
    if mode not in _MODES:
        raise ValueError(f"correlate: mode must be one of {_MODES}, received {mode!r}.")
    a, v = common_operands(_native_input(x1), _native_input(x2), floating=True)
    m, n = (shape_of(value_of(t)) for t in (a, v))
    if len(m) != 1 or len(n) != 1 or not m[0] or not n[0]:
        raise ValueError(f"correlate expects two non-empty 1-D inputs, received shapes {m} "
                         f"and {n}.")
    m, n = m[0], n[0]
    backend = current()
    xp = backend.xp
    if mode == "full":
        start, length = 0, m + n - 1
    elif mode == "same":
        start, length = ((n - 1) // 2 if m >= n else m // 2), max(m, n)
    else:
        start, length = min(m, n) - 1, abs(m - n) + 1
    positions = xp.arange(start, start + length, dtype=xp.int64, device=backend.device)
    offsets = xp.arange(n, dtype=xp.int64, device=backend.device)
    windows = take(constant_pad(a, ((n - 1, n - 1),)), positions[:, None] + offsets[None, :], axis=0)
    return matmul(windows, v)


def corrcoef(x):
    """The Pearson correlation coefficients of the rows of `x` (each row a variable,
    each column an observation), as `numpy.corrcoef`: a matrix with one row and column
    per variable, clipped to [-1, 1]; a 0-D or 1-D input is one variable (the result is
    0-d)."""
    x = _float_input(x)
    shape = shape_of(value_of(x))
    if len(shape) > 2:
        raise ValueError(f"corrcoef expects a 0-D, 1-D or 2-D input, received shape {shape}.")
    rows = reshape(x, (1, -1)) if len(shape) < 2 else x
    n = shape_of(value_of(rows))[1]
    centered = subtract(rows, mean(rows, axis=1, keepdims=True))
    covariance = divide(matmul(centered, transpose(centered)), n - 1)
    if len(shape) < 2:  # one variable: its variance over itself (NaN for one value), as NumPy
        return reshape(divide(covariance, covariance), ())
    spread = sqrt(diagonal(covariance))
    scaled = divide(divide(covariance, expand_dims(spread, 1)), expand_dims(spread, 0))
    return clip(scaled, -1.0, 1.0)
