"""The modified Bessel function of the first kind of order 0, `i0`, to float64
accuracy, with its exact gradient `I1` (the op `_i1`, recorded where a gradient of a
gradient differentiates it, with its own gradient `I0 - I1 / x`).

Computed in float64 whatever the input's float type: the power series below
|x| = 20 (all terms positive, so no cancellation) and the asymptotic expansion
beyond. An integer input gives `floatx`.
"""

import math

from kerasx.ops._helpers import current
from kerasx.ops.math import _unary

_SWITCH = 20.0
_SERIES_TERMS = 70
_ASYMPTOTIC_TERMS = 30


def _series(xp, x, order):
    """`I_order(x)` (order 0 or 1) by its power series in `(x / 2) ** 2`."""
    quarter = x * x / 4.0
    term = x / 2.0 if order else xp.ones_like(x)
    total = term
    for k in range(1, _SERIES_TERMS):
        term = term * quarter / (k * (k + order))
        total = total + term
    return total


def _asymptotic(xp, x, order):
    """`I_order(x)` for large positive `x` by Hankel's asymptotic expansion."""
    mu = 4.0 * order * order
    term = xp.ones_like(x)
    total = term
    for k in range(1, _ASYMPTOTIC_TERMS):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        total = total + term
    return xp.exp(x) / xp.sqrt(2.0 * math.pi * x) * total


def bessel_i64(xp, x, order):
    """`I_order(x)` of a float64 array, order 0 (even) or 1 (odd)."""
    a = xp.abs(x)
    near = _series(xp, xp.where(a < _SWITCH, a, 0.0), order)
    inside = (a < _SWITCH) | xp.isinf(a)
    far = _asymptotic(xp, xp.where(inside, _SWITCH, a), order)
    out = xp.where(a < _SWITCH, near, xp.where(xp.isinf(a), a, far))
    if order:
        out = xp.where(x < 0.0, -out, out)
    return xp.where(xp.isnan(x), x, out)


def _in_float64(order):
    def forward(xp, v):
        wide = xp.astype(v, current().dtype("float64"))
        return xp.astype(bessel_i64(xp, wide, order), v.dtype)

    return forward


def i0(x):
    """The modified Bessel function of the first kind of order 0; its gradient is `I1`."""
    one = _in_float64(1)
    return _unary(x, _in_float64(0), lambda xp, g, v, o: g * one(xp, v), floating=True)


def _i1_slope(xp, v):
    """`I1'(v) = I0(v) - I1(v) / v`, and its limit 1/2 at 0, computed in float64."""
    wide = xp.astype(v, current().dtype("float64"))
    at_zero = wide == 0.0
    ratio = bessel_i64(xp, wide, 1) / xp.where(at_zero, 1.0, wide)
    slope = xp.where(at_zero, 0.5, bessel_i64(xp, wide, 0) - ratio)
    return xp.astype(slope, v.dtype)


def _i1(x):
    """The modified Bessel function of the first kind of order 1, the gradient of `i0`."""
    return _unary(x, _in_float64(1), lambda xp, g, v, o: g * _i1_slope(xp, v), floating=True)
