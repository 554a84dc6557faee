"""Diagonals and triangles of matrices: `diagonal`, `trace`, `diag`, `tril`, `triu`."""

from kerasx.ops._helpers import Tensor, current, record, shape_of, tracked, value_of
from kerasx.ops.math import where
from kerasx.ops.reduction import sum as _sum
from kerasx.ops.shape import cast, expand_dims, constant_pad, reshape, take, transpose, zeros


def _rank(x, name, least):
    shape = shape_of(value_of(x))
    if len(shape) < least:
        raise ValueError(f"{name} expects an input of rank {least} or more, received one of "
                         f"shape {shape}.")
    return shape


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal `offset` above the main one (below it for negative offsets) of the
    matrices spanned by `axis1` and `axis2`, as the last axis of the result."""
    shape = _rank(x, "diagonal", 2)
    nd = len(shape)
    a1, a2 = axis1 % nd, axis2 % nd
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 must differ, both are {a1}.")
    rest = [i for i in range(nd) if i not in (a1, a2)]
    rows, cols = shape[a1], shape[a2]
    start = offset if offset >= 0 else -offset * cols
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    backend = current()
    flat_index = backend.xp.arange(start, start + length * (cols + 1), cols + 1,
                                   dtype=backend.dtype("int64"), device=backend.device)
    matrices = reshape(transpose(x, rest + [a1, a2]), [shape[i] for i in rest] + [rows * cols])
    return take(matrices, flat_index, axis=-1)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of `diagonal(x, offset, axis1, axis2)`. Booleans and 8- and 16-bit
    integers sum as int32 (unsigned: uint32), as in Keras."""
    from kerasx.backends.base import dtype_name

    _rank(x, "trace", 2)
    dtype = dtype_name(value_of(x).dtype)
    if dtype in _WIDENED:
        x = cast(x, _WIDENED[dtype])
    out = _sum(diagonal(x, offset, axis1, axis2), axis=-1)
    # the standard sums 32-bit integers in the default integer type
    return cast(out, _WIDENED.get(dtype, dtype)) if "int" in dtype or dtype == "bool" else out


_WIDENED = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
            "uint16": "uint32"}


def diag(x, k=0):
    """For a vector, the square matrix with it on diagonal `k`; for a matrix, its
    diagonal `k`."""
    shape = shape_of(value_of(x))
    if len(shape) == 2:
        return diagonal(x, k)
    if len(shape) != 1:
        raise ValueError(f"diag expects a vector or a matrix, received shape {shape}.")
    from kerasx.ops.creation import eye

    n = shape[0] + (k if k >= 0 else -k)
    # row i of the result holds x[i] (at column i + k): a column vector picked by the
    # mask (not multiplied by it: NaN * 0 is NaN); below the diagonal, column j holds x[j]
    padded = constant_pad(x, ((0, n - shape[0]),))
    values = expand_dims(padded, 1 if k >= 0 else 0)
    dtype = value_of(x).dtype
    return where(eye(n, n, k, dtype="bool"), values, zeros((), dtype=dtype))


def _triangle(x, k, name, lower):
    _rank(x, name, 2)
    xp = current().xp
    part = xp.tril if lower else xp.triu
    out = part(value_of(x), k=k)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (part(g, k=k),))


def tril(x, k=0):
    """`x` with the entries above diagonal `k` of its last two axes set to zero."""
    return _triangle(x, k, "tril", True)


def triu(x, k=0):
    """`x` with the entries below diagonal `k` of its last two axes set to zero."""
    return _triangle(x, k, "triu", False)
