"""Determinants and rank: `det`, `slogdet`, `logdet`, `matrix_rank`."""

from kerasx.autodiff.tape import record_multi
from kerasx.ops._helpers import Tensor, current, record, shape_of, tracked
from kerasx.ops._linalg_helpers import matrices, mT, nan_where_singular


def _adjugate_transpose(xp, av):
    """`adj(a)^T`, the derivative of `det(a)`, from the SVD `a = u diag(s) vh`:
    `adj(a) = det(u) det(vh) vh^T diag(prod_{j != i} s_j) u^T`, which stays exact for
    singular matrices (where `det(a) inv(a)^T` has no value)."""
    u, s, vh = xp.linalg.svd(av, full_matrices=False)
    n = s.shape[-1]
    backend = current()
    ones = xp.ones((n, n), dtype=s.dtype, device=backend.device)
    others = xp.where(xp.eye(n, dtype=xp.bool, device=backend.device), ones, s[..., None, :])
    cofactors = xp.prod(others, axis=-1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    adj = (mT(vh) * cofactors[..., None, :]) @ mT(u)
    return sign[..., None, None] * mT(adj)


def det(x):
    """The determinant of each square matrix of `x` (shape (..., M, M)), shape (...)."""
    xp = current().xp
    xv = matrices(x, "det")
    out = xp.linalg.det(xv)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (g[..., None, None] * _adjugate_transpose(xp, xv),))


def slogdet(x):
    """`(sign, log|det|)` of each square matrix of `x`: the sign (1, -1, or 0 for a
    singular matrix, whose log is -inf) and the natural log of the absolute
    determinant, each of shape (...). Only the log takes a gradient."""
    xp = current().xp
    xv = matrices(x, "slogdet")
    sign, logabs = xp.linalg.slogdet(xv)
    if not tracked(x):
        return Tensor(sign), Tensor(logabs)

    def vjp(gs):
        g = gs[1]
        if g is None:
            return (None,)
        inverse = nan_where_singular(xp.linalg.inv, xv)
        return (g[..., None, None] * mT(inverse),)

    return record_multi((sign, logabs), (x,), vjp)


def logdet(x):
    """The natural log of the determinant of Hermitian positive-definite matrices
    (..., M, M): `slogdet(x)[1]`."""
    return slogdet(x)[1]


def matrix_rank(x, tol=None):
    """The number of singular values of each matrix of `x` (..., M, N) above `tol`
    (default: the largest singular value times `max(M, N)` times the machine epsilon),
    as int32 of shape (...)."""
    backend = current()
    xp = backend.xp
    xv = matrices(x, "matrix_rank", square=False)
    s = xp.linalg.svdvals(xv)
    if tol is None:
        m, n = shape_of(xv)[-2:]
        tol = xp.max(s, axis=-1, keepdims=True) * (max(m, n) * backend.finfo(xv.dtype).eps)
    count = xp.sum(xp.astype(s > tol, backend.dtype("int32")), axis=-1)
    return Tensor(xp.astype(count, backend.dtype("int32")))
