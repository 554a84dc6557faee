"""Differentiable VJPs of the linear algebra: `inv`, `det`, `slogdet`, the triangle
masks (`triu`, `tril`), `solve`, `solve_triangular`, `cholesky`, `cholesky_inverse`,
`eigh`, `svd` (and with it the spectral `norm`s), `qr`, `pinv` and `lstsq`, for
gradients of gradients (`kerasx.autodiff.higher_order`). Each is the op's first-order
matrix calculus written with recorded ops on the node's inputs and outputs, so it
differentiates again (the factorizations' rules call `inv`, `solve` and `svd`)."""

from kerasx.autodiff.higher_order import (differentiable_vjp, input_tensor, output_of,
                                          sum_to_shape)
from kerasx.ops._helpers import Tensor, current, record, tracked, value_of
from kerasx.ops._linalg_helpers import eye_like
from kerasx.ops.decompositions import cholesky, eigh, qr, svd
from kerasx.ops.determinants import det, slogdet
from kerasx.ops.linalg import _swap_last, matmul
from kerasx.ops.matrix import _triangle, tril, triu
from kerasx.ops.shape import cast, concatenate, expand_dims, reshape, squeeze
from kerasx.ops.solvers import (_pinv_grad as raw_pinv_grad, _solve_node, cholesky_inverse, inv,
                                lstsq, pinv, solve, solve_triangular)


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


# -- solves, factorizations and pseudo-inverses ------------------------------------------

def _in_type(grad, parent):
    """`grad` in the type of `parent` (the op may have computed in a wider one)."""
    if grad is None or parent is None or grad.dtype == parent.dtype:
        return grad
    return cast(grad, parent.dtype)


def _eye(like, n=None):
    v = value_of(like)
    return Tensor(eye_like(v, n))


def _symmetric(s):
    return 0.5 * (s + _swap_last(s))


def _off_diagonal_inverse(w):
    """`f[..., i, j] = 1 / (w_j - w_i)` off the diagonal, 0 on it, as recorded ops."""
    eye = _eye(w, w.shape[-1])
    diff = expand_dims(w, -2) - expand_dims(w, -1)
    return (1.0 - eye) / (diff + eye)


@differentiable_vjp(_solve_node)
def _solve_rule(g, parents, out, env):
    """`a^-1 b`: `b`'s gradient solves with `a^T`, `a`'s is minus its outer product with
    the solution (masked to the triangle `solve_triangular` reads)."""
    av, vector = env["av"], env["vector"]
    triangle = env["triangle"]
    xp = current().xp
    masked = None if triangle is None else (tril if triangle is xp.tril else triu)
    a = input_tensor(parents[0], av)
    if masked is not None:
        a = masked(a)
    x2 = expand_dims(out, -1) if vector else out
    g2 = expand_dims(g, -1) if vector else g
    gb2 = solve(_swap_last(a), g2)
    ga = gb = None
    if parents[0] is not None:
        ga = -matmul(gb2, _swap_last(x2))
        if masked is not None:
            ga = masked(ga)
        ga = _in_type(sum_to_shape(ga, env["a_shape"]), parents[0])
    if parents[1] is not None:
        gb = squeeze(gb2, -1) if vector else gb2
        gb = _in_type(sum_to_shape(gb, env["b_shape"]), parents[1])
    return ga, gb


@differentiable_vjp(cholesky)
def _cholesky_rule(g, parents, out, env):
    upper = env["upper"]
    lower = _swap_last(out) if upper else out
    g_lower = tril(_swap_last(g) if upper else g)
    inverse = inv(lower)
    middle = matmul(_swap_last(lower), g_lower)
    middle = tril(middle) - 0.5 * middle * _eye(middle)
    return (_symmetric(matmul(matmul(_swap_last(inverse), middle), inverse)),)


@differentiable_vjp(eigh)
def _eigh_rule(grads, parents, outs, env):
    gw, gv = grads
    w = output_of(env, outs, 0, env["w"])
    v = output_of(env, outs, 1, env["v"])
    inner = None
    if gw is not None:
        inner = expand_dims(gw, -1) * _eye(v)
    if gv is not None:
        part = _off_diagonal_inverse(w) * matmul(_swap_last(v), gv)
        inner = part if inner is None else inner + part
    if inner is None:
        return (None,)
    return (_symmetric(matmul(matmul(v, inner), _swap_last(v))),)


