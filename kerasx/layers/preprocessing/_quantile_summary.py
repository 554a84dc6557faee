"""Keras's approximate quantile summary, which `Discretization.adapt` builds its bin
boundaries from, on host arrays.

A summary is a float32 array of two rows: sorted values and their weights (counts).
`summarize` keeps about `1 / epsilon` evenly spaced values of a batch, each weighing
the values it stands for; `merge_summaries` joins two summaries and compresses them back
to about `1 / epsilon` values, interpolating the cumulative weights; `bin_boundaries`
compresses a summary to `num_bins` values and drops the last (the maximum).
"""

from kerasx.backends import get_backend


def _xp():
    return get_backend("numpy").xp


def empty_summary():
    xp = _xp()
    return xp.zeros((2, 0), dtype=xp.float32)


def summarize(values, epsilon):
    """The summary of one batch of float32 `values` (any shape)."""
    xp = _xp()
    values = xp.sort(xp.reshape(values, (-1,)))
    step = max(values.shape[0] / (1.0 / epsilon), 1)
    kept = values[int(step - 1)::int(step)]
    return xp.stack([kept, xp.ones_like(kept) * step])


def merge_summaries(summary, other, epsilon):
    xp = _xp()
    merged = xp.concat([summary, other], axis=1)
    merged = xp.take(merged, xp.argsort(merged[0, :]), axis=1)
    return compress(merged, epsilon)


def bin_boundaries(summary, num_bins):
    """The `num_bins - 1` (or, from a small summary, fewer) boundaries, as floats."""
    return [float(v) for v in compress(summary, 1.0 / num_bins)[0, :-1]]


def compress(summary, epsilon):
    """`summary` reduced to the values at cumulative-weight fractions `epsilon`,
    `2 * epsilon`, ..., 1 (unchanged when it holds fewer than `1 / epsilon` values)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    xp = _xp()
    f64 = xp.float64
    fractions = epsilon + xp.arange(0.0, 1.0, epsilon, dtype=f64)
    cumulative = xp.cumulative_sum(summary[1, :])
    at = xp.astype(cumulative / cumulative[-1], f64)
    values = interpolate(fractions, at, xp.astype(summary[0, :], f64))
    cumulative = interpolate(fractions, at, xp.astype(cumulative, f64))
    weights = cumulative - xp.concat([xp.zeros((1,), dtype=f64), cumulative[:-1]])
    return xp.astype(xp.stack([values, weights]), xp.float32)


def interpolate(x, xs, ys):
    """NumPy's `interp(x, xs, ys)` in float64: linear between the points, the end values
    outside them, exact at a point, and its fallbacks where a slope is not finite."""
    xp = _xp()
    n = xs.shape[0]
    right = xp.searchsorted(xs, x, side="right") - 1
    j = xp.clip(right, 0, max(n - 2, 0))
    nxt = xp.clip(j + 1, 0, n - 1)
    x0, x1, y0, y1 = xs[j], xs[nxt], ys[j], ys[nxt]
    gap = xp.where(x1 > x0, x1 - x0, xp.ones_like(x0))
    slope = (y1 - y0) / gap
    out = slope * (x - x0) + y0
    out = xp.where(xp.isnan(out), slope * (x - x1) + y1, out)
    out = xp.where(xp.isnan(out) & (y0 == y1), y0, out)
    out = xp.where(x == x0, y0, out)
    out = xp.where(right >= n - 1, ys[n - 1], out)
    return xp.where(right < 0, ys[0], out)
