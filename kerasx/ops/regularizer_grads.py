"""Differentiable VJPs of the weight penalties (`kerasx.regularizers`: L1 / L2 and the
orthogonal one), for gradients of gradients (`kerasx.autodiff.higher_order`): a
meta-learning inner step on a regularized loss differentiates them twice."""

from kerasx.autodiff.higher_order import composite_vjp, differentiable_vjp
from kerasx.ops._helpers import Tensor
from kerasx.ops.linalg import _swap_last, matmul
from kerasx.ops.math import abs as absolute
from kerasx.ops.math import sign, sqrt, where
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.regularizers.regularizers import l1_l2_penalty, orthogonal_penalty


@differentiable_vjp(l1_l2_penalty)
def _l1_l2_rule(g, parents, out, env):
    x, l1, l2 = parents[0], env["l1"], env["l2"]
    grad = None
    if l1:
        grad = l1 * sign(x)
    if l2:
        grad = (2.0 * l2) * x if grad is None else grad + (2.0 * l2) * x
    return (g * grad,)


@differentiable_vjp(orthogonal_penalty)
def _orthogonal_rule(g, parents, out, env):
    """The penalty recomputed with recorded ops; a row whose inverse norm Keras caps
    keeps that (constant) inverse."""
    capped, inv, off_diagonal = env["capped"], env["inv"], env["off_diagonal"]

    def forward(x):
        v = _swap_last(x) if env["mode"] == "columns" else x
        sq = reduce_sum(v * v, axis=1, keepdims=True)
        inverse = where(capped, Tensor(inv), 1.0 / sqrt(where(capped, 1.0, sq)))
        u = v * inverse
        product = matmul(u, _swap_last(u))
        return env["scale"] * reduce_sum(absolute(product * Tensor(off_diagonal)))

    return composite_vjp(forward, g, parents, (None,))
