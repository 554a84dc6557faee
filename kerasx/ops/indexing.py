"""Finding and addressing entries: `nonzero`, `unravel_index`, `isin`, `argpartition`,
`unique`.

Results whose size depends on the values (`nonzero`, `unique`) are computed
eagerly; indices are int32, as Keras gives them.
"""

import builtins
import math

from kerasx.ops._helpers import (Tensor, axis_out_of_bounds, current, keras_promoted,
                                 operand_value, value_of)

_slice = builtins.slice


def _array(x):
    backend = current()
    v = operand_value(x)
    return v if backend.is_native(v) else backend.asarray(v)


def nonzero(x):
    """A tuple with one int32 array per axis of the indices of the nonzero entries."""
    xp = current().xp
    xv = _array(x)
    if not xv.shape:
        raise ValueError("nonzero expects an input of rank 1 or more, received a scalar; "
                         "reshape it to (1,) first.")
    return tuple(Tensor(xp.astype(i, xp.int32)) for i in xp.nonzero(xv))


def unravel_index(indices, shape):
    """The coordinates in an array of `shape` of the flat (C-order) `indices`: a tuple
    with one array per axis, of the dtype of `indices`."""
    backend = current()
    xp = backend.xp
    iv = value_of(indices)
    if not backend.is_native(iv):
        iv = backend.asarray(iv, dtype="int32" if isinstance(iv, int) else None)
    shape = tuple(int(n) for n in shape)
    if not backend.isdtype(iv.dtype, "integral"):
        raise TypeError(f"unravel_index expects integer indices, received {iv.dtype}.")
    total = math.prod(shape)
    if math.prod(iv.shape) and (bool(xp.any(iv < 0)) or bool(xp.any(iv >= total))):
        raise ValueError(f"unravel_index: indices must lie in [0, {total}) for shape {shape}.")
    coords, rest = [], iv
    for n in reversed(shape):
        coords.append(rest % n)
        rest = rest // n
    return tuple(Tensor(c) for c in reversed(coords))


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each entry of `x1` occurs in `x2` (the shape of `x1`; NaN matches
    nothing); `invert` negates it."""
    backend = current()
    xp = backend.xp
    a, b = _array(x1), _array(x2)
    if a.dtype != b.dtype:
        a, b = keras_promoted(a, b)
        if a.dtype != b.dtype:
            common = xp.result_type(a, b)
            a, b = xp.astype(a, common), xp.astype(b, common)
    flat = xp.reshape(b, (-1,))
    if flat.shape[0] == 0:
        found = xp.zeros(a.shape, dtype=xp.bool, device=backend.device)
    else:
        table = xp.sort(flat)
        at = xp.searchsorted(table, xp.reshape(a, (-1,)))
        at = xp.clip(at, 0, table.shape[0] - 1)
        found = xp.reshape(xp.take(table, at) == xp.reshape(a, (-1,)), a.shape)
    return Tensor(xp.logical_not(found) if invert else found)


def argpartition(x, kth, axis=-1):
    """Indices that partition `x` along `axis` around its `kth` smallest entry (an int
    or a sequence): that entry in its sorted place, the smaller ones before it and the
    larger ones after, as `numpy.argpartition` (int32). Here the whole axis is sorted,
    stably, which is one valid partition."""
    xp = current().xp
    xv = _array(x)
    if axis is None:  # of the flattened input, as NumPy
        xv, axis = xp.reshape(xv, (-1,)), -1
    shape = tuple(xv.shape)
    if not shape or not -len(shape) <= axis < len(shape):
        raise axis_out_of_bounds("argpartition", axis, shape)
    n = shape[axis]
    for k in (kth if isinstance(kth, (list, tuple)) else [kth]):
        if isinstance(k, bool) or not isinstance(k, int) or not -n <= k < n:
            raise ValueError(f"argpartition: kth={kth!r} is out of range for an axis of size "
                             f"{n}.")
    return Tensor(xp.astype(xp.argsort(xv, axis=axis, stable=True), xp.int32))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The distinct values of `x` in ascending order (of the flattened input for
    `axis=None`; else the distinct slices along `axis`, ordered lexicographically),
    and with the flags: the index of each one's first occurrence, the index into the
    result of every entry (`x`'s shape for `axis=None`), and how often each one
    occurs, as `numpy.unique` (indices and counts int32). `size` pads (with
    `fill_value`, default 0; counts with 0, first indices with 1) or truncates the
    result to that length. Computed eagerly: the size depends on the values."""
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"unique: size must be a non-negative int or None, received {size!r}.")
    backend = current()
    xp = backend.xp
    xv = _array(x)
    shape = tuple(xv.shape)
    if axis is None:
        rows = xp.reshape(xv, (-1, 1))
        dim = 0
    else:
        if not -len(shape) <= axis < len(shape):
            raise axis_out_of_bounds("unique", axis, shape)
        dim = axis % len(shape)
        moved = xp.moveaxis(xv, dim, 0)
        width = 1
        for i, extent in enumerate(shape):
            width *= extent if i != dim else 1
        rows = xp.reshape(moved, (shape[dim], width))  # not -1: the axis may be empty
    n = rows.shape[0]
    order = xp.arange(n, dtype=xp.int64, device=backend.device)
    for column in range(rows.shape[1] - 1, -1, -1):  # a stable lexicographic sort
        keys = xp.take(rows[:, column], order)
        order = xp.take(order, xp.argsort(keys, stable=True))
    ordered = xp.take(rows, order, axis=0)
    if n:
        changed = xp.any(ordered[1:, :] != ordered[:-1, :], axis=1)
        starts = xp.concat([xp.ones((1,), dtype=xp.bool, device=backend.device), changed])
    else:
        starts = xp.zeros((0,), dtype=xp.bool, device=backend.device)
    group = xp.astype(xp.cumulative_sum(xp.astype(starts, xp.int32)), xp.int32) - 1
    first_positions = xp.nonzero(starts)[0]
    count = first_positions.shape[0]
    values = xp.take(ordered, first_positions, axis=0)
    if axis is None:
        values = xp.reshape(values, (-1,))
    else:
        values = xp.moveaxis(xp.reshape(values, (count,) + shape[:dim] + shape[dim + 1:]), 0,
                             dim)
    index = xp.astype(xp.take(order, first_positions), xp.int32)
    inverse = xp.zeros((n,), dtype=xp.int32, device=backend.device)
    if n:
        inverse = xp.take(group, xp.argsort(order))
    if axis is None:
        inverse = xp.reshape(inverse, shape)
    bounds = xp.concat([first_positions, xp.asarray([n], dtype=first_positions.dtype,
                                                    device=backend.device)])
    counts = xp.astype(bounds[1:] - bounds[:-1], xp.int32)
    if size is not None:
        values, index, counts = _to_size(xp, backend, values, index, counts, count, size,
                                         fill_value, 0 if axis is None else dim)
    outputs = [Tensor(values)]
    if return_index:
        outputs.append(Tensor(index))
    if return_inverse:
        outputs.append(Tensor(inverse))
    if return_counts:
        outputs.append(Tensor(counts))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _to_size(xp, backend, values, index, counts, count, size, fill_value, dim):
    if count >= size:
        key = (_slice(None),) * dim + (_slice(0, size), Ellipsis)
        return values[key], index[:size], counts[:size]
    missing = size - count
    pad_shape = tuple(missing if i == dim else n for i, n in enumerate(values.shape))
    fill = xp.full(pad_shape, 0 if fill_value is None else fill_value, dtype=values.dtype,
                   device=backend.device)
    ones = xp.ones((missing,), dtype=index.dtype, device=backend.device)
    return (xp.concat([values, fill], axis=dim), xp.concat([index, ones]),
            xp.concat([counts, xp.zeros_like(ones)]))
