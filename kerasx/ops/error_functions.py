"""The complementary and inverse error functions `erfc` and `erfinv`, to float64
accuracy, with exact gradients.

Both are computed in float64 whatever the input's float type (the result is cast
back): `erfc` from a power series of erf for `|x| < 1.5` and a continued fraction
beyond, `erfinv` from an approximation refined by Newton steps on `erf` (or on
`erfc` near +-1, where `1 - |y|` holds the precision). An integer input gives
`floatx`.
"""

import math

from kerasx.ops._helpers import current
from kerasx.ops.math import _unary

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SERIES_TERMS = 40
_FRACTION_TERMS = 100
_SWITCH = 1.5


def _erf_series(xp, x):
    """erf by its Maclaurin series; accurate to rounding for |x| < 1.5."""
    x2 = x * x
    term = x
    total = x
    for n in range(1, _SERIES_TERMS):
        term = -term * x2 / n
        total = total + term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_fraction(xp, x):
    """erfc for x >= 1.5 by its continued fraction, evaluated from the tail."""
    tail = x
    for k in range(_FRACTION_TERMS, 0, -1):
        tail = x + (k / 2.0) / tail
    return xp.exp(-x * x) / (math.sqrt(math.pi) * tail)


def erfc64(xp, x):
    """erfc of a float64 array to about 1e-15 relative accuracy."""
    a = xp.abs(x)
    near = xp.where(a < _SWITCH, a, 0.0)
    far = xp.where(a < _SWITCH, _SWITCH, a)
    upper = xp.where(a < _SWITCH, 1.0 - _erf_series(xp, near), _erfc_fraction(xp, far))
    out = xp.where(x < 0.0, 2.0 - upper, upper)
    return xp.where(xp.isnan(x), x, out)


def erf64(xp, x):
    """erf of a float64 array, accurate near 0 (the series) and in the tails."""
    a = xp.abs(x)
    near = xp.where(a < _SWITCH, x, 0.0)
    far = 1.0 - _erfc_fraction(xp, xp.where(a < _SWITCH, _SWITCH, a))
    return xp.where(a < _SWITCH, _erf_series(xp, near), xp.where(x < 0.0, -far, far))


def _in_float64(fn):
    def forward(xp, v):
        wide = xp.astype(v, current().dtype("float64"))
        return xp.astype(fn(xp, wide), v.dtype)

    return forward


def erfc(x):
    """The complementary error function `1 - erf(x)`, accurate also where it is tiny."""
    return _unary(x, _in_float64(erfc64),
                  lambda xp, g, v, o: -g * _TWO_OVER_SQRT_PI * xp.exp(-v * v), floating=True)


def _erfinv64(xp, y):
    a = xp.abs(y)
    inside = a < 1.0
    safe = xp.where(inside, a, 0.5)
    # Winitzki's closed form (relative error below 2e-3) as the starting point
    k = 0.147
    log_term = xp.log((1.0 - safe) * (1.0 + safe))
    first = 2.0 / (math.pi * k) + log_term / 2.0
    z = xp.sqrt(xp.sqrt(first * first - log_term / k) - first)
    tail = safe > 0.5
    rest = 1.0 - safe  # exact for safe >= 0.5
    for _ in range(4):
        residual = xp.where(tail, rest - erfc64(xp, z), erf64(xp, z) - safe)
        step = residual / (_TWO_OVER_SQRT_PI * xp.exp(-z * z))
        # Halley's correction: erf'' = -2 z erf'
        z = z - step / (1.0 + z * step)
    out = xp.where(inside, z, xp.where(a == 1.0, float("inf"), xp.full_like(a, float("nan"))))
    out = xp.where(y < 0.0, -out, out)
    return xp.where(xp.isnan(y), y, out)


def erfinv(x):
    """The inverse error function on [-1, 1] (+-inf at +-1, NaN outside); its gradient
    `sqrt(pi) / 2 * exp(erfinv(x) ** 2)` is exact."""
    return _unary(x, _in_float64(_erfinv64),
                  lambda xp, g, v, o: g / _TWO_OVER_SQRT_PI * xp.exp(o * o), floating=True)
