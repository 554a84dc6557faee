"""Differentiable VJPs of the gathers (`take`, the op of `Embedding`, and
`take_along_axis`), for gradients of gradients (`kerasx.autodiff.higher_order`).

`take`'s gradient is a scatter-add of rows; as the recorded op `take_gradient`, its
own VJP is `take` again, so the two rules call each other to any order.
"""

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current, namespace, record, tracked, value_of
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import moveaxis, reshape, scatter_add_rows, take, take_along_axis


def take_gradient(g, indices, axis, table_shape):
    """Zeros of `table_shape` with the slices of `g` added at `indices` along `axis`
    (repeated indices add up): the gradient of `take(x, indices, axis)`, recorded."""
    xp = namespace()
    gv = value_of(g)
    flat = xp.reshape(indices, (-1,))
    before, after = tuple(table_shape[:axis]), tuple(table_shape[axis + 1:])
    rows = xp.moveaxis(xp.reshape(gv, before + (flat.shape[0],) + after), axis, 0)
    rows = scatter_add_rows(table_shape[axis], flat, xp.reshape(rows, (flat.shape[0], -1)))
    out = xp.moveaxis(xp.reshape(rows, (table_shape[axis],) + before + after), 0, axis)
    if not tracked(g):
        return Tensor(out)
    out_shape = tuple(gv.shape)

    def vjp(h):
        return (xp.reshape(xp.take(h, flat, axis=axis), out_shape),)

    return record(out, (g,), vjp)


@differentiable_vjp(take)
def _take_rule(g, parents, out, env):
    return take_gradient(g, env["iv"], env["ax"], env["table_shape"]), None


@differentiable_vjp(take_gradient)
def _take_gradient_rule(h, parents, out, env):
    return (reshape(take(h, env["flat"], axis=env["axis"]), env["out_shape"]),)


@differentiable_vjp(take_along_axis)
def _take_along_axis_rule(g, parents, out, env):
    # linear in `g` through a constant one-hot of the indices
    xp = namespace()
    iv, ax, n = env["iv"], env["ax"], env["n"]
    idx_last = xp.moveaxis(iv, ax, -1)
    classes = xp.arange(n, dtype=iv.dtype, device=current().device)
    hot = xp.astype(idx_last[..., None] == classes, value_of(g).dtype)
    moved = moveaxis(g, ax, -1)
    gx = reduce_sum(Tensor(hot) * reshape(moved, tuple(moved.shape) + (1,)), axis=-2)
    return moveaxis(gx, -1, ax), None
