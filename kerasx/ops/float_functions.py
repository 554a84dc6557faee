"""Elementwise float functions beyond the basics: `cbrt`, `fabs`, `deg2rad`, `rad2deg`,
`sinc`, `heaviside`, `logaddexp2`, `ldexp`, `divide_no_nan`, `nextafter`.

An integer or boolean input is read as `floatx`, as Keras does; a float input keeps
its dtype.
"""

import math

from kerasx.config import floatx
from kerasx.ops._helpers import Tensor, as_float_operand, current, keras_promoted, value_of
from kerasx.ops.math import _binary, _unary
from kerasx.ops.trigonometry import float_operands

_DEGREE = math.pi / 180.0


def _both_arrays(x1, x2):
    """`(x1, x2)` with a Python number made an array of the other operand's dtype
    (`floatx` when both are numbers), for rules that select with `where`."""
    backend = current()
    v1, v2 = value_of(x1), value_of(x2)
    like = v1 if hasattr(v1, "dtype") else v2 if hasattr(v2, "dtype") else None
    dtype = like.dtype if like is not None else floatx()
    x1, x2 = tuple(x if hasattr(v, "dtype") else backend.asarray(v, dtype=dtype)
                   for x, v in ((x1, v1), (x2, v2)))
    return _integers_as_the_float(x1, x2)


def _integers_as_the_float(x1, x2):
    """`(x1, x2)` with an integer or boolean array meeting a float array cast to that
    float type, as Keras promotes them: rules that select against Python floats would
    otherwise widen a boolean operand to float64."""
    backend = current()
    v1, v2 = value_of(x1), value_of(x2)
    f1 = backend.isdtype(v1.dtype, "real floating")
    f2 = backend.isdtype(v2.dtype, "real floating")
    if f1 and not f2:
        x2 = Tensor(backend.xp.astype(v2, v1.dtype))
    elif f2 and not f1:
        x1 = Tensor(backend.xp.astype(v1, v2.dtype))
    return x1, x2


def cbrt(x):
    """The real cube root (negative for negative inputs), refined by one Newton step
    so it is exact to rounding; its gradient `1 / (3 cbrt(x) ** 2)` is infinite at 0."""

    def forward(xp, v):
        a = xp.abs(v)
        y = a ** (1.0 / 3.0)
        edge = (y == 0.0) | xp.isinf(y)
        safe, a = xp.where(edge, 1.0, y), xp.where(edge, 1.0, a)
        y = xp.where(edge, y, safe - (safe - a / (safe * safe)) / 3.0)
        return xp.where(v < 0.0, -y, y)

    return _unary(x, forward, lambda xp, g, v, o: g / (3.0 * o * o), floating=True)


def fabs(x):
    """The absolute value as a float (integers give `floatx`)."""
    return _unary(x, lambda xp, v: xp.abs(v), lambda xp, g, v, o: g * xp.sign(v), floating=True)


def deg2rad(x):
    """Degrees to radians."""
    return _unary(x, lambda xp, v: v * _DEGREE, lambda xp, g, v, o: g * _DEGREE, floating=True)


def rad2deg(x):
    """Radians to degrees."""
    return _unary(x, lambda xp, v: v / _DEGREE, lambda xp, g, v, o: g / _DEGREE, floating=True)


def sinc(x):
    """The normalized sinc `sin(pi x) / (pi x)`, 1 at 0."""

    def forward(xp, v):
        t = math.pi * xp.where(v == 0.0, 1.0, v)
        return xp.where(v == 0.0, 1.0, xp.sin(t) / t)

    def grad(xp, g, v, o):
        safe = xp.where(v == 0.0, 1.0, v)
        return g * xp.where(v == 0.0, 0.0, (xp.cos(math.pi * safe) - o) / safe)

    return _unary(x, forward, grad, floating=True)


