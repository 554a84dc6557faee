"""Exponentials and logarithms beyond `exp`/`log`: base 2 and 10, `logaddexp`,
`rsqrt` and the error function, with VJP rules.

An integer or boolean input is read as `floatx`, as Keras does (`erf` refuses booleans,
as Keras's JAX backend).
"""

import math

from kerasx.ops._helpers import refuse_bool, value_of
from kerasx.ops.math import _binary, _unary
from kerasx.ops.nn import _erf
from kerasx.ops.trigonometry import float_operands

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def log2(x):
    return _unary(x, lambda xp, v: xp.log2(v), lambda xp, g, v, o: g / (v * _LN2),
                  floating=True)


def log10(x):
    return _unary(x, lambda xp, v: xp.log10(v), lambda xp, g, v, o: g / (v * _LN10),
                  floating=True)


def exp2(x):
    """`2 ** x`."""
    return _unary(x, lambda xp, v: xp.exp(v * _LN2), lambda xp, g, v, o: g * o * _LN2,
                  floating=True)


def rsqrt(x):
    """`1 / sqrt(x)`."""
    return _unary(x, lambda xp, v: 1.0 / xp.sqrt(v), lambda xp, g, v, o: -0.5 * g * o * o * o,
                  floating=True)


def erf(x):
    """The error function, to within `1.2e-7 * erfc(|x|)` (the approximation the exact
    GELU uses: fractional error of erfc below 1.2e-7, so never more than 1.2e-7 off);
    its gradient `2 / sqrt(pi) * exp(-x ** 2)` is exact."""
    refuse_bool(value_of(x), "erf")
    return _unary(x, _erf, lambda xp, g, v, o: g * _TWO_OVER_SQRT_PI * xp.exp(-v * v),
                  floating=True)


def logaddexp(x1, x2):
    """`log(exp(x1) + exp(x2))` without overflow."""
    x1, x2 = float_operands(x1, x2)
    return _binary(x1, x2, lambda xp, a, b: xp.logaddexp(a, b),
                   lambda xp, g, a, b, o: g * xp.exp(a - o),
                   lambda xp, g, a, b, o: g * xp.exp(b - o))


from kerasx.ops import elementwise_grads  # noqa: E402,F401  (registers the differentiable rules)
