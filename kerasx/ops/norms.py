"""`norm`: vector and matrix norms of every order `keras.ops.norm` takes (those of
`numpy.linalg.norm`), built from differentiable ops.

Vector orders: None or 2, inf, -inf, 0 (the count of nonzero values, no gradient),
and any other number p (`sum(|x| ** p) ** (1 / p)`). Matrix orders (a 2-tuple `axis`,
or 2-D `x` with `axis=None` and an order given): None or "fro", "nuc", inf, -inf, 1,
-1, 2 and -2 (the largest and smallest singular values). With `axis=None` and no
order, the 2-norm of all values, whatever the rank.
"""

import math

from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.shape import shape_of

_MATRIX_ORDERS = (None, "fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def norm(x, ord=None, axis=None, keepdims=False):
    """The norm of order `ord` over `axis` (an int: vector norms; a pair of ints:
    matrix norms). Integer and boolean inputs give float32 (float64 inputs stay)."""
    x = _floating(x)
    ndim = len(shape_of(value_of(x)))
    if axis is None:
        if ord is None:
            return _euclidean(x, tuple(range(ndim)), keepdims)
        if ndim not in (1, 2):
            raise ValueError(
                f"norm: an `ord` with `axis=None` needs a 1-D or 2-D input; received an "
                f"input of rank {ndim} with ord={ord!r}. Pass `axis` (an int for vector "
                "norms, a pair for matrix norms).")
        axis = tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axis = tuple(axis)
    if not all(isinstance(a, int) and -ndim <= a < ndim for a in axis) \
            or len(axis) not in (1, 2) or len(set(a % ndim for a in axis)) != len(axis):
        raise ValueError(f"norm: axis must be one int or a pair of distinct ints in "
                         f"[-{ndim}, {ndim - 1}]; received axis={axis!r}.")
    axis = tuple(a % ndim for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    return _matrix_norm(x, ord, axis, keepdims)


def _floating(x):
    backend = current()
    xv = value_of(x)
    if not hasattr(xv, "shape"):
        xv = backend.asarray(xv)
        x = Tensor(xv)
    if backend.isdtype(xv.dtype, ("real floating", "complex floating")):
        return x
    from kerasx.ops.shape import cast

    return cast(x, "float32")


def _euclidean(x, axes, keepdims):
    from kerasx.ops.math import sqrt, square
    from kerasx.ops.reduction import sum as total

    return sqrt(total(square(_magnitude(x)), axis=axes, keepdims=keepdims))


def _magnitude(x):
    from kerasx.ops.math import abs as absolute

    return absolute(x) if current().isdtype(value_of(x).dtype, "complex floating") else x


def _vector_norm(x, ord, axis, keepdims):
    from kerasx.ops.math import abs as absolute, power
    from kerasx.ops.reduction import max as largest, min as smallest, sum as total

    if ord is None or ord == 2:
        return _euclidean(x, (axis,), keepdims)
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise ValueError(f"norm: invalid order {ord!r} for vector norms; use None, a number, "
                         "inf or -inf (\"fro\" and \"nuc\" need a pair of axes).")
    magnitude = absolute(x)
    if ord == math.inf:
        return largest(magnitude, axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return smallest(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        xp, xv = current().xp, value_of(x)
        nonzero = xp.astype(xv != 0, xp.real(xv).dtype if current().isdtype(
            xv.dtype, "complex floating") else xv.dtype)
        return Tensor(xp.sum(nonzero, axis=axis, keepdims=keepdims))
    if ord == 1:
        return total(magnitude, axis=axis, keepdims=keepdims)
    return power(total(power(magnitude, float(ord)), axis=axis, keepdims=keepdims),
                 1.0 / float(ord))


def _matrix_norm(x, ord, axis, keepdims):
    from kerasx.ops.math import abs as absolute
    from kerasx.ops.reduction import max as largest, min as smallest, sum as total
    from kerasx.ops.shape import squeeze

    if ord not in _MATRIX_ORDERS or isinstance(ord, bool):
        raise ValueError(f"norm: invalid order {ord!r} for matrix norms; use one of "
                         f"{list(_MATRIX_ORDERS)}.")
    rows, cols = axis
    if ord is None or ord == "fro":
        return _euclidean(x, axis, keepdims)
    if ord in (math.inf, -math.inf, 1, -1):
        reduce = largest if ord > 0 else smallest
        # inf: the largest row sum (sum over the columns); 1: the largest column sum
        summed, other = (cols, rows) if abs(ord) == math.inf else (rows, cols)
        sums = total(absolute(x), axis=summed, keepdims=True)
        out = reduce(sums, axis=other, keepdims=True)
    else:
        out = _singular_value_norm(x, ord, rows, cols)
    return out if keepdims else squeeze(out, axis=axis)


def _singular_value_norm(x, ord, rows, cols):
    """"nuc", 2 or -2 over the axes `rows` and `cols`, with both kept (size 1)."""
    from kerasx.ops.decompositions import svd
    from kerasx.ops.reduction import max as largest, min as smallest, sum as total
    from kerasx.ops.shape import expand_dims, moveaxis

    ndim = len(shape_of(value_of(x)))
    moved = moveaxis(x, (rows, cols), (ndim - 2, ndim - 1))
    singular = svd(moved, compute_uv=False)
    reduce = {"nuc": total, 2: largest, -2: smallest}[ord]
    out = reduce(singular, axis=-1)
    for a in sorted((rows, cols)):
        out = expand_dims(out, a)
    return out
