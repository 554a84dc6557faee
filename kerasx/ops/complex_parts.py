"""Parts of (possibly complex) numbers: `real`, `imag`, `conj`/`conjugate`, `angle`,
and the tests `isreal`, `isposinf`, `isneginf`.

On real inputs, as NumPy and Keras define them: `real` and `conj` are the input,
`imag` zeros of its dtype, `angle` is pi for negative numbers (and -0.0) and 0
otherwise. Complex arrays, where the backend has them, use the namespace's
`real`, `imag`, `conj` and have no gradient.
"""

import math

from kerasx.ops._helpers import Tensor, as_float_operand, current, operand_value, value_of
from kerasx.ops.math import _unary


def _array(x):
    backend = current()
    v = operand_value(x)
    return v if backend.is_native(v) else backend.asarray(v)


def _is_complex(v):
    return current().isdtype(v.dtype, "complex floating")


def real(x):
    """The real part."""
    xv = _array(x)
    if _is_complex(xv):
        return Tensor(current().xp.real(xv))
    return _unary(x if hasattr(value_of(x), "dtype") else xv, lambda xp, v: v,
                  lambda xp, g, v, o: g)


def imag(x):
    """The imaginary part (zeros of the input's dtype for real input)."""
    xp = current().xp
    xv = _array(x)
    return Tensor(xp.imag(xv) if _is_complex(xv) else xp.zeros_like(xv))


def conj(x):
    """The complex conjugate (the input itself for real input)."""
    xv = _array(x)
    if _is_complex(xv):
        return Tensor(current().xp.conj(xv))
    return _unary(x if hasattr(value_of(x), "dtype") else xv, lambda xp, v: v,
                  lambda xp, g, v, o: g)


def conjugate(x):
    """The complex conjugate; the same as `conj`."""
    return conj(x)


def angle(x):
    """The argument of each number, in (-pi, pi]; integers give `floatx`."""
    xp = current().xp
    xv = _array(x)
    if _is_complex(xv):
        return Tensor(xp.atan2(xp.imag(xv), xp.real(xv)))
    xv = as_float_operand(xv)
    return Tensor(xp.atan2(xp.zeros_like(xv), xv))


def isreal(x):
    """True where the imaginary part is 0 (everywhere for real input)."""
    xp = current().xp
    xv = _array(x)
    if _is_complex(xv):
        return Tensor(xp.imag(xv) == 0)
    return Tensor(xp.ones(xv.shape, dtype=xp.bool, device=current().device))


def _infinity(x, sign):
    xp = current().xp
    xv = _array(x)
    if not current().isdtype(xv.dtype, "real floating"):
        return Tensor(xp.zeros(xv.shape, dtype=xp.bool, device=current().device))
    return Tensor(xv == sign * math.inf)


def isposinf(x):
    """True where the value is +inf."""
    return _infinity(x, 1.0)


def isneginf(x):
    """True where the value is -inf."""
    return _infinity(x, -1.0)
