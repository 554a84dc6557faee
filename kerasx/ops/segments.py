"""Segment reductions (`segment_sum`, `segment_max`, `segment_min`, `segment_prod`) and
`scatter`, with gradients.

Row `i` of `data` belongs to segment `segment_ids[i]`; ids outside
`[0, num_segments)` (such as -1 for padding) are dropped, as in Keras's JAX
backend. A segment no row belongs to holds the reduction's identity: 0 for the
sum, 1 for the product, -inf / +inf for the max / min of floats (the lowest /
highest value of integers). The sum adds rows into their segments with the
backend's scatter-add kernel (the gradient gathers them back); the max, min and
product run a segmented scan over the rows sorted by segment, in O(log n) passes.
"""

import math
from importlib import import_module

from kerasx.autodiff.tensor import Tensor
from kerasx.ops._helpers import current, record, shape_of, tracked, value_of
from kerasx.ops.shape import scatter_add_rows


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """The sum of the rows of `data` in each segment: shape `(num_segments,) + data.shape[1:]`.

    Args:
        data: the rows to add, shape `(n, ...)`.
        segment_ids: a 1-D integer tensor of `n` segment ids.
        num_segments: the number of segments; by default `max(segment_ids) + 1`.
        sorted: whether the ids are sorted (accepted for compatibility; any order works).
    """
    s = _Segments("segment_sum", data, segment_ids, num_segments, sorted)
    xp = s.xp
    out = s.unflat(scatter_add_rows(s.count + 1, s.routed, s.rows)[:s.count, ...])
    if not tracked(data):
        return Tensor(out)

    def vjp(g):
        return s.as_data(s.gather(xp.reshape(g, (s.count, -1)))), None

    return record(out, (data, segment_ids), vjp)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The largest row entry in each segment (-inf, or the lowest integer, where empty).
    The gradient goes to the entries equal to their segment's maximum, split evenly
    between ties. Arguments as for `segment_sum`."""
    return _extremum("segment_max", data, segment_ids, num_segments, sorted, largest=True)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The smallest row entry in each segment (+inf, or the highest integer, where empty).
    The gradient goes to the entries equal to their segment's minimum, split evenly
    between ties. Arguments as for `segment_sum`."""
    return _extremum("segment_min", data, segment_ids, num_segments, sorted, largest=False)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of the rows in each segment (1 where empty); the gradient of an entry
    is the product of the others in its segment, zeros included. Arguments as for
    `segment_sum`."""
    s = _Segments("segment_prod", data, segment_ids, num_segments, sorted)
    xp = s.xp
    zero = s.rows == 0
    nonzero = xp.where(zero, xp.ones_like(s.rows), s.rows)
    products = s.reduce(nonzero, lambda a, b: a * b, 1)
    zeros = s.reduce(xp.astype(zero, s.rows.dtype), lambda a, b: a + b, 0)
    out_rows = xp.where(zeros > 0, xp.zeros_like(products), products)
    out = s.unflat(out_rows)
    if not tracked(data):
        return Tensor(out)

    def vjp(g):
        g = xp.reshape(g, (s.count, -1))
        # an entry's partial: the product of the others (a zero's: that of the non-zeros)
        others = xp.where(zero, s.gather(xp.where(zeros == 1, products, xp.zeros_like(products))),
                          s.gather(xp.where(zeros == 0, products, xp.zeros_like(products)))
                          / nonzero)
        return s.as_data(s.gather(g) * others), None

    return record(out, (data, segment_ids), vjp)


def _extremum(name, data, segment_ids, num_segments, sorted, largest):
    s = _Segments(name, data, segment_ids, num_segments, sorted)
    xp = s.xp
    pick = xp.maximum if largest else xp.minimum
    out_rows = s.reduce(s.rows, pick, _lowest(s) if largest else _highest(s))
    out = s.unflat(out_rows)
    if not tracked(data):
        return Tensor(out)

    def vjp(g):
        hit = xp.astype(s.rows == s.gather(out_rows), g.dtype)
        ties = scatter_add_rows(s.count + 1, s.routed, hit)[:s.count, ...]
        share = xp.reshape(g, (s.count, -1)) / xp.where(ties > 0, ties, xp.ones_like(ties))
        return s.as_data(s.gather(share) * hit), None

    return record(out, (data, segment_ids), vjp)


def _lowest(s):
    backend = current()
    if backend.isdtype(s.rows.dtype, "real floating"):
        return -math.inf
    return s.xp.iinfo(s.rows.dtype).min


def _highest(s):
    backend = current()
    if backend.isdtype(s.rows.dtype, "real floating"):
        return math.inf
    return s.xp.iinfo(s.rows.dtype).max


class _Segments:
    """The validated arguments of a segment reduction, with `data` as `rows` of shape
    `(n, k)` and each row's segment as `routed`, where `count` (one past the last
    segment) stands for the dropped rows."""

    def __init__(self, name, data, segment_ids, num_segments, sorted):
        backend = current()
        self.xp = xp = backend.xp
        dv, iv = value_of(data), value_of(segment_ids)
        if not backend.is_native(dv):
            dv = backend.asarray(dv)
        if not backend.is_native(iv):
            iv = backend.asarray(iv)
        if not isinstance(sorted, bool):
            raise ValueError(f"{name}: `sorted` must be a boolean, received {sorted!r}.")
        if not backend.isdtype(iv.dtype, "integral"):
            raise TypeError(f"{name}: `segment_ids` must be integers, received dtype "
                            f"{iv.dtype}. Cast them with ops.cast(segment_ids, 'int32').")
        shape = shape_of(dv)
        if len(shape_of(iv)) != 1 or not shape or shape[0] != iv.shape[0]:
            problem = ("Argument `segment_ids` should be an 1-D vector,"
                       if len(shape_of(iv)) != 1 else "Argument `segment_ids` and `data` "
                       "should have same leading dimension,")
            raise ValueError(
                f"{name}: {problem} one id per row of `data`; received ids of shape "
                f"{shape_of(iv)} for data of shape {shape}. Flatten both first: "
                "data.reshape((-1,) + data.shape[k:]), segment_ids.reshape(-1).")
        if num_segments is None:
            num_segments = int(backend.to_numpy(xp.max(iv))) + 1 if shape[0] else 0
        elif hasattr(value_of(num_segments), "shape"):
            num_segments = int(backend.to_numpy(value_of(num_segments)))
        if isinstance(num_segments, bool) or int(num_segments) != num_segments or \
                num_segments < 0:
            raise ValueError(f"{name}: `num_segments` must be a non-negative integer, received "
                             f"{num_segments!r}.")
        self.count = count = int(num_segments)
        self.shape, self.tail = shape, shape[1:]
        self.rows = xp.reshape(dv, (shape[0], math.prod(shape[1:])))
        ids = xp.astype(iv, backend.dtype("int64"))
        self.routed = xp.where((ids >= 0) & (ids < count), ids, xp.full_like(ids, count))

    def as_data(self, rows):
        return self.xp.reshape(rows, self.shape)

    def unflat(self, rows):
        return self.xp.reshape(rows, (self.count,) + self.tail)

    def gather(self, per_segment):
        """Each row's entry of the `(count, k)` array `per_segment` (0 for dropped rows)."""
        xp = self.xp
        padded = xp.concat([per_segment, xp.zeros_like(per_segment[:1, ...])], axis=0)
        return xp.take(padded, self.routed, axis=0)

    def reduce(self, rows, combine, identity):
        """`combine` folded over the rows of each segment (`identity` for empty ones), by
        a segmented inclusive scan over the rows sorted by segment: after the pass with
        offset d, each row holds the reduction of up to 2d rows ending at it."""
        xp = self.xp
        backend = current()
        order = xp.argsort(self.routed, stable=True)
        ids = xp.take(self.routed, order)
        values = xp.take(rows, order, axis=0)
        n = values.shape[0]
        d = 1
        while d < n:
            same = ids[d:] == ids[:-d]
            later = values[d:, ...]
            joined = xp.where(same[:, None], combine(later, values[:-d, ...]), later)
            values = xp.concat([values[:d, ...], joined], axis=0)
            d *= 2
        segments = xp.arange(self.count, dtype=ids.dtype, device=backend.device)
        last = xp.searchsorted(ids, segments, side="right") - 1
        first = xp.searchsorted(ids, segments, side="left")
        picked = xp.take(values, xp.clip(last, 0, None), axis=0) if n else \
            xp.zeros((self.count, values.shape[1]), dtype=values.dtype, device=backend.device)
        empty = xp.full_like(picked, identity)
        return xp.where((last >= first)[:, None], picked, empty)


