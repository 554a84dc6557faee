"""Order statistics and weighted counts: `quantile`, `median`, `average`,
`count_nonzero`, `bincount`.

`quantile` and `median` are differentiable through the values they read: the
result is a mix of sorted entries, so the gradient reaches those entries.
"""

import math

from kerasx.ops._helpers import (Tensor, TensorOps, as_float_operand, common_operands, current,
                                 normalize_axes, operand_value, shape_of, value_of)
from kerasx.ops.math import add, divide, multiply, where
from kerasx.ops.reduction import mean
from kerasx.ops.reduction import sum as _sum
from kerasx.ops.shape import expand_dims, moveaxis, reshape, take, transpose
from kerasx.ops.sorting import sort

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (`q` in [0, 1], a number or a 1-D array) over `axis`, as
    `numpy.quantile`: `method="linear"` interpolates between the two nearest sorted
    entries; `"lower"`, `"higher"`, `"midpoint"` and `"nearest"` as in NumPy. For an
    array `q`, its axis comes first. Integer inputs give `floatx`."""
    backend = current()
    if method not in _METHODS:
        raise ValueError(f"quantile: method must be one of {_METHODS}, received {method!r}.")
    levels, scalar = _levels(q)
    x = _floating(x)
    shape = shape_of(value_of(x))
    axes = normalize_axes(axis, len(shape))
    kept = [i for i in range(len(shape)) if i not in axes]
    n = 1
    for a in axes:
        n *= shape[a]
    if n == 0:
        raise ValueError(f"quantile of an empty reduction (input of shape {shape}, axis {axis}).")
    rows = sort(reshape(transpose(x, kept + list(axes)), [shape[i] for i in kept] + [n]))
    positions = [level * (n - 1) for level in levels]
    lower = [int(math.floor(p)) for p in positions]
    upper = [min(i + 1, n - 1) for i in lower]
    fraction = [p - i for p, i in zip(positions, lower)]
    if method == "nearest":  # halves to the even index, as NumPy
        lower = [int(round(p)) for p in positions]
    elif method in ("higher", "midpoint"):
        upper = [int(math.ceil(p)) for p in positions]
        lower = lower if method == "midpoint" else upper
        fraction = [0.5] * len(positions)

    def gather(indices):
        return take(rows, backend.asarray(indices, dtype="int64"), axis=-1)

    if method in ("lower", "higher", "nearest"):
        out = gather(lower)
    else:
        low = gather(lower)
        weight = backend.asarray(fraction, dtype=value_of(rows).dtype)
        # as a weighted sum (not `low + (high - low) * w`), with an entry taken whole where
        # the weight is 0: infinite entries give what Keras gives, not inf - inf
        out = low if not any(fraction) else where(
            weight == 0, low, add(multiply(low, 1.0 - weight), multiply(gather(upper), weight)))
    out = moveaxis(out, -1, 0)
    if keepdims:
        out = reshape(out, (len(levels),) + tuple(1 if i in axes else shape[i]
                                                  for i in range(len(shape))))
    return reshape(out, shape_of(value_of(out))[1:]) if scalar else out


def _levels(q):
    """`(levels, scalar)`: the quantile levels of `q` as a list of floats, and whether
    `q` was a single number."""
    backend = current()
    qv = value_of(q)
    if isinstance(qv, (list, tuple)):
        qv = backend.asarray(qv)
    host = backend.to_numpy(qv) if hasattr(qv, "shape") else None
    levels = [float(qv)] if host is None else [float(v) for v in host.reshape(-1).tolist()]
    if host is not None and host.ndim > 1 or not all(0.0 <= v <= 1.0 for v in levels):
        raise ValueError(f"quantile: q must be a number or a 1-D array of numbers in [0, 1], "
                         f"received {q!r}.")
    return levels, host is None or host.ndim == 0


def median(x, axis=None, keepdims=False):
    """The middle value over `axis` (the mean of the two middle ones for an even
    count), as `numpy.median`."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def average(x, axis=None, weights=None):
    """The mean over `axis`, weighted by `weights` (the shape of `x`, or 1-D along
    one `axis`), as `numpy.average`. Integer inputs give `floatx`."""
    if weights is None:
        return mean(_floating(x), axis=axis)
    # one float type for both, as Keras's `result_type(x, weights, float)`
    x, weights = common_operands(_native(x), _native(weights), floating=True)
    shape, w_shape = shape_of(value_of(x)), shape_of(value_of(weights))
    if w_shape != shape:
        if not isinstance(axis, int) or len(w_shape) != 1 or \
                w_shape[0] != shape[axis % len(shape)]:
            raise ValueError(f"average: weights of shape {w_shape} must have the shape of x "
                             f"{shape}, or be 1-D along one int axis of it (axis={axis!r}).")
        weights = reshape(weights, tuple(w_shape[0] if i == axis % len(shape) else 1
                                         for i in range(len(shape))))
    return divide(_sum(multiply(x, weights), axis=axis), _sum(weights, axis=axis))


