"""`histogram`: counts of values in equal-width bins."""

from kerasx.ops._helpers import Tensor, as_float_operand, current, value_of


def histogram(x, bins=10, range=None):
    """`(counts, edges)` of the values of `x` (flattened) in `bins` equal-width bins
    over `range` (default: from the smallest to the largest value), as
    `numpy.histogram`: each bin holds the values from its left edge up to, not
    including, its right edge, the last one also its right edge; values outside
    `range` are not counted. `x` must be 1-D, as in Keras. Counts and edges have the
    float type of `x` (`floatx` for integers), as on Keras's JAX backend (its NumPy
    backend counts in int64)."""
    backend = current()
    xp = backend.xp
    v = value_of(x)
    v = v if backend.is_native(v) else backend.asarray(v)
    if len(v.shape) != 1:
        raise ValueError(f"histogram: Input tensor must be 1-dimensional. Received: "
                         f"input.shape={tuple(v.shape)}. Flatten it first "
                         f"(`ops.reshape(x, (-1,))`).")
    v = as_float_operand(v)
    if isinstance(bins, bool) or not isinstance(bins, int):
        raise TypeError(f"histogram: Argument `bins` must be of type `int`. Received: "
                        f"bins={bins!r}. Pass the number of bins as a positive int.")
    if bins < 1:
        raise ValueError(f"histogram: Argument `bins` should be a non-negative integer and "
                         f"a histogram needs at least one bin: bins must be a positive int, "
                         f"received {bins!r}.")
    if range is not None and (not isinstance(range, (tuple, list)) or len(range) != 2):
        raise ValueError(f"histogram: Argument `range` must be a tuple of two elements. "
                         f"Received: range={range!r}. Pass (low, high) or None.")
    if range is None:
        if v.shape[0] == 0:
            low, high = 0.0, 1.0
        else:
            low, high = float(xp.min(v)), float(xp.max(v))
            if low != low or high != high or abs(low) == float("inf") or \
                    abs(high) == float("inf"):
                raise ValueError("histogram: the input has NaN or infinite values; give an "
                                 "explicit finite `range`.")
    else:
        low, high = (float(b) for b in range)
        if not low <= high:
            raise ValueError(f"histogram: The second element of `range` must be greater than "
                             f"the first: range must be (low, high) with low <= high, received "
                             f"{range!r}.")
    if low == high:
        low, high = low - 0.5, high + 0.5
    wide = backend.dtype("float64")
    steps = xp.arange(bins + 1, dtype=wide, device=backend.device)
    edges = low + steps * ((high - low) / bins)
    edges[-1] = high
    edges = xp.astype(edges, v.dtype)
    ordered = xp.sort(v)
    before = xp.searchsorted(ordered, edges, side="left")
    through_last = xp.searchsorted(ordered, edges[-1:], side="right")
    upper = xp.concat([before[1:-1], through_last])
    counts = xp.astype(upper - before[:-1], v.dtype)
    return Tensor(counts), Tensor(edges)
