"""Moving, splitting, joining and overwriting values: `roll`, `unstack`, `hstack`,
`vstack`, `ravel`, `slice`, `slice_update`, `scatter_update`, `select`."""

import builtins

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.autodiff.tape import record_multi
from kerasx.ops._helpers import (Tensor, axis_out_of_bounds, current, operand_and_value, record,
                                 shape_of, tracked, value_of)
from kerasx.ops.math import where
from kerasx.ops.segments import segment_max, segment_min, segment_prod
from kerasx.ops.shape import broadcast_to, cast, concatenate, convert_to_tensor, getitem, reshape

_slice = builtins.slice  # this module's `slice` is the op


def roll(x, shift, axis=None):
    """Shifts the entries by `shift` along `axis` (of the flattened input for None),
    wrapping around."""
    xp = current().xp
    xv = value_of(x)
    shift = _integer_shift(shift)
    out = xp.roll(xv, shift, axis=axis)
    if not tracked(x):
        return Tensor(out)
    back = -shift if isinstance(shift, int) else tuple(-s for s in shift)
    return record(out, (x,), lambda g: (xp.roll(g, back, axis=axis),))


def _integer_shift(shift):
    """`shift` as Python ints: a float (an array or tensor of any dtype too) is
    truncated, as Keras does (NumPy before 2.1 refuses floats)."""
    if isinstance(shift, (list, tuple)):
        return type(shift)(_integer_shift(s) for s in shift)
    value = value_of(shift)
    if getattr(value, "dtype", None) is None:
        return int(shift) if isinstance(shift, (float, bool)) else shift
    host = current().to_numpy(value)
    return int(host) if host.ndim == 0 else tuple(int(v) for v in host.reshape(-1))


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list (one tape node for all of them)."""
    xp = current().xp
    xv = value_of(x)
    shape = shape_of(xv)
    if not -len(shape) <= axis < len(shape):
        raise axis_out_of_bounds("unstack", axis, shape)
    ax = axis % len(shape)
    n = shape[ax]
    if num is not None and num != n:
        raise ValueError(f"unstack: num={num} does not match the size {n} of axis {axis} of "
                         f"an input of shape {shape}.")
    lead = (_slice(None),) * ax
    parts = [xv[lead + (i, ...)] for i in range(n)]
    if not tracked(x):
        return [Tensor(p) for p in parts]

    def vjp(grads):
        grads = grads if isinstance(grads, tuple) else (grads,)
        zero = None
        filled = []
        for g in grads:
            if g is None:
                zero = xp.zeros_like(parts[0]) if zero is None else zero
                g = zero
            filled.append(g)
        return (xp.stack(filled, axis=ax),)

    return list(record_multi(parts, (x,), vjp))


_PYTHON_NUMBERS = (bool, int, float)


def _joined_parts(xs, rank):
    """The parts of `xs` to join, each of rank `rank` or more (as `numpy.atleast_1d` /
    `atleast_2d`, a 1-D part as a row), Python numbers read as Keras reads them: a list
    of numbers only is one tensor of their common dtype (`hstack([1, 2.5])` is floatx)."""
    if type(xs) in (list, tuple) and xs and all(type(x) in _PYTHON_NUMBERS for x in xs):
        xs = [convert_to_tensor(list(xs))]
        return xs if rank == 1 else [reshape(xs[0], (-1, 1))]
    parts = []
    for x in xs:
        x, xv = operand_and_value(x)
        nd = len(shape_of(xv))
        parts.append(x if nd >= rank else reshape(x, (1,) * (rank - nd) + shape_of(xv)))
    return parts


def hstack(xs):
    """Joins along the second axis (the first for 1-D inputs); numbers are 1-D inputs of
    one entry."""
    parts = _joined_parts(xs, 1)
    flat = all(len(shape_of(value_of(x))) == 1 for x in parts)
    return concatenate(parts, axis=0 if flat else 1)


def vstack(xs):
    """Joins along the first axis; 1-D inputs are rows, numbers 1x1 inputs."""
    return concatenate(_joined_parts(xs, 2), axis=0)


def ravel(x):
    """`x` as a 1-D tensor."""
    return reshape(x, (-1,))


def _block(inputs, start_indices, shape, name):
    """The tuple of slices for a block of `shape` at `start_indices` of `inputs`."""
    backend = current()
    full = shape_of(value_of(inputs))
    starts = [int(s) for s in backend.to_numpy(value_of(start_indices)).reshape(-1)] \
        if hasattr(value_of(start_indices), "shape") else [int(s) for s in start_indices]
    shape = tuple(int(n) for n in shape)
    if len(shape) != len(full):
        raise ValueError(f"{name}: the number of dimensions in `inputs` must match the number "
                         f"of dimensions in `shape` (one entry per axis); received "
                         f"inputs.shape={full} and shape={shape}.")
    if len(starts) != len(full):
        raise ValueError(f"{name}: the number of dimensions in `start_indices` must match the "
                         f"number of dimensions in `inputs` (one entry per axis); received "
                         f"start_indices={starts} and inputs.shape={full}.")
    if name == "slice":  # as Keras: a size of -1 takes the rest of the axis
        shape = tuple(size - s if n == -1 else n for s, n, size in zip(starts, shape, full))
    for s, n, size in zip(starts, shape, full):
        if s < 0 or n < 0 or s + n > size:
            raise ValueError(f"{name}: a block of shape {shape} at {starts} does not fit in "
                             f"an input of shape {full}.")
    return tuple(_slice(s, s + n) for s, n in zip(starts, shape))


def slice(inputs, start_indices, shape):
    """The block of `shape` starting at `start_indices` (one index per axis); a size of
    -1 takes the rest of its axis."""
    return getitem(inputs, _block(inputs, start_indices, shape, "slice"))


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    xp = current().xp
    xv, uv = value_of(inputs), value_of(updates)
    key = _block(inputs, start_indices, shape_of(uv), "slice_update")
    out = xp.asarray(xv, copy=True)
    out[key] = uv if uv.dtype == xv.dtype else xp.astype(uv, xv.dtype)
    if not tracked(inputs, updates):
        return Tensor(out)

    def vjp(g):
        g_inputs = xp.asarray(g, copy=True)
        g_inputs[key] = 0
        return g_inputs, g[key]

    return record(out, (inputs, updates), vjp)


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with the entries (or slices) at `indices` replaced by `updates`, or
    combined with them. `indices` has shape `(n, k)`: each row names an entry of the
    first `k` axes; `updates` has shape `(n,) + inputs.shape[k:]`, or one that
    broadcasts to it (a scalar, one row). The result has the dtype of `inputs`
    (integer inputs meet float updates in the updates' type, then are truncated back,
    as in JAX).

    `reduction` says what happens at a named entry: None (the later update wins where
    an entry is named twice), "add" (the updates are added), "max" / "min" (the
    largest / smallest of the entry and its updates is kept; the gradient is split
    evenly between the tied ones, as in JAX) or "mul" (the entry is multiplied by its
    updates; the gradient of an update is the product of everything else at its entry).
    Case does not matter, as in Keras.
    """
    backend = current()
    xp = backend.xp
    reduction = _reduction_name(reduction)
    xv, uv = value_of(inputs), value_of(updates)
    iv = value_of(indices)
    iv = iv if backend.is_native(iv) else backend.asarray(iv, dtype="int64")
    shape = shape_of(xv)
    if not hasattr(uv, "shape"):
        uv = backend.asarray(uv)
    if backend.isdtype(uv.dtype, "real floating") and \
            backend.isdtype(xv.dtype, ("integral", "bool")):
        # as JAX: combined in the updates' float type, then cast back (truncating)
        combined = scatter_update(cast(Tensor(xv), uv.dtype), iv, updates, reduction)
        return cast(combined, xv.dtype)
    target = None if len(iv.shape) != 2 or iv.shape[1] > len(shape) else \
        (iv.shape[0],) + shape[iv.shape[1]:]
    if target is None or not _broadcasts_to(tuple(uv.shape), target):
        raise ValueError(f"scatter_update: `indices` of shape (n, k) with k <= {len(shape)} and "
                         f"`updates` of shape (n,) + inputs.shape[k:] (or one that broadcasts "
                         f"to it) expected; received indices {tuple(iv.shape)} and updates "
                         f"{tuple(uv.shape)} for inputs {shape}.")
    n, k = iv.shape
    n_rows = 1
    flat = xp.zeros((n,), dtype=iv.dtype, device=backend.device)
    for axis in range(k):
        flat = flat * shape[axis] + iv[:, axis] % shape[axis]
        n_rows *= shape[axis]
    if reduction in ("max", "min", "mul"):
        updates = updates if hasattr(value_of(updates), "shape") else Tensor(uv)
        return _combine(inputs, flat, updates, reduction, shape, target, n_rows)
    update_shape = tuple(uv.shape)
    uv = xp.broadcast_to(uv, target)
    rows = xp.reshape(xv, (n_rows, -1))
    upd = xp.astype(xp.reshape(uv, (n, -1)), xv.dtype)
    hits = xp.arange(n_rows, dtype=flat.dtype, device=backend.device)[:, None] == flat[None, :]
    hit = xp.any(hits, axis=1)
    if reduction == "add":
        out_rows = rows + xp.astype(hits, xv.dtype) @ upd
        winner = None
    else:
        # the last update naming a row: the first hit of the reversed columns
        last = (n - 1) - xp.argmax(xp.astype(xp.flip(hits, axis=1), xp.int8), axis=1)
        out_rows = xp.where(hit[:, None], xp.take(upd, last, axis=0), rows)
        winner = xp.take(last, flat) == xp.arange(n, dtype=last.dtype, device=backend.device)
    out = xp.reshape(out_rows, shape)
    if not tracked(inputs, updates):
        return Tensor(out)

    def vjp(g):
        g_rows = xp.reshape(g, (n_rows, -1))
        g_inputs = g if winner is None else xp.reshape(xp.where(hit[:, None], 0.0, g_rows), shape)
        g_updates = xp.take(g_rows, flat, axis=0)
        if winner is not None:
            g_updates = xp.where(winner[:, None], g_updates, 0.0)
        return g_inputs, None, unbroadcast(xp, xp.reshape(g_updates, target), update_shape)

    return record(out, (inputs, indices, updates), vjp)