def _native(x):
    """`x` as a Tensor or a backend array (host values converted)."""
    if isinstance(x, TensorOps):
        return x
    backend = current()
    xv = operand_value(x)
    return xv if backend.is_native(xv) else backend.asarray(xv)


def _floating(x):
    """`x` as a float tensor or array: integers and host values as `floatx` (a tracked
    float input is left as it is, to keep its gradient)."""
    backend = current()
    xv = operand_value(x)
    if hasattr(xv, "dtype") and backend.isdtype(xv.dtype, "real floating"):
        return x if isinstance(x, TensorOps) else xv
    return as_float_operand(xv if backend.is_native(xv) else backend.asarray(xv))


def count_nonzero(x, axis=None):
    """The number of nonzero entries over `axis` (int32)."""
    xp = current().xp
    xv = value_of(x)
    xv = xv if current().is_native(xv) else current().asarray(xv)
    axes = normalize_axes(axis, len(xv.shape))
    nonzero = xv if xv.dtype == xp.bool else xv != 0
    return Tensor(xp.sum(xp.astype(nonzero, xp.int32), axis=axes, dtype=xp.int32))


def bincount(x, weights=None, minlength=0, sparse=False):
    """How often each value 0, 1, ... occurs in the non-negative integers `x` (1-D, or
    2-D for one count per row), or the sums of their `weights`; at least `minlength`
    bins. Counts are int32; sums have the weights' dtype and are differentiable (float
    weights). Booleans count as integers."""
    backend = current()
    xp = backend.xp
    if sparse:
        raise ValueError("bincount: sparse=True is not supported; kerasx has no sparse tensors.")
    xv = value_of(x)
    xv = xv if backend.is_native(xv) else backend.asarray(xv)
    if xv.dtype == xp.bool:  # booleans count as 0 and 1, as in Keras
        xv = xp.astype(xv, xp.int32)
    if len(xv.shape) not in (1, 2) or not backend.isdtype(xv.dtype, "integral"):
        raise ValueError(f"bincount expects 1-D or 2-D integers, received {xv.dtype} of shape "
                         f"{tuple(xv.shape)}.")
    if xv.shape[-1] and bool(xp.any(xv < 0)):
        raise ValueError("bincount expects non-negative integers; the input has negative "
                         "values.")
    length = int(xp.max(xv)) + 1 if xv.shape[-1] else 0
    length = max(length, int(minlength))
    bins = xp.arange(length, dtype=xv.dtype, device=backend.device)
    hot = xv[..., None] == bins
    if weights is None:
        return Tensor(xp.sum(xp.astype(hot, xp.int32), axis=-2, dtype=xp.int32))
    w_dtype = value_of(weights).dtype if hasattr(value_of(weights), "dtype") else None
    w_dtype = w_dtype or backend.dtype("float32")
    out = _sum(multiply(xp.astype(hot, w_dtype), expand_dims(weights, -1)), axis=-2)
    if backend.isdtype(w_dtype, "integral") and value_of(out).dtype != w_dtype:
        # sums of int8 / int16 / uint8 / uint16 weights keep their type, as in Keras (a
        # `sum` of them would widen)
        out = Tensor(xp.astype(value_of(out), w_dtype))
    return out
