"""Inverses and linear solves: `inv`, `solve`, `solve_triangular`, `cholesky_inverse`,
`pinv` and `lstsq`, each with its matrix-calculus VJP."""

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.ops._helpers import Tensor, current, record, shape_of, tracked, value_of
from kerasx.ops._linalg_helpers import (computed, eye_like, matrices, mT, nan_where_singular,
                                        same_type)


def inv(x):
    """The inverse of each square matrix of `x` (shape (..., M, M)); a singular matrix
    gives NaN, as in JAX."""
    xp = current().xp
    xv = matrices(x, "inv")
    out = nan_where_singular(xp.linalg.inv, xv)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (-(mT(out) @ g @ mT(out)),))


def _right_hand_side(av, bv, name, vector):
    """The shapes of `solve`-like operands checked; `vector` says whether `b` holds one
    vector per matrix (shape (..., M)) rather than matrices (..., M, K)."""
    a_shape, b_shape = shape_of(av), shape_of(bv)
    m = a_shape[-1]
    if len(b_shape) < 1 or (not vector and len(b_shape) < 2):
        raise ValueError(f"{name} expects `b` of shape (..., M) or (..., M, K), received "
                         f"shape {b_shape}.")
    rows = b_shape[-1] if vector else b_shape[-2]
    if rows != m:
        hint = ""
        if name == "solve" and len(b_shape) == len(a_shape) - 1 and b_shape[-1] == m:
            hint = (" Only a 1-D `b` is read as a vector: give a batch of vectors a last "
                    "axis of size 1 (`b[..., None]`).")
        raise ValueError(f"{name}: `a` of shape {a_shape} needs `b` with {m} rows "
                         f"(shape (..., {m}) or (..., {m}, K)), received shape {b_shape}."
                         + hint)
    a_batch = a_shape[:-2]
    b_batch = b_shape[:-1] if vector else b_shape[:-2]
    n = max(len(a_batch), len(b_batch))
    padded_a = (1,) * (n - len(a_batch)) + a_batch
    padded_b = (1,) * (n - len(b_batch)) + b_batch
    for p, q in zip(padded_a, padded_b):
        if p != q and 1 not in (p, q):
            raise ValueError(f"{name}: the batch shapes of `a` {a_shape} and `b` {b_shape} "
                             "do not broadcast.")


def _solve_node(a, b, av, bv, triangle, name, vector):
    """`a^-1 b` (with `av` already masked to a triangle where `triangle` is tril/triu) as
    one node: the VJP solves with the transpose, and `a`'s gradient is the outer product
    of that solution with the output."""
    xp = current().xp
    b2 = bv[..., None] if vector else bv
    x2 = nan_where_singular(xp.linalg.solve, av, b2)
    out = x2[..., 0] if vector else x2
    if not tracked(a, b):
        return Tensor(out)
    ta, tb = getattr(a, "tracked", False), getattr(b, "tracked", False)
    a_shape, b_shape = shape_of(av), shape_of(bv)

    def vjp(g):
        g2 = g[..., None] if vector else g
        gb2 = nan_where_singular(xp.linalg.solve, mT(av), g2)
        ga = gb = None
        if ta:
            ga = -(gb2 @ mT(x2))
            if triangle is not None:
                ga = triangle(ga)
            ga = unbroadcast(xp, ga, a_shape)
        if tb:
            gb = unbroadcast(xp, gb2[..., 0] if vector else gb2, b_shape)
        return _in_type_of(a, ga), _in_type_of(b, gb)

    return record(out, (a, b), vjp)


def _in_type_of(x, g):
    """The gradient `g` in the type of the input `x` (the two operands may have been
    computed in the wider type of the pair)."""
    dtype = getattr(value_of(x), "dtype", None)
    if g is None or dtype is None or g.dtype == dtype:
        return g
    return current().xp.astype(g, dtype)


