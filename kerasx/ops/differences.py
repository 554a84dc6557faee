"""Differences and integrals along an axis: `diff`, `trapezoid`."""

import builtins

from kerasx.ops._helpers import common_operands, current, shape_of, value_of
from kerasx.ops.math import add, multiply, not_equal, subtract
from kerasx.ops.reduction import sum as _sum
from kerasx.ops.shape import getitem, reshape

_slice = builtins.slice


def _axis(name, shape, axis):
    if not isinstance(axis, int) or isinstance(axis, bool) or not -len(shape) <= axis < len(shape):
        raise ValueError(f"{name}: axis {axis!r} is out of bounds for an input of shape {shape}; "
                         f"pass an axis in [{-len(shape)}, {len(shape) - 1}].")
    return axis % len(shape)


def _part(x, axis, start, stop):
    return getitem(x, (_slice(None),) * axis + (_slice(start, stop), Ellipsis))


def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis` (`a[1:] - a[:-1]`, `n` times), as
    `numpy.diff`; booleans give booleans (where neighbours differ)."""
    av = value_of(a)
    av = av if hasattr(av, "shape") else current().asarray(av)
    a = a if hasattr(value_of(a), "shape") else av
    shape = shape_of(av)
    if not shape:
        raise ValueError("diff expects an input of rank 1 or more, received a scalar.")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, received {n!r}.")
    axis = _axis("diff", shape, axis)
    boolean = av.dtype == current().xp.bool
    for _ in range(n):
        high, low = _part(a, axis, 1, None), _part(a, axis, None, -1)
        a = not_equal(high, low) if boolean else subtract(high, low)
    return a if n else getitem(a, ...)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` along `axis` by the trapezoidal rule, with sample points `x`
    (1-D along that axis, or the shape of `y`) or spacing `dx`, as `numpy.trapezoid`.
    Integer inputs give `floatx` (with float sample points, their type, as in Keras)."""
    yv = value_of(y)
    yv = yv if hasattr(yv, "shape") else current().asarray(yv)
    if not getattr(y, "tracked", False):
        y = yv
    shape = shape_of(yv)
    if not shape:
        raise ValueError("trapezoid expects y of rank 1 or more, received a scalar.")
    axis = _axis("trapezoid", shape, axis)
    if x is None:
        spacing = dx
    else:
        xv = value_of(x)
        if not hasattr(xv, "shape"):
            x = xv = current().asarray(xv)
        if len(xv.shape) == 1:
            if xv.shape[0] != shape[axis]:
                raise ValueError(f"trapezoid: x of shape {tuple(xv.shape)} does not match axis "
                                 f"{axis} of y of shape {shape}.")
            x = reshape(x, tuple(-1 if i == axis else 1 for i in range(len(shape))))
        elif len(xv.shape) != len(shape):
            raise ValueError(f"trapezoid: x of shape {tuple(xv.shape)} must be 1-D or have the "
                             f"rank of y of shape {shape}.")
        # one float type for both, as Keras's `result_type(y, x, float)`
        y, x = common_operands(y, x, floating=True)
        spacing = diff(x, axis=axis)
    if x is None:
        y = common_operands(y, floating=True)[0]
    pair_sum = add(_part(y, axis, 1, None), _part(y, axis, None, -1))
    return _sum(multiply(multiply(pair_sum, spacing), 0.5), axis=axis)