def heaviside(x1, x2):
    """The step function: 0 where `x1 < 0`, `x2` where `x1 == 0`, 1 where `x1 > 0`
    (NaN where `x1` is NaN). Two boolean inputs give a boolean. The gradient reaches
    `x2` where `x1 == 0` and never `x1`."""
    xp = current().xp
    v1, v2 = value_of(x1), value_of(x2)
    if getattr(v1, "dtype", None) == xp.bool and getattr(v2, "dtype", None) == xp.bool:
        return Tensor(v1 | v2)
    x1, x2 = _both_arrays(*float_operands(x1, x2))

    def forward(xp, a, b):
        step = xp.where(a > 0.0, 1.0, xp.where(a < 0.0, 0.0, b))
        return xp.where(xp.isnan(a), a, step)

    return _binary(x1, x2, forward, lambda xp, g, a, b, o: xp.zeros_like(g),
                   lambda xp, g, a, b, o: xp.where(a == 0.0, g, 0.0))


def logaddexp2(x1, x2):
    """`log2(2 ** x1 + 2 ** x2)` without overflow."""
    x1, x2 = float_operands(x1, x2)

    def forward(xp, a, b):
        high = xp.maximum(a, b)
        low = xp.minimum(a, b)
        # an infinite `high` would make `low - high` NaN for equal infinities
        gap = xp.where(high == low, 0.0, low - xp.where(xp.isinf(high), 0.0, high))
        return high + xp.log1p(xp.exp(gap * math.log(2.0))) / math.log(2.0)

    return _binary(x1, x2, forward,
                   lambda xp, g, a, b, o: g * xp.exp((a - o) * math.log(2.0)),
                   lambda xp, g, a, b, o: g * xp.exp((b - o) * math.log(2.0)))


def ldexp(x1, x2):
    """`x1 * 2 ** x2` for an integer `x2`; integer `x1` gives `floatx`."""
    backend = current()
    v2 = value_of(x2)
    if isinstance(v2, bool) or not isinstance(v2, int):
        v2 = v2 if backend.is_native(v2) else backend.asarray(v2)
        if not backend.isdtype(v2.dtype, "integral"):
            raise TypeError(f"ldexp: the exponent x2 must be of an integer type, received "
                            f"{v2.dtype}. Cast it to an integer dtype (or round it) first.")
    if not getattr(x1, "tracked", False):
        v1 = value_of(x1)
        x1 = as_float_operand(v1 if hasattr(v1, "dtype") else
                              backend.asarray(v1, dtype=floatx()))

    def scale(xp, v):
        exponent = xp.astype(v2, v.dtype) if hasattr(v2, "dtype") else float(v2)
        return xp.pow(xp.asarray(2.0, dtype=v.dtype, device=backend.device), exponent)

    return _unary(x1, lambda xp, v: v * scale(xp, v), lambda xp, g, v, o: g * scale(xp, v))


def divide_no_nan(x1, x2):
    """`x1 / x2`, and 0 where `x2 == 0` (with a 0 gradient there); integers give
    `floatx`."""
    x1, x2 = _both_arrays(*float_operands(x1, x2))

    def safe(xp, b):
        return xp.where(b == 0.0, 1.0, b)

    return _binary(x1, x2, lambda xp, a, b: xp.where(b == 0.0, 0.0, a / safe(xp, b)),
                   lambda xp, g, a, b, o: xp.where(b == 0.0, 0.0, g / safe(xp, b)),
                   lambda xp, g, a, b, o: xp.where(b == 0.0, 0.0, -g * o / safe(xp, b)))


def nextafter(x1, x2):
    """The next representable float after `x1` toward `x2`; integers give `floatx`."""
    xp = current().xp
    x1, x2 = float_operands(x1, x2)
    a, b = value_of(x1), value_of(x2)
    if not hasattr(a, "dtype") or not hasattr(b, "dtype"):
        like = a if hasattr(a, "dtype") else b if hasattr(b, "dtype") else None
        dtype = like.dtype if like is not None else floatx()
        a, b = (v if hasattr(v, "dtype") else current().asarray(v, dtype=dtype) for v in (a, b))
    if a.dtype != b.dtype:
        a, b = keras_promoted(a, b)
        common = xp.result_type(a, b)
        a, b = xp.astype(a, common), xp.astype(b, common)
    return Tensor(xp.nextafter(a, b))
