"""Ordering: `sort`, `argsort`, `top_k`, `in_top_k`, `searchsorted`, `digitize`.

Sorted values are differentiable: the gradient goes back through the permutation
(a gather by the inverse permutation, no one-hot). Indices are int32, as in Keras.
"""

from kerasx.ops._helpers import (Tensor, axis_out_of_bounds, current, keras_promoted,
                                 operand_and_value, record, tracked, value_of)
from kerasx.ops.shape import reshape


def _sorting_operand(x, axis):
    """`(x, value, axis)`, a Python number or list read as Keras reads it, and the input
    flattened for `axis=None`."""
    x, xv = operand_and_value(x)
    if axis is None:
        x = reshape(x, (-1,))
        return x, value_of(x), -1
    return x, xv, axis


def _check_axis(name, shape, axis):
    if not -len(shape) <= axis < len(shape):
        raise axis_out_of_bounds(name, axis, shape)


def _permuted(x, order, axis):
    """`x` gathered along `axis` by the permutation `order`; its VJP scatters the
    gradient back by gathering with the inverse permutation."""
    xp = current().xp
    xv = value_of(x)
    out = xp.take_along_axis(xv, order, axis=axis)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (xp.take_along_axis(g, xp.argsort(order, axis=axis),
                                                           axis=axis),))


def sort(x, axis=-1):
    """The values sorted ascending along `axis` (of the flattened input for None)."""
    x, xv, axis = _sorting_operand(x, axis)
    xp = current().xp
    _check_axis("sort", tuple(xv.shape), axis)
    if not tracked(x):
        return Tensor(xp.sort(xv, axis=axis))
    return _permuted(x, xp.argsort(xv, axis=axis, stable=True), axis)


def argsort(x, axis=-1):
    """The indices that sort `x` along `axis` (equal values keep their order)."""
    x, xv, axis = _sorting_operand(x, axis)
    xp = current().xp
    if not xv.shape and axis in (0, -1):  # Keras sorts a 0-d input as one of shape (1,)
        xv = xp.reshape(xv, (1,))
    _check_axis("argsort", tuple(xv.shape), axis)
    return Tensor(xp.astype(xp.argsort(xv, axis=axis, stable=True), xp.int32))


def top_k(x, k, sorted=True):
    """`(values, indices)` of the `k` largest entries along the last axis, largest
    first (also for `sorted=False`); of equal values the lower index comes first."""
    xp = current().xp
    xv = value_of(x)
    shape = tuple(xv.shape)
    if not shape:
        raise ValueError("top_k expects an input of rank 1 or more, received a scalar.")
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= shape[-1]:
        raise ValueError(f"top_k: k must be an int between 0 and the size of the last axis "
                         f"({shape[-1]}), received k={k!r} for an input of shape {shape}.")
    order = xp.argsort(xv, axis=-1, descending=True, stable=True)
    indices = Tensor(xp.astype(order[..., :k], xp.int32))
    if not tracked(x):
        return Tensor(xp.take_along_axis(xv, order[..., :k], axis=-1)), indices
    n = shape[-1]
    inverse = xp.argsort(order, axis=-1)
    out = xp.take_along_axis(xv, order[..., :k], axis=-1)

    def vjp(g):
        # the gradient of the whole sorted row is `g` then zeros; the inverse permutation
        # puts it back in place
        rest = xp.zeros(shape[:-1] + (n - k,), dtype=g.dtype, device=current().device)
        return (xp.take_along_axis(xp.concat([g, rest], axis=-1), inverse, axis=-1),)

    return record(out, (x,), vjp), indices


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` largest predictions of its row
    (`targets`: (batch,), `predictions`: (batch, classes)); a prediction tied with the
    k-th largest counts as in; a target outside `[0, classes)` is not in."""
    xp = current().xp
    pv = value_of(predictions)
    tv = value_of(targets)
    tv = tv if current().is_native(tv) else current().asarray(tv, dtype="int64")
    if len(pv.shape) != 2 or tuple(tv.shape) != (pv.shape[0],):
        raise ValueError(f"in_top_k expects targets of shape (batch,) and predictions of shape "
                         f"(batch, classes); received {tuple(tv.shape)} and {tuple(pv.shape)}.")
    if k == 0:
        return Tensor(xp.zeros((pv.shape[0],), dtype=xp.bool, device=current().device))
    kth = value_of(top_k(pv, k)[0])[:, -1:]
    tv = xp.astype(tv, xp.int64)
    # A target outside [0, classes) names no prediction: not in the top k, as in Keras.
    known = (tv >= 0) & (tv < pv.shape[1])
    target_values = xp.take_along_axis(pv, xp.where(known, tv, 0)[:, None], axis=-1)
    return Tensor((target_values >= kth)[:, 0] & known)


def searchsorted(sorted_sequence, values, side="left"):
    """The indices where `values` would be inserted into the 1-D ascending
    `sorted_sequence` to keep it sorted (before equal entries for `side="left"`,
    after them for `"right"`)."""
    backend = current()
    xp = backend.xp
    sv, vv = value_of(sorted_sequence), value_of(values)
    sv = sv if backend.is_native(sv) else backend.asarray(sv)
    vv = vv if backend.is_native(vv) else backend.asarray(vv)
    if len(sv.shape) != 1:
        raise ValueError(f"searchsorted expects a 1-D sorted_sequence, received shape "
                         f"{tuple(sv.shape)}.")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', received {side!r}.")
    if sv.dtype != vv.dtype:
        sv, vv = keras_promoted(sv, vv)
        if sv.dtype != vv.dtype:
            common = xp.result_type(sv, vv)
            sv, vv = xp.astype(sv, common), xp.astype(vv, common)
    return Tensor(xp.astype(xp.searchsorted(sv, vv, side=side), xp.int32))


def digitize(x, bins):
    """The index of the bin of each value, as `numpy.digitize`: `i` with
    `bins[i - 1] <= x < bins[i]` for increasing bins, `bins[i - 1] > x >= bins[i]` for
    decreasing ones."""
    backend = current()
    xp = backend.xp
    bv = value_of(bins)
    bv = bv if backend.is_native(bv) else backend.asarray(bv)
    if len(bv.shape) != 1:
        raise ValueError(f"digitize expects 1-D bins, received shape {tuple(bv.shape)}.")
    if bv.shape[0] > 1 and bool(bv[0] > bv[-1]):
        n = bv.shape[0]
        flipped = value_of(searchsorted(xp.flip(bv), x, side="right"))
        return Tensor(n - flipped)
    return searchsorted(bv, x, side="right")