@differentiable_vjp(svd)
def _svd_rule(grads, parents, outs, env):
    """Townsend's VJP of the thin SVD, as recorded ops; without `compute_uv` the singular
    vectors come from an SVD of the input recorded here."""
    s_value = env["s"]
    k = s_value.shape[-1]
    thin = not env["full"] or env["square"]
    if env["compute_uv"]:
        gu, gs, gvh = grads
        if (gu is not None or gvh is not None) and not thin:
            return None  # the first-order error says why
        s = output_of(env, outs, 1, s_value)
    else:
        gu, gs, gvh = None, grads, None
        s = outs
    if env["compute_uv"] and thin and outs[0] is not None and outs[2] is not None:
        u, vh = outs[0], outs[2]
    else:  # singular vectors nothing recorded (or extra ones): those of a thin SVD
        u, _, vh = svd(input_tensor(parents[0], env["xv"]), full_matrices=False)
    v = _swap_last(vh)
    inner = Tensor(current().xp.zeros(tuple(s_value.shape) + (k,), dtype=s_value.dtype,
                                      device=current().device))
    if gs is not None:
        inner = inner + expand_dims(gs, -1) * _eye(s, k)
    f = _off_diagonal_inverse(s * s)
    extra = None
    row_s = expand_dims(s, -2)
    if gu is not None:
        ju = matmul(_swap_last(u), gu)
        inner = inner + f * (ju - _swap_last(ju)) * row_s
        extra = matmul((gu - matmul(u, ju)) / row_s, vh)
    if gvh is not None:
        gv = _swap_last(gvh)
        jv = matmul(_swap_last(v), gv)
        inner = inner + expand_dims(s, -1) * (f * (jv - _swap_last(jv)))
        part = matmul(u / row_s, _swap_last(gv - matmul(v, jv)))
        extra = part if extra is None else extra + part
    grad = matmul(matmul(u, inner), vh)
    return (grad if extra is None else grad + extra,)


def _qr_tall(q, r, gq, gr):
    """The VJP of the reduced QR of a matrix with M >= N, as recorded ops (see
    `kerasx.ops.decompositions._qr_grad_tall`)."""
    m = matmul(r, _swap_last(gr)) - matmul(_swap_last(gq), q)
    lower = tril(m, -1)
    b = gq + matmul(q, lower + _swap_last(lower) + m * _eye(m))
    return _swap_last(solve_triangular(r, _swap_last(b), lower=False))


@differentiable_vjp(qr)
def _qr_rule(grads, parents, outs, env):
    m, n = env["m"], env["n"]
    if env["mode"] == "complete" and m > n:
        return None  # the first-order error says why
    q = output_of(env, outs, 0, env["q"])
    r = output_of(env, outs, 1, env["r"])
    gq, gr = grads
    gq = Tensor(current().xp.zeros_like(env["q"])) if gq is None else gq
    gr = Tensor(current().xp.zeros_like(env["r"])) if gr is None else gr
    if m >= n:
        return (_qr_tall(q, r, gq, gr),)
    y, gr2 = input_tensor(parents[0], env["xv"])[..., m:], gr[..., m:]
    left = _qr_tall(q, r[..., :m], gq + matmul(y, _swap_last(gr2)), gr[..., :m])
    return (concatenate([left, matmul(q, gr2)], axis=-1),)


@differentiable_vjp(cholesky_inverse)
def _cholesky_inverse_rule(g, parents, out, env):
    upper = env["upper"]
    factor = (triu if upper else tril)(parents[0])
    g_a = -matmul(matmul(out, g), out)
    both = g_a + _swap_last(g_a)
    return ((triu if upper else tril)(matmul(factor, both) if upper else matmul(both, factor)),)


def _pinv_grad(a, p, g):
    """`kerasx.ops.solvers._pinv_grad` as recorded ops."""
    pt, gt = _swap_last(p), _swap_last(g)
    out = -matmul(matmul(pt, g), pt)
    out = out + matmul(gt - matmul(a, matmul(p, gt)), matmul(p, pt))
    return out + matmul(matmul(pt, p), gt - matmul(matmul(gt, p), a))


def known_pinv(a, av, p):
    """`pinv(a)` whose value `p` is already computed (`av` the value of `a`), recorded."""
    if not tracked(a):
        return Tensor(p)
    return record(p, (a,), lambda g: (raw_pinv_grad(av, p, g),))


def _pinv_rule(g, parents, out, env):
    return (_pinv_grad(parents[0], out, g),)


differentiable_vjp(pinv, _pinv_rule)
differentiable_vjp(known_pinv, _pinv_rule)


@differentiable_vjp(lstsq)
def _lstsq_rule(g, parents, out, env):
    av, bv = env["av"], env["bv"]
    a, b = input_tensor(parents[0], av), input_tensor(parents[1], bv)
    p = known_pinv(a, av, env["p"]) if parents[0] is not None else Tensor(env["p"])
    ga = gb = None
    if parents[1] is not None:
        gb = _in_type(matmul(_swap_last(p), g), parents[1])
    if parents[0] is not None:
        if len(env["b_shape"]) == 1:
            g_p = expand_dims(g, 1) * expand_dims(b, 0)
        else:
            g_p = matmul(g, _swap_last(b))
        ga = _in_type(_pinv_grad(a, p, g_p), parents[0])
    return ga, gb
