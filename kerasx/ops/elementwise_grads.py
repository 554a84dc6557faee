"""Differentiable VJPs of the trigonometric, hyperbolic and base-2/10 exponential
and logarithm ops, `erf`, `logaddexp` and `sign`, for gradients of gradients
(`kerasx.autodiff.higher_order`). Rules are `rule(g, x, o, env)` (one input) or
pairs of `rule(g, a, b, o)` (two), on Tensors, as in `kerasx.ops.math`."""

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops.exp_log import (_LN2, _LN10, _TWO_OVER_SQRT_PI, erf, exp2, log2, log10, logaddexp,
                               rsqrt)
from kerasx.ops.math import exp, sign, sqrt
from kerasx.ops.trigonometry import (arccos, arccosh, arcsin, arcsinh, arctan, arctanh, cosh, sinh,
                                     tan)

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
