"""Sequences evenly spaced on a log scale: `logspace` and `geomspace`."""

from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.creation import bounds_dtype, linspace


def _wide(value):
    backend = current()
    v = value_of(value)
    v = v if backend.is_native(v) else backend.asarray(v)
    return backend.xp.astype(v, backend.dtype("float64"))


def _default_dtype(*values):
    """Keras's choice: float64 if a bound is a float64 array, else `creation.bounds_dtype`
    (a float16 or bfloat16 bound keeps its type, others give `floatx`)."""
    backend = current()
    for v in values:
        dtype = getattr(value_of(v), "dtype", None)
        if dtype is not None and dtype == backend.dtype("float64"):
            return "float64"
    return bounds_dtype(*values)


def _finish(values, dtype, axis, ndim):
    """`values` (the sequence along axis 0) cast to `dtype` (integer types round down,
    as NumPy) with the sequence moved to `axis`."""
    backend = current()
    xp = backend.xp
    target = backend.dtype(dtype)
    if not backend.isdtype(target, "real floating"):
        values = xp.floor(values)
    if ndim:
        values = xp.moveaxis(values, 0, axis)
    return Tensor(xp.astype(values, target))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`base ** linspace(start, stop, num)`, as `numpy.logspace` (array bounds give one
    sequence per element, along `axis`)."""
    xp = current().xp
    dtype = dtype or _default_dtype(start, stop)
    exponents = value_of(linspace(_wide(start), _wide(stop), num, endpoint=endpoint,
                                  dtype="float64"))
    return _finish(xp.pow(float(base), exponents), dtype, axis, len(exponents.shape) - 1)


def _probing():
    from kerasx.layers.core._shape_probes import PROBING

    return PROBING[0] > 0


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` values from `start` to `stop` (included with `endpoint`) with a constant
    ratio, as `numpy.geomspace`: both bounds must be nonzero and of one sign (negative
    bounds give a negative sequence); the bounds are exact."""
    xp = current().xp
    lo, hi = xp.broadcast_arrays(_wide(start), _wide(stop))
    if bool(xp.any(lo == 0)) or bool(xp.any(hi == 0)) or bool(xp.any((lo < 0) != (hi < 0))):
        if _probing():  # zero arrays standing for symbolic bounds: only the shape matters
            lo, hi = xp.ones_like(lo), xp.ones_like(hi)
        elif bool(xp.any(lo == 0)) or bool(xp.any(hi == 0)):
            raise ValueError("geomspace: the bounds must be nonzero (a geometric sequence "
                             "cannot reach 0).")
        else:
            raise ValueError("geomspace: the bounds must have the same sign for a real "
                             "geometric sequence.")
    sign = xp.where(lo < 0, -1.0, xp.ones_like(lo))
    exponents = value_of(linspace(xp.log10(xp.abs(lo)), xp.log10(xp.abs(hi)), num,
                                  endpoint=endpoint, dtype="float64"))
    values = xp.pow(10.0, exponents)
    if num > 0:
        values[0, ...] = xp.abs(lo)
        if endpoint and num > 1:
            values[-1, ...] = xp.abs(hi)
    return _finish(values * sign, dtype or _default_dtype(start, stop), axis, len(lo.shape))
