"""Differentiable VJPs of `repeat` (`UpSampling`'s nearest mode, `RepeatVector`),
`cumsum`, `roll`, `unstack` (`scan`, `vectorized_map`, `ConvLSTM`), `sort`, `top_k`
and `prod`, for gradients of gradients (`kerasx.autodiff.higher_order`)."""

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.cumulative import cumsum
from kerasx.ops.moving import roll, unstack
from kerasx.ops.reduction import _expand_back_recorded, prod
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import concatenate, flip, repeat, reshape, stack, take_along_axis
from kerasx.ops.sorting import _permuted, top_k


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


@differentiable_vjp(prod)
def _prod_rule(g, parents, out, env):
    """`prod / x` for each factor, where no factor is 0 (declined otherwise)."""
    xp = current().xp
    if bool(xp.any(env["xv"] == 0)):
        return None
    axes, keepdims, shape = env["axes"], env["keepdims"], env["shape"]
    return (_expand_back_recorded(g * out, axes, keepdims, shape) / parents[0],)
