"""Differentiable VJPs of the trigonometric, hyperbolic and base-2/10 exponential
and logarithm ops, `erf`, `erfc`, `erfinv`, `logaddexp`, `logaddexp2`, `sign`, the
float functions (`cbrt`, `fabs`, `deg2rad`, `rad2deg`, `sinc`, `ldexp`, `hypot`,
`arctan2`, `divide_no_nan`, `heaviside`, `fmod`, `fmax`, `fmin`), the Bessel function
`i0` (and its gradient `I1`) and the identities
(`copy`, `real` and `conj` of real input, `nan_to_num`), for gradients of gradients
(`kerasx.autodiff.higher_order`). Rules are `rule(g, x, o, env)` (one input) or pairs
of `rule(g, a, b, o)` (two), on Tensors, as in `kerasx.ops.math`."""

import math

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.arithmetic import copy, fmod, nan_to_num
from kerasx.ops.bessel import _i1, i0
from kerasx.ops.complex_parts import conj, real
from kerasx.ops.error_functions import erfc, erfinv
from kerasx.ops.exp_log import (_LN2, _LN10, _TWO_OVER_SQRT_PI, erf, exp2, log2, log10, logaddexp,
                                rsqrt)
from kerasx.ops.extrema import _nan_ignoring
from kerasx.ops.float_functions import (_DEGREE, cbrt, deg2rad, divide_no_nan, fabs, heaviside,
                                        ldexp, logaddexp2, rad2deg, sinc)
from kerasx.ops.math import _mask, cos, exp, sign, sqrt, where
from kerasx.ops.trigonometry import (arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                                     cosh, hypot, sinh, tan)

differentiable_vjp(tan, lambda g, x, o, env: g * (1.0 + o * o))
differentiable_vjp(arcsin, lambda g, x, o, env: g / sqrt(1.0 - x * x))
differentiable_vjp(arccos, lambda g, x, o, env: -g / sqrt(1.0 - x * x))
differentiable_vjp(arctan, lambda g, x, o, env: g / (1.0 + x * x))
differentiable_vjp(sinh, lambda g, x, o, env: g * cosh(x))
differentiable_vjp(cosh, lambda g, x, o, env: g * sinh(x))
differentiable_vjp(arcsinh, lambda g, x, o, env: g / sqrt(x * x + 1.0))
differentiable_vjp(arccosh, lambda g, x, o, env: g / sqrt(x * x - 1.0))
differentiable_vjp(arctanh, lambda g, x, o, env: g / (1.0 - x * x))
differentiable_vjp(log2, lambda g, x, o, env: g / (x * _LN2))
differentiable_vjp(log10, lambda g, x, o, env: g / (x * _LN10))
differentiable_vjp(exp2, lambda g, x, o, env: g * o * _LN2)
differentiable_vjp(rsqrt, lambda g, x, o, env: -0.5 * g * o * o * o)
differentiable_vjp(erf, lambda g, x, o, env: g * _TWO_OVER_SQRT_PI * exp(-x * x))
differentiable_vjp(sign, lambda g, x, o, env: g * 0.0)
differentiable_vjp(logaddexp, (lambda g, a, b, o: g * exp(a - o),
                               lambda g, a, b, o: g * exp(b - o)))
differentiable_vjp(erfc, lambda g, x, o, env: -g * _TWO_OVER_SQRT_PI * exp(-x * x))
differentiable_vjp(erfinv, lambda g, x, o, env: g / _TWO_OVER_SQRT_PI * exp(o * o))
differentiable_vjp(logaddexp2, (lambda g, a, b, o: g * exp((a - o) * _LN2),
                                lambda g, a, b, o: g * exp((b - o) * _LN2)))
differentiable_vjp(cbrt, lambda g, x, o, env: g / (3.0 * o * o))
differentiable_vjp(fabs, lambda g, x, o, env: g * sign(x))
differentiable_vjp(deg2rad, lambda g, x, o, env: g * _DEGREE)
differentiable_vjp(rad2deg, lambda g, x, o, env: g / _DEGREE)
for _identity in (copy, real, conj):
    differentiable_vjp(_identity, lambda g, x, o, env: g)
differentiable_vjp(nan_to_num, lambda g, x, o, env: g * _mask(
    current().xp.isfinite(value_of(x)), g))
differentiable_vjp(ldexp, lambda g, x, o, env: g * Tensor(
    env["scale"](current().xp, value_of(x))))
differentiable_vjp(arctan2, (lambda g, a, b, o: g * b / (a * a + b * b),
                             lambda g, a, b, o: -g * a / (a * a + b * b)))


def _nonzero(t):
    """`t` with its zero entries replaced by 1 (a constant there)."""
    return where(value_of(t) == 0.0, 1.0, t)


differentiable_vjp(hypot, (lambda g, a, b, o: g * a / _nonzero(o),
                           lambda g, a, b, o: g * b / _nonzero(o)))


def _where_nonzero(b, value):
    return where(value_of(b) == 0.0, 0.0, value)


differentiable_vjp(divide_no_nan, (
    lambda g, a, b, o: _where_nonzero(b, g / _nonzero(b)),
    lambda g, a, b, o: _where_nonzero(b, -g * o / _nonzero(b))))
differentiable_vjp(heaviside, (lambda g, a, b, o: g * 0.0,
                               lambda g, a, b, o: g * _mask(value_of(a) == 0.0, g)))


def _truncated_quotient(a, b):
    xp = current().xp
    return Tensor(xp.trunc(value_of(a) / value_of(b)))


differentiable_vjp(fmod, (lambda g, a, b, o: g, lambda g, a, b, o: -g * _truncated_quotient(a, b)))


def _chose_first(a, b, o):
    """Where `fmax` / `fmin` took the first operand: the output is it (ties go to it), or
    the second is NaN."""
    xp = current().xp
    return (value_of(o) == value_of(a)) | xp.isnan(value_of(b))


differentiable_vjp(_nan_ignoring, (lambda g, a, b, o: g * _mask(_chose_first(a, b, o), g),
                                   lambda g, a, b, o: g * _mask(~_chose_first(a, b, o), g)))


@differentiable_vjp(sinc)
def _sinc_rule(g, x, o, env):
    """`(cos(pi x) - sinc(x)) / x`, and at 0 its Taylor term `-pi^2 x / 3` (0 there, with
    the right slope for the next derivative)."""
    at_zero = value_of(x) == 0.0
    safe = where(at_zero, 1.0, x)
    return g * where(at_zero, -(math.pi ** 2 / 3.0) * x, (cos(math.pi * safe) - o) / safe)


differentiable_vjp(i0, lambda g, x, o, env: g * _i1(x))


@differentiable_vjp(_i1)
def _i1_rule(g, x, o, env):
    """`I0(x) - I1(x) / x`, and at 0 its limit 1/2 (a constant: I1'' is odd, 0 there)."""
    at_zero = value_of(x) == 0.0
    return g * where(at_zero, 0.5, i0(x) - o / where(at_zero, 1.0, x))