_REDUCTIONS = ("add", "max", "min", "mul")


def _reduction_name(reduction):
    if reduction is None:
        return None
    name = reduction.lower() if isinstance(reduction, str) else reduction
    if name not in _REDUCTIONS:
        raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or "
                         f"'mul'; received {reduction!r}.")
    return name


def _combine(inputs, flat, updates, reduction, shape, target, n_rows):
    """`scatter_update` with "max", "min" or "mul", built from segment reductions over
    the rows of `inputs` (so their gradients follow): each entry's updates are reduced
    by segment, then combined with the entry."""
    xp = current().xp
    rows = reshape(inputs, (n_rows, -1))
    upd = cast(reshape(broadcast_to(updates, target), (target[0], -1)), rows.dtype)
    if reduction == "mul":
        out_rows = rows * segment_prod(upd, flat, n_rows)
    else:
        # the entry is one more contender of its segment, so ties with it share the gradient
        own = xp.arange(n_rows, dtype=flat.dtype, device=current().device)
        reduce = segment_max if reduction == "max" else segment_min
        out_rows = reduce(concatenate([rows, upd], axis=0), xp.concat([own, flat]), n_rows)
    return reshape(out_rows, shape)


def _broadcasts_to(shape, target):
    """Whether an array of `shape` broadcasts to `target` (NumPy's rules)."""
    return len(shape) <= len(target) and builtins.all(
        n in (1, m) for n, m in zip(reversed(shape), reversed(target)))


def select(condlist, choicelist, default=0):
    """Elementwise, the entry of the first choice whose condition holds, else
    `default` (as `numpy.select`)."""
    if len(condlist) != len(choicelist) or not condlist:
        raise ValueError(f"select: condlist and choicelist must be equally long and not empty; "
                         f"received {len(condlist)} conditions and {len(choicelist)} choices.")
    out = default
    for condition, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(condition, choice, out)
    return out
