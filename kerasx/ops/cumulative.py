"""Running sums and products along an axis, with VJP rules."""

import operator

from kerasx.ops._helpers import Tensor, axis_out_of_bounds, current, record, tracked, value_of
from kerasx.ops.shape import reshape


def _prepare(x, axis, dtype):
    """`(x, axis)` with `x` flattened for `axis=None` and cast to `dtype`; booleans
    count as int32 and other dtypes are kept, as in Keras (the array API would widen
    small integers to its default integer)."""
    from kerasx.ops.shape import cast

    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    xv = value_of(x)
    backend = current()
    if not hasattr(xv, "shape"):
        raise TypeError(f"cumsum/cumprod expect an array, received {type(x).__name__}: {x!r}.")
    ndim = len(xv.shape)
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"cumsum/cumprod: `axis` must be an int or None, received {axis!r}. "
                        f"Pass one axis (e.g. axis=1 rather than axis=(1,)).") from None
    if not -ndim <= axis < ndim:
        raise axis_out_of_bounds("", axis, tuple(xv.shape))
    if dtype is None and xv.dtype == backend.xp.bool:
        dtype = "int32"
    if dtype is not None:
        x = cast(x, dtype)
    return x, axis % max(ndim, 1)


def _reverse_cumsum(xp, v, axis):
    return xp.flip(xp.cumulative_sum(xp.flip(v, axis=axis), axis=axis), axis=axis)


def cumsum(x, axis=None, dtype=None):
    """The cumulative sum along `axis` (of the flattened input for None)."""
    x, axis = _prepare(x, axis, dtype)
    xp = current().xp
    xv = value_of(x)
    out = xp.cumulative_sum(xv, axis=axis, dtype=xv.dtype)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_reverse_cumsum(xp, g, axis),))


def cumprod(x, axis=None, dtype=None):
    """The cumulative product along `axis` (of the flattened input for None).

    Its gradient holds where `x` has zeros: `d out_i / d x_k` is `out_i / x_k` only
    before the first zero along the axis. At the first zero it is the product of the
    other factors (the running product with that zero taken as 1), and after it 0. The
    rule divides only by entries before the first zero, which are nonzero.
    """
    x, axis = _prepare(x, axis, dtype)
    xp = current().xp
    xv = value_of(x)
    out = xp.cumulative_prod(xv, axis=axis, dtype=xv.dtype)
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        is_zero = xv == 0
        zeros_so_far = xp.cumulative_sum(xp.astype(is_zero, xp.int32), axis=axis)
        before = zeros_so_far == 0
        first_zero = is_zero & (zeros_so_far == 1)
        safe = xp.where(before, xv, 1.0)
        grad = _reverse_cumsum(xp, g * out, axis) / safe
        if xp.any(first_zero):
            skipped = xp.cumulative_prod(xp.where(first_zero, 1.0, xv), axis=axis)
            at_zero = _reverse_cumsum(xp, g * skipped, axis)
            grad = xp.where(first_zero, at_zero, grad)
        return (xp.where(before | first_zero, grad, 0.0),)

    return record(out, (x,), vjp)
