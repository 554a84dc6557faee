"""Quantiles in percent and quantiles that skip NaN: `percentile`, `nanquantile`,
`nanpercentile`, `nanmedian`.

`nanquantile` sorts each reduced row with its NaN entries last and reads the
quantile among the row's own count of numbers, so rows may hold different numbers
of NaN. It is differentiable like `quantile`: the gradient reaches the sorted
entries the result mixes, and never a NaN entry. A row of only NaN gives NaN.
"""

import math

from kerasx.ops._helpers import current, normalize_axes, shape_of, value_of
from kerasx.ops.math import add, multiply, where
from kerasx.ops.shape import reshape, stack, take_along_axis, transpose
from kerasx.ops.sorting import sort
from kerasx.ops.statistics import _METHODS, _floating, _levels, quantile


def _fractions(q, name):
    """`q` in percent as fractions (a number, or a list for a 1-D `q`), checked to lie
    in [0, 100]."""
    backend = current()
    qv = value_of(q)
    if isinstance(qv, (list, tuple)):
        qv = backend.asarray(qv)
    if hasattr(qv, "shape"):
        host = backend.to_numpy(qv)
        if host.ndim > 1:
            raise ValueError(f"{name}: q must be a number or a 1-D array, received shape "
                             f"{tuple(host.shape)}.")
        values = [float(v) for v in host.reshape(-1).tolist()]
        scalar = host.ndim == 0
    else:
        values, scalar = [float(qv)], True
    if not all(0.0 <= v <= 100.0 for v in values):
        raise ValueError(f"{name}: q must lie in [0, 100] (percent), received {q!r}.")
    fractions = [v / 100.0 for v in values]
    return fractions[0] if scalar else fractions


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (`q` in [0, 100]) over `axis`: `quantile` at `q / 100`."""
    return quantile(x, _fractions(q, "percentile"), axis=axis, method=method,
                    keepdims=keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (`q` in [0, 100]) of the non-NaN entries over `axis`."""
    return nanquantile(x, _fractions(q, "nanpercentile"), axis=axis, method=method,
                       keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """The median of the non-NaN entries over `axis` (NaN where there are none)."""
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (`q` in [0, 1]) of the non-NaN entries over `axis`, as
    `numpy.nanquantile` (methods as in `quantile`; for an array `q`, its axis comes
    first). Integer inputs give `floatx`."""
    backend = current()
    xp = backend.xp
    if method not in _METHODS:
        raise ValueError(f"nanquantile: method must be one of {_METHODS}, received {method!r}.")
    levels, scalar = _levels(q)
    x = _floating(x)
    v = value_of(x)
    shape = shape_of(v)
    axes = normalize_axes(axis, len(shape))
    kept = [i for i in range(len(shape)) if i not in axes]
    n = 1
    for a in axes:
        n *= shape[a]
    if n == 0:
        raise ValueError(f"nanquantile of an empty reduction (input of shape {shape}, "
                         f"axis {axis}).")
    lead = tuple(shape[i] for i in kept)
    rows = reshape(transpose(x, kept + list(axes)), lead + (n,))
    row_values = value_of(rows)
    missing = xp.isnan(row_values)
    ordered = sort(where(missing, math.inf, rows), axis=-1)
    count = xp.sum(xp.astype(xp.logical_not(missing), row_values.dtype), axis=-1)
    empty = count == 0
    last = xp.maximum(count - 1.0, 0.0)
    results = []
    for level in levels:
        position = level * last
        lower = xp.floor(position)
        upper = xp.minimum(lower + 1.0, last)
        fraction = position - lower
        if method == "nearest":  # halves to the even index, as NumPy
            lower = upper = xp.round(position)
        elif method == "lower":
            upper = lower
        elif method == "higher":
            lower = upper = xp.ceil(position)
        elif method == "midpoint":
            upper = xp.ceil(position)
            fraction = xp.full_like(position, 0.5)

        def gather(index):
            index = xp.astype(index, xp.int64)[..., None]
            picked = take_along_axis(ordered, index, axis=-1)[..., 0]
            return where(empty, 0.0, picked)

        low = gather(lower)
        if method in ("lower", "higher", "nearest"):
            value = low
        else:
            # as a weighted sum (not `low + (high - low) * w`), with an entry taken whole
            # where the weight is 0: infinite entries give what Keras gives, not inf - inf
            mixed = add(multiply(low, 1.0 - fraction), multiply(gather(upper), fraction))
            value = where(fraction == 0, low, mixed)
        results.append(where(empty, math.nan, value))
    out = stack(results, axis=0)
    if keepdims:
        out = reshape(out, (len(levels),) + tuple(1 if i in axes else shape[i]
                                                  for i in range(len(shape))))
    return reshape(out, shape_of(value_of(out))[1:]) if scalar else out


