"""Matrix factorizations: `cholesky`, `eigh`, `svd`, `qr`, `eig`.

Symmetric inputs (`cholesky`, `eigh`) are read as `(x + x^T) / 2`, as JAX does, so the
factor depends on every entry and the gradient is the symmetric matrix calculus one.
"""

from kerasx.autodiff.tape import record_multi
from kerasx.ops._helpers import Tensor, current, record, shape_of, tracked
from kerasx.ops._linalg_helpers import (FACTORIZATION_ERRORS, computed, eye_like, matrices,
                                        mT, nan_where_singular, symmetric_part)


def cholesky(x, upper=False):
    """The Cholesky factor of symmetric positive-definite matrices (..., M, M): lower
    triangular `L` with `x = L @ L^T`, or (`upper=True`) `U = L^T`. A matrix that is not
    positive definite is a ValueError."""
    xp = current().xp
    xv = symmetric_part(matrices(x, "cholesky"))
    lower = _cholesky_lower(xp, xv)
    out = mT(lower) if upper else lower
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        g_lower = xp.tril(mT(g) if upper else g)
        inverse = nan_where_singular(xp.linalg.inv, lower)
        middle = mT(lower) @ g_lower
        middle = xp.tril(middle) - 0.5 * _diagonal_matrix(middle)
        s = mT(inverse) @ middle @ inverse
        return (symmetric_part(s),)

    return record(out, (x,), vjp)


def _cholesky_lower(xp, xv):
    """The lower Cholesky factor; the zero matrix (positive semi-definite) factors as
    zero, and any other matrix that is not positive definite is a ValueError."""
    try:
        lower = xp.linalg.cholesky(xv)
    except FACTORIZATION_ERRORS:
        lower = None
    # some namespaces return NaN instead of raising
    if lower is None or bool(xp.any(xp.isnan(lower))):
        if bool(xp.all(xv == 0)):
            return xp.zeros_like(xv)
        raise ValueError(f"cholesky failed on an input of shape {shape_of(xv)}: the matrix "
                         "is not positive definite. Pass symmetric positive-definite "
                         "matrices.")
    return lower


def _diagonal_matrix(m):
    return m * eye_like(m)


def _off_diagonal_inverse(xp, w):
    """`f[..., i, j] = 1 / (w_j - w_i)` off the diagonal, 0 on it."""
    diff = w[..., None, :] - w[..., :, None]
    eye = xp.astype(eye_like(w, w.shape[-1]), xp.bool)
    return xp.where(eye, 0.0, 1.0 / xp.where(eye, 1.0, diff))