def scatter(indices, values, shape):
    """A tensor of `shape`, zero except at `indices`, where `values` are added (duplicates
    summed, as Keras). `indices` has shape `(..., k)`: each index names an entry (or,
    for `k < len(shape)`, a slice) of the first `k` axes; `values` has shape
    `indices.shape[:-1] + shape[k:]`. Differentiable in `values`."""
    backend = current()
    xp = backend.xp
    iv, vv = value_of(indices), value_of(values)
    if not backend.is_native(iv):
        iv = backend.asarray(iv, dtype="int64")
    if not backend.is_native(vv):
        vv = backend.asarray(vv)
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(f"scatter: `shape` must be a sequence of integers, received "
                         f"{shape!r}.") from None
    ishape = shape_of(iv)
    if not backend.isdtype(iv.dtype, "integral") or not ishape or not 1 <= ishape[-1] <= \
            len(shape) or shape_of(vv) != ishape[:-1] + shape[ishape[-1]:]:
        k = ishape[-1] if ishape else "k"
        raise ValueError(
            f"scatter: `indices` must be integers of shape (..., k) with 1 <= k <= {len(shape)} "
            f"and `values` of shape indices.shape[:-1] + shape[k:]; received indices of shape "
            f"{ishape} ({iv.dtype}) and values of shape {shape_of(vv)} for shape {shape} "
            f"(expected values of shape {ishape[:-1] + shape[k:] if ishape else '?'}).")
    k = ishape[-1]
    index = xp.reshape(xp.astype(iv, backend.dtype("int64")), (-1, k))
    if index.shape[0]:
        low = backend.to_numpy(xp.min(index, axis=0))
        high = backend.to_numpy(xp.max(index, axis=0))
        for axis in range(k):
            if low[axis] < -shape[axis] or high[axis] >= shape[axis]:
                raise ValueError(
                    f"scatter: `indices` hold values from {int(low[axis])} to "
                    f"{int(high[axis])} for axis {axis} of size {shape[axis]}; they must lie "
                    f"in [{-shape[axis]}, {shape[axis]}).")
    flat = xp.zeros((index.shape[0],), dtype=index.dtype, device=backend.device)
    for axis in range(k):
        flat = flat * shape[axis] + index[:, axis] % shape[axis]
    n_rows = math.prod(shape[:k])
    rows = xp.reshape(vv, (index.shape[0], -1))
    out = xp.reshape(scatter_add_rows(n_rows, flat, rows), shape)
    if not tracked(values):
        return Tensor(out)

    def vjp(g):
        gathered = xp.take(xp.reshape(g, (n_rows, -1)), flat, axis=0)
        return None, xp.reshape(gathered, shape_of(vv))

    return record(out, (indices, values), vjp)


# registers the differentiable rules
import_module("kerasx.ops.segment_grads")
