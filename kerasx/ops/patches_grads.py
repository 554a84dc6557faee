"""Differentiable VJPs of `unfold` and `fold` (each the other's gradient) and of
`cdist`, for gradients of gradients (`kerasx.autodiff.higher_order`)."""

from kerasx.autodiff.higher_order import differentiable_vjp, input_tensor, sum_to_shape
from kerasx.ops.distances import cdist
from kerasx.ops.math import where
from kerasx.ops.patches import fold, unfold
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import expand_dims


def _geometry(env):
    return {"kernel_size": env["k"], "dilation": env["d"], "padding": env["p"],
            "stride": env["s"]}


differentiable_vjp(unfold, lambda g, parents, out, env: (fold(g, env["size"], **_geometry(env)),))
differentiable_vjp(fold, lambda g, parents, out, env: (unfold(g, **_geometry(env)),))


@differentiable_vjp(cdist)
def _cdist_rule(g, parents, out, env):
    """`g / distance` times the differences, 0 at a zero distance (as the first order)."""
    xv, yv = env["operands"]
    positive = env["out"] > 0
    scale = where(positive, g / where(positive, out, 1.0), 0.0)
    diff = expand_dims(input_tensor(parents[0], xv), -2) - expand_dims(input_tensor(parents[1], yv), -3)
    pull = expand_dims(scale, -1) * diff
    gx = sum_to_shape(reduce_sum(pull, axis=-2), env["sx"]) if env["tx"] else None
    gy = sum_to_shape(-reduce_sum(pull, axis=-3), env["sy"]) if env["ty"] else None
    return gx, gy
