"""Trigonometric and hyperbolic functions, `arctan2` and `hypot`, with VJP rules.

An integer or boolean input is read as `floatx`, as Keras does.
"""

from kerasx.ops._helpers import as_float_operand, value_of
from kerasx.ops.math import _binary, _unary


def tan(x):
    return _unary(x, lambda xp, v: xp.tan(v), lambda xp, g, v, o: g * (1.0 + o * o),
                  floating=True)


def arcsin(x):
    return _unary(x, lambda xp, v: xp.asin(v), lambda xp, g, v, o: g / xp.sqrt(1.0 - v * v),
                  floating=True)


def arccos(x):
    return _unary(x, lambda xp, v: xp.acos(v), lambda xp, g, v, o: -g / xp.sqrt(1.0 - v * v),
                  floating=True)


def arctan(x):
    return _unary(x, lambda xp, v: xp.atan(v), lambda xp, g, v, o: g / (1.0 + v * v),
                  floating=True)


def sinh(x):
    return _unary(x, lambda xp, v: xp.sinh(v), lambda xp, g, v, o: g * xp.cosh(v),
                  floating=True)


def cosh(x):
    return _unary(x, lambda xp, v: xp.cosh(v), lambda xp, g, v, o: g * xp.sinh(v),
                  floating=True)


def arcsinh(x):
    return _unary(x, lambda xp, v: xp.asinh(v), lambda xp, g, v, o: g / xp.sqrt(v * v + 1.0),
                  floating=True)


def arccosh(x):
    return _unary(x, lambda xp, v: xp.acosh(v), lambda xp, g, v, o: g / xp.sqrt(v * v - 1.0),
                  floating=True)


def arctanh(x):
    return _unary(x, lambda xp, v: xp.atanh(v), lambda xp, g, v, o: g / (1.0 - v * v),
                  floating=True)


def float_operands(x1, x2):
    """`(x1, x2)` for a float function of two operands: integer arrays as `floatx`
    unless the other operand is a float array, whose type `keras_promoted` gives them."""
    from kerasx.backends import current

    v1, v2 = value_of(x1), value_of(x2)
    backend = current()

    def is_float(v):
        dtype = getattr(v, "dtype", None)
        return dtype is not None and backend.isdtype(dtype, "real floating")

    if is_float(v1) or is_float(v2):
        return x1, x2
    return as_float_operand(v1), as_float_operand(v2)


def arctan2(x1, x2):
    """The angle of the point `(x2, x1)`, in [-pi, pi]."""
    x1, x2 = float_operands(x1, x2)

    def grad_1(xp, g, a, b, o):
        return g * b / (a * a + b * b)

    def grad_2(xp, g, a, b, o):
        return -g * a / (a * a + b * b)

    return _binary(x1, x2, lambda xp, a, b: xp.atan2(a, b), grad_1, grad_2)


def hypot(x1, x2):
    """`sqrt(x1 ** 2 + x2 ** 2)` without overflow; its gradient at the origin is 0."""
    x1, x2 = float_operands(x1, x2)

    def share(xp, g, v, o):
        return g * v / xp.where(o == 0.0, 1.0, o)

    return _binary(x1, x2, lambda xp, a, b: xp.hypot(a, b),
                   lambda xp, g, a, b, o: share(xp, g, a, o),
                   lambda xp, g, a, b, o: share(xp, g, b, o))
