"""Differentiable VJPs of `inv`, `det` and `slogdet`, and of the triangle masks
(`triu`, `tril`), for gradients of gradients (`kerasx.autodiff.higher_order`)."""

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.determinants import det, slogdet
from kerasx.ops.linalg import _swap_last, matmul
from kerasx.ops.matrix import _triangle
from kerasx.ops.shape import reshape
from kerasx.ops.solvers import inv


def _lifted(t):
    """`t` of shape (...) as (..., 1, 1), to scale a stack of matrices."""
    return reshape(t, tuple(t.shape) + (1, 1))


@differentiable_vjp(inv)
def _inv_rule(g, parents, o, env):
    o_t = _swap_last(o)
    return (-matmul(matmul(o_t, g), o_t),)


@differentiable_vjp(det)
def _det_rule(g, parents, o, env):
    # the adjugate's transpose, det(x) inv(x)^T, for an invertible x
    return (_lifted(g) * _lifted(o) * _swap_last(inv(parents[0])),)


@differentiable_vjp(slogdet)
def _slogdet_rule(grads, parents, outs, env):
    g = grads[1]
    if g is None:
        return (None,)
    return (_lifted(g) * _swap_last(inv(parents[0])),)


@differentiable_vjp(_triangle)
def _triangle_rule(g, parents, out, env):
    xp = current().xp
    gv = value_of(g)
    keep = env["part"](xp.ones(tuple(gv.shape), dtype=gv.dtype, device=current().device),
                       k=env["k"])
    return (g * Tensor(keep),)
