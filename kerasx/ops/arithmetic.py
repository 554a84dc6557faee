"""More elementwise arithmetic: `fmod`, `trunc`, `nan_to_num`, `copy`."""

from kerasx.ops._helpers import (Tensor, bfloat16_as_float32, current, namespace,
                                 operand_and_value, operand_value, tracked, value_of)
from kerasx.ops.math import _binary, _unary, integer_promoted


def _is_float(v):
    dtype = getattr(v, "dtype", None)
    return dtype is not None and current().isdtype(dtype, "real floating")


def fmod(x1, x2):
    """The remainder of `x1 / x2` rounded toward zero (it takes the sign of `x1`, where
    `mod` takes the sign of `x2`), as `numpy.fmod`."""

    def forward(xp, a, b):
        if _is_float(a) or _is_float(b):
            a, b = bfloat16_as_float32(a, b)
            return a - xp.trunc(a / b) * b
        r = a % b  # an integer remainder with the sign of b; moved to the sign of a
        return xp.where((r != 0) & ((r < 0) != (a < 0)), r - b, r)

    if not tracked(x1, x2):  # two booleans: int32, as Keras
        x1, x2 = integer_promoted(value_of(x1), value_of(x2))
    return _binary(x1, x2, forward, lambda xp, g, a, b, o: g,
                   lambda xp, g, a, b, o: -g * xp.trunc(a / b))


def trunc(x):
    """Rounds toward zero; integers are returned as they are."""
    xv = operand_value(x)
    return Tensor(namespace().trunc(xv) if _is_float(xv) else xv)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN as `nan`, +inf as `posinf` and -inf as `neginf` (by default the largest and
    the lowest finite value of the dtype). The gradient flows where `x` is finite."""
    x, xv = operand_and_value(x)
    if not _is_float(xv):
        return Tensor(xv) if not isinstance(x, Tensor) else x
    info = current().finfo(xv.dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf

    def forward(xp, v):
        out = xp.where(xp.isnan(v), nan, v)
        return xp.where(v == float("inf"), high, xp.where(v == float("-inf"), low, out))

    return _unary(x, forward, lambda xp, g, v, o: xp.where(xp.isfinite(v), g, 0.0))


def copy(x):
    """A new tensor with the values of `x`; gradients pass through."""
    return _unary(x, lambda xp, v: xp.asarray(v, copy=True), lambda xp, g, v, o: g)
