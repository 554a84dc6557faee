"""Extremes: `amax`, `amin`, `ptp`, and the NaN-ignoring elementwise `fmax`, `fmin`."""

from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.math import _binary, subtract
from kerasx.ops.reduction import max as _max
from kerasx.ops.reduction import min as _min


def _boolean(x):
    """The value of `x` when it is a boolean array (the standard has no max of
    booleans: their maximum is `any`, their minimum `all`), else None."""
    backend = current()
    v = value_of(x)
    v = v if backend.is_native(v) else backend.asarray(v)
    return v if v.dtype == backend.xp.bool else None


def amax(x, axis=None, keepdims=False):
    """The maximum over `axis` (every axis for None); ties share the gradient."""
    flags = _boolean(x)
    if flags is not None:
        return Tensor(current().xp.any(flags, axis=_axes(axis), keepdims=keepdims))
    return _max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    """The minimum over `axis` (every axis for None); ties share the gradient."""
    flags = _boolean(x)
    if flags is not None:
        return Tensor(current().xp.all(flags, axis=_axes(axis), keepdims=keepdims))
    return _min(x, axis=axis, keepdims=keepdims)


def _axes(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def ptp(x, axis=None, keepdims=False):
    """The range `max - min` over `axis` ("peak to peak"), as `numpy.ptp`."""
    xv = value_of(x)
    if getattr(xv, "dtype", None) == current().xp.bool:
        raise TypeError("ptp is not defined for booleans (max - min would subtract booleans); "
                        "cast the input to an integer or float dtype first.")
    return subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis, keepdims=keepdims))


def _is_float(v):
    dtype = getattr(v, "dtype", None)
    return dtype is not None and current().isdtype(dtype, "real floating")


def _nan_ignoring(x1, x2, larger):
    def keep_first(xp, a, b):
        first = a >= b if larger else a <= b
        return first | xp.isnan(b) if _is_float(b) else first

    def forward(xp, a, b):
        return xp.where(keep_first(xp, a, b), a, b)

    return _binary(x1, x2, forward,
                   lambda xp, g, a, b, o: xp.where(keep_first(xp, a, b), g, 0.0),
                   lambda xp, g, a, b, o: xp.where(keep_first(xp, a, b), 0.0, g))


def fmax(x1, x2):
    """The elementwise maximum, taking the number where one side is NaN (NaN only where
    both are), as `numpy.fmax`; the gradient goes to the chosen side."""
    return _nan_ignoring(x1, x2, True)


def fmin(x1, x2):
    """The elementwise minimum, taking the number where one side is NaN (NaN only where
    both are), as `numpy.fmin`; the gradient goes to the chosen side."""
    return _nan_ignoring(x1, x2, False)
