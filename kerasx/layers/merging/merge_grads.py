"""Differentiable VJPs of the merge layers' nodes (`merge_n`: `Add`, `Subtract`,
`Multiply`, `Average`, `Maximum`, `Minimum`; `batch_dot`: `Dot`), for gradients of
gradients (`kerasx.autodiff.higher_order`)."""

import functools

from kerasx.autodiff.higher_order import composite_vjp, differentiable_vjp
from kerasx.layers.merging.base_merge import merge_n
from kerasx.layers.merging.dot import _inverse, batch_dot
from kerasx.ops._helpers import Tensor, current
from kerasx.ops.linalg import _swap_last, matmul
from kerasx.ops.math import add, maximum, minimum, multiply, subtract
from kerasx.ops.shape import reshape, transpose

__all__ = []

# each merge recomputed from recorded ops, by the module of the layer's gradient function
_MERGES = {
    "add": lambda xs: functools.reduce(add, xs),
    "subtract": lambda xs: subtract(xs[0], xs[1]),
    "multiply": lambda xs: functools.reduce(multiply, xs),
    "average": lambda xs: functools.reduce(add, xs) / float(len(xs)),
    "maximum": lambda xs: functools.reduce(maximum, xs),
    "minimum": lambda xs: functools.reduce(minimum, xs),
}


@differentiable_vjp(merge_n)
def _merge_rule(g, parents, out, env):
    kind = env["grads"].__module__.rsplit(".", 1)[-1]
    if kind == "maximum":  # Minimum routes its gradient with Maximum's function
        xp = current().xp
        lowest = functools.reduce(xp.minimum, env["values"])
        kind = "minimum" if bool(xp.all(env["out"] == lowest)) else "maximum"
    merge = _MERGES.get(kind)
    if merge is None:
        return None  # declined: a merge this module does not know
    return composite_vjp(lambda *xs: merge(xs), g, parents, env["values"])


@differentiable_vjp(batch_dot)
def _batch_dot_rule(g, parents, out, env):
    p1, p2 = env["p1"], env["p2"]
    a3v, b3v, m1v, m2v = env["a3"], env["b3"], env["m1"], env["m2"]

    def folded(parent, perm, value, shape):
        if parent is None:
            return Tensor(value)
        return reshape(transpose(parent, perm), tuple(shape))

    g3 = reshape(g, tuple(env["out3"].shape))
    g1 = g2 = None
    if parents[0] is not None:
        b3 = folded(parents[1], p2, b3v, b3v.shape)
        g1 = transpose(reshape(matmul(g3, _swap_last(b3)), tuple(m1v.shape)), _inverse(p1))
    if parents[1] is not None:
        a3 = folded(parents[0], p1, a3v, a3v.shape)
        g2 = transpose(reshape(matmul(_swap_last(a3), g3), tuple(m2v.shape)), _inverse(p2))
    return g1, g2
