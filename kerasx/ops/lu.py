"""`lu_factor`: the LU decomposition with partial pivoting, as LAPACK's `getrf` (and
SciPy's `lu_factor`) returns it, built from array-API primitives."""

from kerasx.ops._helpers import Tensor, current, shape_of
from kerasx.ops._linalg_helpers import matrices


def lu_factor(x):
    """`(lu, pivots)` of matrices `x` (..., M, N): `lu` (..., M, N) holds `U` on and
    above the diagonal and the multipliers of the unit lower-triangular `L` below it;
    `pivots` (..., K), int32 with K = min(M, N), says that row `i` was swapped with row
    `pivots[i]` (0-based) at step `i`. Each step picks the first row of largest magnitude
    in its column, as LAPACK does; a zero pivot leaves its column unscaled. Not
    differentiable."""
    backend = current()
    xp = backend.xp
    a = xp.asarray(matrices(x, "lu_factor", square=False), copy=True)
    shape = shape_of(a)
    m, n = shape[-2:]
    k = min(m, n)
    int_type = backend.dtype("int64")
    rows = xp.arange(m, dtype=int_type, device=backend.device)
    pivots = []
    for j in range(k):
        p = xp.argmax(xp.abs(a[..., j:, j]), axis=-1) + j
        pivots.append(p)
        p = xp.astype(p, int_type)[..., None]
        order = xp.where(rows == j, p, xp.where(rows == p, j, rows))
        a = xp.take_along_axis(a, xp.broadcast_to(order[..., None], shape), axis=-2)
        pivot = a[..., j:j + 1, j:j + 1]
        if j + 1 < m:
            below = a[..., j + 1:, j:j + 1]
            below = xp.where(pivot == 0, below, below / xp.where(pivot == 0, 1.0, pivot))
            a[..., j + 1:, j:j + 1] = below
            if j + 1 < n:
                a[..., j + 1:, j + 1:] = a[..., j + 1:, j + 1:] - below * a[..., j:j + 1, j + 1:]
    batch = shape[:-2]
    if pivots:
        piv = xp.stack(pivots, axis=-1)
    else:
        piv = xp.zeros(batch + (0,), dtype=int_type, device=backend.device)
    return Tensor(a), Tensor(xp.astype(piv, backend.dtype("int32")))
