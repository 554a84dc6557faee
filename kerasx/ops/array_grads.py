"""Differentiable VJPs of `repeat` (`UpSampling`'s nearest mode, `RepeatVector`),
`cumsum`, `cumprod`, `roll`, `unstack` (`scan`, `vectorized_map`, `ConvLSTM`), `sort`,
`top_k`, `prod`, `slice_update` and `scatter_update` (replacing or adding), and of the
identity node in front of a bfloat16 input (a `mixed_bfloat16` weight), for gradients
of gradients (`kerasx.autodiff.higher_order`)."""

from kerasx.autodiff.higher_order import differentiable_vjp, sum_to_shape
from kerasx.backends.base import dtype_name
from kerasx.ops._bfloat16 import _boundary
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.cumulative import cumprod, cumsum
from kerasx.ops.moving import roll, scatter_update, slice_update, unstack
from kerasx.ops.reduction import _expand_back_recorded, prod
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import (cast, concatenate, expand_dims, flip, moveaxis, repeat, reshape,
                              stack, take, take_along_axis, transpose)
from kerasx.ops.sorting import _permuted, top_k


@differentiable_vjp(_boundary)
def _bfloat16_boundary_rule(g, parents, out, env):
    # the gradient in the input's stored type (float32 for a mixed-precision weight)
    target = env["target"]
    return (g if value_of(g).dtype == target else cast(g, dtype_name(target)),)


@differentiable_vjp(repeat)
def _repeat_rule(g, parents, out, env):
    return (reduce_sum(reshape(g, env["runs_shape"]), axis=env["ax"] + 1),)


@differentiable_vjp(cumsum)
def _cumsum_rule(g, parents, out, env):
    axis = env["axis"]
    return (flip(cumsum(flip(g, axis=axis), axis=axis), axis=axis),)


differentiable_vjp(roll, lambda g, parents, out, env: (roll(g, env["back"], axis=env["axis"]),))


@differentiable_vjp(unstack)
def _unstack_rule(grads, parents, outs, env):
    grads = grads if isinstance(grads, tuple) else (grads,)
    backend = current()
    part = env["parts"][0]
    zero = Tensor(backend.xp.zeros(tuple(part.shape), dtype=part.dtype, device=backend.device))
    return (stack([zero if g is None else g for g in grads], axis=env["ax"]),)


@differentiable_vjp(_permuted)
def _permuted_rule(g, parents, out, env):  # `sort`
    xp = current().xp
    inverse = xp.argsort(env["order"], axis=env["axis"])
    return (take_along_axis(g, Tensor(inverse), axis=env["axis"]),)


@differentiable_vjp(top_k)
def _top_k_rule(g, parents, out, env):
    backend = current()
    shape, n, k = env["shape"], env["n"], env["k"]
    rest = Tensor(backend.xp.zeros(shape[:-1] + (n - k,), dtype=value_of(g).dtype,
                                   device=backend.device))
    return (take_along_axis(concatenate([g, rest], axis=-1), Tensor(env["inverse"]), axis=-1),)


@differentiable_vjp(cumprod)
def _cumprod_rule(g, parents, out, env):
    """`reverse_cumsum(g out) / x` without zeros; with them, the partials `d out_i / d x_k
    = prod(x_j, j <= i, j != k)` as the running products of an (n, n) table per position
    whose row k holds the factors with `x_k` replaced by 1."""
    backend = current()
    xp, xv, axis = backend.xp, env["xv"], env["axis"]
    x = parents[0]
    if not bool(xp.any(xv == 0)):
        return (flip(cumsum(flip(g * out, axis=axis), axis=axis), axis=axis) / x,)
    n = xv.shape[axis]
    eye = xp.eye(n, dtype=xv.dtype, device=backend.device)
    table = expand_dims(moveaxis(x, axis, -1), -2) * Tensor(1.0 - eye) + Tensor(eye)
    later = Tensor(xp.triu(xp.ones((n, n), dtype=xv.dtype, device=backend.device)))
    partial = cumprod(table, axis=-1) * later  # (..., k, i), zero for i < k
    grad = reduce_sum(partial * expand_dims(moveaxis(g, axis, -1), -2), axis=-1)
    return (moveaxis(grad, -1, axis),)


@differentiable_vjp(prod)
def _prod_rule(g, parents, out, env):
    """`prod / x` for each factor where no factor is 0; with zeros, the product of the
    factors before and after each one (running products, no division)."""
    xp = current().xp
    axes, keepdims, shape = env["axes"], env["keepdims"], env["shape"]
    x = parents[0]
    if not bool(xp.any(env["xv"] == 0)):
        return (_expand_back_recorded(g * out, axes, keepdims, shape) / x,)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    moved = transpose(x, kept + tuple(axes))
    flat = reshape(moved, tuple(shape[i] for i in kept) + (-1,))
    ones = Tensor(xp.ones(tuple(flat.shape[:-1]) + (1,), dtype=env["xv"].dtype,
                          device=current().device))
    before = cumprod(concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = flip(cumprod(concatenate([ones, flip(flat, axis=-1)[..., :-1]], axis=-1),
                         axis=-1), axis=-1)
    others = reshape(before * after, tuple(moved.shape))
    inverse = [0] * len(shape)
    for place, i in enumerate(kept + tuple(axes)):
        inverse[i] = place
    return (_expand_back_recorded(g, axes, keepdims, shape) * transpose(others, tuple(inverse)),)


@differentiable_vjp(slice_update)
def _slice_update_rule(g, parents, out, env):
    xp, key = current().xp, env["key"]
    kept = xp.ones(tuple(g.shape), dtype=value_of(g).dtype, device=current().device)
    kept[key] = 0
    return g * Tensor(kept), g[key]


@differentiable_vjp(scatter_update)
def _scatter_update_rule(g, parents, out, env):
    xp, n_rows, flat, winner = current().xp, env["n_rows"], env["flat"], env["winner"]
    g_rows = reshape(g, (n_rows, -1))
    g_inputs = g
    g_updates = take(g_rows, flat, axis=0)
    if winner is not None:  # replaced rows take no gradient; the last update wins
        dtype = value_of(g).dtype
        g_inputs = reshape(g_rows * Tensor(xp.astype(~env["hit"][:, None], dtype)), env["shape"])
        g_updates = g_updates * Tensor(xp.astype(winner[:, None], dtype))
    return g_inputs, None, sum_to_shape(reshape(g_updates, env["target"]), env["update_shape"])