def eigh(x):
    """Eigenvalues (ascending, shape (..., M)) and orthonormal eigenvectors (the columns
    of a (..., M, M) matrix) of symmetric matrices. The gradient assumes distinct
    eigenvalues."""
    xp = current().xp
    xv = symmetric_part(matrices(x, "eigh"))
    w, v = computed("eigh", xp.linalg.eigh, xv, shape=shape_of(xv))
    if not tracked(x):
        return Tensor(w), Tensor(v)

    def vjp(gs):
        gw, gv = gs
        inner = xp.zeros(shape_of(v), dtype=v.dtype, device=current().device)
        if gw is not None:
            inner = inner + gw[..., None] * eye_like(v)
        if gv is not None:
            inner = inner + _off_diagonal_inverse(xp, w) * (mT(v) @ gv)
        return (symmetric_part(v @ inner @ mT(v)),)

    return record_multi((w, v), (x,), vjp)


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition `x = u @ diag(s) @ vh` of matrices (..., M, N):
    `(u, s, vh)`, with `u` (..., M, M) and `vh` (..., N, N) (`full_matrices=False`: M x K
    and K x N, K = min(M, N)), or only `s` (..., K), descending, when `compute_uv` is
    False. Gradients assume distinct nonzero singular values; those of `u` and `vh`
    need `full_matrices=False` or square matrices."""
    xp = current().xp
    xv = matrices(x, "svd", square=False)
    shape = shape_of(xv)
    needs_uv = compute_uv or tracked(x)
    if not needs_uv:
        return Tensor(computed("svd", xp.linalg.svdvals, xv, shape=shape))
    full = full_matrices and compute_uv
    u, s, vh = computed("svd", lambda v: xp.linalg.svd(v, full_matrices=full), xv, shape=shape)
    if not tracked(x):
        return Tensor(u), Tensor(s), Tensor(vh)
    k = s.shape[-1]
    u_k, vh_k = u[..., :, :k], vh[..., :k, :]
    square = shape[-1] == shape[-2]

    def vjp(gs):
        gu, gs_, gvh = gs if compute_uv else (None, gs, None)
        if (gu is not None or gvh is not None) and full and not square:
            raise NotImplementedError(
                f"The gradient of svd's `u` and `vh` for non-square matrices (shape {shape}) "
                "needs full_matrices=False: the extra singular vectors are not unique.")
        return (_svd_grad(xp, xv, u_k, s, vh_k, gu, gs_, gvh),)

    if not compute_uv:
        return record(s, (x,), vjp)
    return record_multi((u, s, vh), (x,), vjp)


def _svd_grad(xp, av, u, s, vh, gu, gs, gvh):
    """The VJP of the thin SVD (Townsend's rules for real matrices)."""
    v = mT(vh)
    inner = xp.zeros(shape_of(s) + (s.shape[-1],), dtype=s.dtype, device=current().device)
    if gs is not None:
        inner = inner + gs[..., None] * eye_like(u, s.shape[-1])
    f = _off_diagonal_inverse(xp, s * s)
    extra = 0.0
    if gu is not None:
        ju = mT(u) @ gu
        inner = inner + (f * (ju - mT(ju))) * s[..., None, :]
        extra = extra + (gu - u @ ju) / s[..., None, :] @ vh
    if gvh is not None:
        gv = mT(gvh)
        jv = mT(v) @ gv
        inner = inner + s[..., :, None] * (f * (jv - mT(jv)))
        extra = extra + (u / s[..., None, :]) @ mT(gv - v @ jv)
    return u @ inner @ vh + extra


def qr(x, mode="reduced"):
    """The QR decomposition `x = q @ r` of matrices (..., M, N): `q` with orthonormal
    columns and upper-triangular `r`; `mode="reduced"` gives (..., M, K) and (..., K, N),
    K = min(M, N), `"complete"` (..., M, M) and (..., M, N). The gradient needs the
    reduced mode (or M <= N)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` argument value not supported. Expected one of "
                         f"{{'reduced', 'complete'}}. "
                         f"Received: mode={mode!r}.")
    xp = current().xp
    xv = matrices(x, "qr", square=False)
    shape = shape_of(xv)
    q, r = computed("qr", lambda v: xp.linalg.qr(v, mode=mode), xv, shape=shape)
    if not tracked(x):
        return Tensor(q), Tensor(r)
    m, n = shape[-2:]

    def vjp(gs):
        if mode == "complete" and m > n:
            raise NotImplementedError(
                f"The gradient of qr for matrices with more rows than columns (shape "
                f"{shape}) needs mode='reduced': the extra columns of q are not unique.")
        gq, gr = gs
        gq = xp.zeros_like(q) if gq is None else gq
        gr = xp.zeros_like(r) if gr is None else gr
        if m >= n:
            return (_qr_grad_tall(xp, q, r, gq, gr),)
        # a wide x = q [r1 | r2]: the first m columns are a square QR, the rest q @ r2
        y, r1, gr2 = xv[..., m:], r[..., :m], gr[..., m:]
        g_left = _qr_grad_tall(xp, q, r1, gq + y @ mT(gr2), gr[..., :m])
        return (xp.concat([g_left, q @ gr2], axis=-1),)

    return record_multi((q, r), (x,), vjp)


def _qr_grad_tall(xp, q, r, gq, gr):
    """The VJP of the reduced QR of a matrix with M >= N: `(gq + q copyltu(m)) r^-T` with
    `m = r gr^T - gq^T q` and `copyltu` the symmetric matrix of `m`'s lower triangle."""
    m = r @ mT(gr) - mT(gq) @ q
    lower = xp.tril(m, k=-1)
    sym = lower + mT(lower) + _diagonal_matrix(m)
    b = gq + q @ sym
    # b r^-T, as the transpose of r^-1 b^T (r is upper triangular)
    return mT(xp.linalg.solve(xp.triu(r), mT(b)))


def eig(x):
    """Eigenvalues (..., M) and eigenvectors (..., M, M) of general square matrices, as
    complex Tensors (complex64 for float32 input, complex128 for float64), as in JAX.
    Not differentiable; namespaces without a general eigensolver raise."""
    backend = current()
    xp = backend.xp
    xv = matrices(x, "eig")
    solver = getattr(getattr(xp, "linalg", None), "eig", None)
    if solver is None:
        raise NotImplementedError(f"eig: the {backend.name!r} backend has no general "
                                  "eigensolver; use eigh for symmetric matrices.")
    w, v = computed("eig", solver, xv, shape=shape_of(xv))
    from kerasx.backends.base import dtype_name

    complex_type = getattr(xp, "complex128" if dtype_name(xv.dtype) == "float64"
                           else "complex64")
    return Tensor(xp.astype(w, complex_type)), Tensor(xp.astype(v, complex_type))