def solve(a, b):
    """The solution `x` of `a @ x = b` for square `a` (..., M, M). `b` is a vector when it
    is 1-D (shape (M,)), else a batch of matrices (..., M, K); batch axes broadcast. A
    singular `a` gives NaN, as in JAX."""
    av, bv = same_type(matrices(a, "solve"), b)
    vector = len(shape_of(bv)) == 1
    _right_hand_side(av, bv, "solve", vector)
    return _solve_node(a, b, av, bv, None, "solve", vector)


def solve_triangular(a, b, lower=False):
    """`solve` for triangular `a`: only its lower (`lower=True`) or upper triangle is
    read. `b` holds vectors when it has one axis fewer than `a` (shape (..., M)), else
    matrices (..., M, K)."""
    xp = current().xp
    av, bv = same_type(matrices(a, "solve_triangular"), b)
    triangle = xp.tril if lower else xp.triu
    vector = len(shape_of(bv)) == len(shape_of(av)) - 1
    _right_hand_side(av, bv, "solve_triangular", vector)
    return _solve_node(a, b, triangle(av), bv, triangle, "solve_triangular", vector)


def cholesky_inverse(x, upper=False):
    """The inverse of `A` from its Cholesky factor `x`: `A = x @ x.T` for a lower factor,
    `A = x.T @ x` for an upper one (`upper=True`). Only that triangle of `x` is read."""
    xp = current().xp
    xv = matrices(x, "cholesky_inverse")
    triangle = xp.triu if upper else xp.tril
    factor = triangle(xv)
    factor_inv = nan_where_singular(xp.linalg.solve, factor, eye_like(factor))
    out = factor_inv @ mT(factor_inv) if upper else mT(factor_inv) @ factor_inv
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        g_a = -(out @ g @ out)
        both = g_a + mT(g_a)
        return (triangle(factor @ both if upper else both @ factor),)

    return record(out, (x,), vjp)


def _pinv_grad(av, p, g):
    """The VJP of `p = pinv(a)` for the cotangent `g` (exact where the rank of `a` stays
    constant nearby): `-p^T g p^T + (I - a p) g^T p p^T + p^T p g^T (I - p a)`."""
    pt, gt = mT(p), mT(g)
    out = -(pt @ g @ pt)
    out = out + (gt - av @ (p @ gt)) @ (p @ pt)
    return out + (pt @ p) @ (gt - (gt @ p) @ av)


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse (..., N, M) of matrices `x` (..., M, N), through
    the SVD; singular values at most `rcond` times the largest count as zero (default:
    `max(M, N)` times the machine epsilon of the type)."""
    xp = current().xp
    xv = matrices(x, "pinv", square=False)
    out = computed("pinv", lambda v: xp.linalg.pinv(v, rtol=rcond), xv, shape=shape_of(xv))
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_pinv_grad(xv, out, g),))


def lstsq(a, b, rcond=None):
    """The least-squares solution `x` (N,) or (N, K) of `a @ x = b` for a matrix `a`
    (M, N) and `b` (M,) or (M, K): the minimum-norm one where several minimize the
    residual. `rcond` is `pinv`'s cut-off ratio for small singular values."""
    xp = current().xp
    av, bv = same_type(matrices(a, "lstsq", square=False), b)
    a_shape, b_shape = shape_of(av), shape_of(bv)
    if len(a_shape) != 2 or len(b_shape) not in (1, 2) or b_shape[0] != a_shape[0]:
        raise ValueError(f"lstsq expects `a` of shape (M, N) and `b` of shape (M,) or "
                         f"(M, K), received a.shape={a_shape} and b.shape={b_shape}.")
    p = computed("lstsq", lambda v: xp.linalg.pinv(v, rtol=rcond), av, shape=a_shape)
    out = p @ bv
    if not tracked(a, b):
        return Tensor(out)
    ta, tb = getattr(a, "tracked", False), getattr(b, "tracked", False)

    def vjp(g):
        gb = mT(p) @ g if tb else None
        ga = None
        if ta:
            g_p = g[:, None] * bv[None, :] if len(b_shape) == 1 else g @ mT(bv)
            ga = _pinv_grad(av, p, g_p)
        return _in_type_of(a, ga), _in_type_of(b, gb)

    return record(out, (a, b), vjp)
