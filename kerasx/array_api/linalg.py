"""The array API's `linalg` extension over `kerasx.ops` (differentiable where those are)."""

from kerasx import ops as _ops
from kerasx.array_api._adapted import matrix_transpose, vecdot

cholesky = _ops.cholesky
det = _ops.det
inv = _ops.inv
matmul = _ops.matmul
outer = _ops.outer
pinv = _ops.pinv
qr = _ops.qr
slogdet = _ops.slogdet
solve = _ops.solve
svd = _ops.svd
tensordot = _ops.tensordot


def cross(x1, x2, /, *, axis=-1):
    return _ops.cross(x1, x2, axis=axis)


def diagonal(x, /, *, offset=0):
    return _ops.diagonal(x, offset=offset, axis1=-2, axis2=-1)


def trace(x, /, *, offset=0, dtype=None):
    out = _ops.trace(x, offset=offset, axis1=-2, axis2=-1)
    return out if dtype is None else _ops.cast(out, dtype)


def eigh(x, /):
    return _ops.eigh(x)


def eigvalsh(x, /):
    return _ops.eigh(x)[0]


def svdvals(x, /):
    return _ops.svd(x, compute_uv=False)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002
    return _ops.norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    if axis is None:
        x, axis = _ops.reshape(x, (-1,)), 0
    return _ops.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def matrix_power(x, n, /):
    if n < 0:
        x, n = _ops.inv(x), -n
    out = _ops.broadcast_to(_ops.eye(x.shape[-1], dtype=x.dtype), x.shape)
    while n:
        if n & 1:
            out = _ops.matmul(out, x)
        x = _ops.matmul(x, x)
        n >>= 1
    return out


def matrix_rank(x, /, *, rtol=None):
    return _ops.matrix_rank(x, tol=rtol)


__all__ = ["cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot", "vector_norm"]
