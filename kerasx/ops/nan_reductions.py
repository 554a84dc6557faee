"""Reductions that skip NaN: `nansum`, `nanmean`, `nanmax`, `nanmin`, `nanprod`,
`nanvar`, `nanstd`, `nanargmax`, `nanargmin`, `nancumsum`, `nancumprod`.

Each is the plain reduction of the input with its NaN entries replaced by the
neutral value (0 for sums, 1 for products, -inf/+inf for extremes), built from
differentiable ops: the gradient is that of the plain reduction, and 0 at NaN
entries. A reduction over only NaN gives NaN (`nanargmax`/`nanargmin`: -1), as
NumPy and Keras do. Integer inputs have no NaN; their result dtypes follow Keras.
"""

import math

from kerasx.ops._helpers import (Tensor, as_float_operand, current, normalize_axes,
                                 operand_value, shape_of, value_of)
from kerasx.ops.cumulative import cumprod, cumsum
from kerasx.ops.math import divide, isnan, sqrt, square, subtract, where
from kerasx.ops.reduction import argmax, argmin
from kerasx.ops.reduction import max as _max
from kerasx.ops.reduction import min as _min
from kerasx.ops.reduction import sum as _sum
from kerasx.ops.shape import reshape, transpose

# the dtype of a sum or product of small integers, as Keras gives it
_WIDENED = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
            "uint16": "uint32"}


def _prepared(x):
    """`(x, value)`: `x` as a tensor-or-array with a dtype (host values moved over, a
    Python number read as Keras reads it)."""
    backend = current()
    v = value_of(x)
    if not backend.is_native(v):
        v = operand_value(v)
        v = v if backend.is_native(v) else backend.asarray(v)
        x = v
    return x, v


def _is_float(v):
    return current().isdtype(v.dtype, "real floating")


def _filled(x, v, fill):
    """`x` with NaN entries replaced by `fill` (differentiable elsewhere)."""
    return where(isnan(v), fill, x)


def _widened(v):
    from kerasx.backends.base import dtype_name

    return current().dtype(_WIDENED.get(dtype_name(v.dtype), dtype_name(v.dtype)))


def nansum(x, axis=None, keepdims=False):
    """The sum over `axis`, NaN counted as 0. Booleans and 8/16-bit integers sum as
    int32 (unsigned: uint32)."""
    x, v = _prepared(x)
    if _is_float(v):
        return _sum(_filled(x, v, 0.0), axis=axis, keepdims=keepdims)
    axes = normalize_axes(axis, len(v.shape))
    xp = current().xp
    wide = _widened(v)
    return Tensor(xp.sum(xp.astype(v, wide), axis=axes, keepdims=keepdims, dtype=wide))


def _count(v, axis, keepdims):
    """The number of non-NaN entries over `axis`, in `v`'s float dtype."""
    xp = current().xp
    axes = normalize_axes(axis, len(v.shape))
    return xp.sum(xp.astype(xp.logical_not(xp.isnan(v)), v.dtype), axis=axes, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    """The mean of the non-NaN entries over `axis` (NaN where there are none); integers
    give `floatx`."""
    x, v = _prepared(x)
    if not _is_float(v):
        x = v = as_float_operand(v)
    return divide(nansum(x, axis=axis, keepdims=keepdims), _count(v, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    """The variance of the non-NaN entries over `axis` (NaN where there are none);
    integers give `floatx`."""
    x, v = _prepared(x)
    if not _is_float(v):
        x = v = as_float_operand(v)
    # NaN entries set to 0 before squaring: a NaN left in would make its (zero) gradient
    # NaN, and the mean's with it
    centered = _filled(subtract(x, nanmean(x, axis=axis, keepdims=True)), v, 0.0)
    return divide(_sum(square(centered), axis=axis, keepdims=keepdims),
                  _count(v, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    """The standard deviation of the non-NaN entries over `axis`."""
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extremum(x, axis, keepdims, largest):
    x, v = _prepared(x)
    reduce = _max if largest else _min
    if not _is_float(v):
        return reduce(x, axis=axis, keepdims=keepdims)
    xp = current().xp
    out = reduce(_filled(x, v, -math.inf if largest else math.inf), axis=axis, keepdims=keepdims)
    axes = normalize_axes(axis, len(v.shape))
    empty = xp.all(xp.isnan(v), axis=axes, keepdims=keepdims)
    return where(empty, math.nan, out)


def nanmax(x, axis=None, keepdims=False):
    """The maximum of the non-NaN entries over `axis` (NaN where there are none)."""
    return _nan_extremum(x, axis, keepdims, True)


def nanmin(x, axis=None, keepdims=False):
    """The minimum of the non-NaN entries over `axis` (NaN where there are none)."""
    return _nan_extremum(x, axis, keepdims, False)


def _nan_arg(x, axis, keepdims, largest):
    x, v = _prepared(x)
    xp = current().xp
    pick = argmax if largest else argmin
    if _is_float(v):
        filled = xp.where(xp.isnan(v), -math.inf if largest else math.inf, v)
        found = value_of(pick(filled, axis=axis, keepdims=keepdims))
        empty = xp.all(xp.isnan(v), axis=axis, keepdims=keepdims)
        found = xp.where(empty, -1, xp.astype(found, xp.int32))
    else:
        found = value_of(pick(v, axis=axis, keepdims=keepdims))
    return Tensor(xp.astype(found, xp.int32))


def nanargmax(x, axis=None, keepdims=False):
    """The index of the largest non-NaN entry over `axis` (of the flattened input for
    None), -1 where all are NaN (int32)."""
    return _nan_arg(x, axis, keepdims, True)


def nanargmin(x, axis=None, keepdims=False):
    """The index of the smallest non-NaN entry over `axis` (of the flattened input for
    None), -1 where all are NaN (int32)."""
    return _nan_arg(x, axis, keepdims, False)


def nanprod(x, axis=None, keepdims=False):
    """The product over `axis`, NaN counted as 1; differentiable (also through zeros).
    Booleans and 8/16-bit integers multiply as int32 (unsigned: uint32)."""
    x, v = _prepared(x)
    xp = current().xp
    shape = shape_of(v)
    axes = normalize_axes(axis, len(shape))
    if not _is_float(v):
        wide = _widened(v)
        return Tensor(xp.prod(xp.astype(v, wide), axis=axes, keepdims=keepdims, dtype=wide))
    kept = [i for i in range(len(shape)) if i not in axes]
    n = 1
    for a in axes:
        n *= shape[a]
    reduced_shape = tuple(1 if i in axes else shape[i] for i in range(len(shape))) if keepdims \
        else tuple(shape[i] for i in kept)
    if n == 0:
        return Tensor(xp.ones(reduced_shape, dtype=v.dtype, device=current().device))
    rows = reshape(transpose(_filled(x, v, 1.0), kept + list(axes)),
                   tuple(shape[i] for i in kept) + (n,))
    return reshape(cumprod(rows, axis=-1)[..., -1], reduced_shape)


def nancumsum(x, axis=None, dtype=None):
    """The running sum along `axis` (of the flattened input for None), NaN counted as 0."""
    x, v = _prepared(x)
    if _is_float(v):
        x = _filled(x, v, 0.0)
    return cumsum(x, axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    """The running product along `axis` (of the flattened input for None), NaN counted
    as 1."""
    x, v = _prepared(x)
    if _is_float(v):
        x = _filled(x, v, 1.0)
    return cumprod(x, axis=axis, dtype=dtype)


