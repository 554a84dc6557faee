"""Boolean tests of values: `isinf`, `signbit`, `isclose`, `allclose`, `logical_xor`."""

from kerasx.ops._helpers import (Tensor, current, keras_promoted, namespace, operand_value,
                                 value_of)


def _is_float(v):
    dtype = getattr(v, "dtype", None)
    return dtype is not None and current().isdtype(dtype, "real floating")


def isinf(x):
    xp = namespace()
    xv = value_of(x)
    if not _is_float(xv):  # integers and booleans are never infinite
        return Tensor(xp.zeros_like(xv, dtype=xp.bool))
    return Tensor(xp.isinf(xv))


def signbit(x):
    """True where the sign bit is set (negative numbers, -0.0, -inf)."""
    xp = namespace()
    xv = operand_value(x)
    if not _is_float(xv):
        return Tensor(xv < 0 if xv.dtype != xp.bool else xp.zeros_like(xv))
    return Tensor(xp.signbit(xv))


def _close(x1, x2, rtol, atol, equal_nan):
    from kerasx.ops.math import numbers_as_tensors

    xp = namespace()
    x1, x2 = numbers_as_tensors(x1, x2)
    a, b = value_of(x1), value_of(x2)
    if getattr(a, "dtype", None) is not getattr(b, "dtype", None):
        a, b = keras_promoted(a, b)
    if not _is_float(a) and not _is_float(b):
        return a == b
    # infinities are close only to themselves (and |inf - inf| would be nan)
    finite = xp.isfinite(a) & xp.isfinite(b)
    a_finite, b_finite = xp.where(finite, a, 0.0), xp.where(finite, b, 0.0)
    within = xp.abs(a_finite - b_finite) <= atol + rtol * xp.abs(b_finite)
    close = (a == b) | (finite & within)
    if equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    return close


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise `|x1 - x2| <= atol + rtol * |x2|`, as `numpy.isclose`."""
    return Tensor(_close(x1, x2, rtol, atol, equal_nan))


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether `isclose` holds everywhere (a 0-d boolean tensor)."""
    return Tensor(namespace().all(_close(x1, x2, rtol, atol, equal_nan)))


def logical_xor(x1, x2):
    return Tensor(namespace().logical_xor(truth_values(x1), truth_values(x2)))


def truth_values(x):
    """`x` as booleans, as Keras's logical ops read it (non-zero is true; Python numbers
    and lists too)."""
    from kerasx.ops.shape import convert_to_tensor

    v = value_of(x)
    if not hasattr(v, "dtype"):
        v = value_of(convert_to_tensor(v))
    return v if v.dtype == namespace().bool else v != 0
