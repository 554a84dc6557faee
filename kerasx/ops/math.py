"""Elementwise arithmetic with VJP rules beside each forward."""

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.ops._helpers import (Tensor, TensorOps, as_float_operand, bool_as_number, current,
                                 keras_promoted, namespace, operand_value, python_number_of,
                                 record, shape_of, tracked, value_of)


def _binary(a, b, forward, vjp_a, vjp_b):
    """Runs a broadcasting binary op; vjp_* map (xp, g, av, bv, out) to the input grad.
    Operands of different types follow Keras's promotion (`keras_promoted`)."""
    xp = namespace()
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        a, b = _sequence_as_tensor(a), _sequence_as_tensor(b)
    if not isinstance(a, TensorOps):
        a = python_number_of(a)
    if not isinstance(b, TensorOps):
        b = python_number_of(b)
    a, b = numbers_as_tensors(a, b)
    av, bv = value_of(a), value_of(b)
    if getattr(av, "dtype", None) is not getattr(bv, "dtype", None):
        av, bv = keras_promoted(bool_as_number(av, bv), bool_as_number(bv, av))
    out = forward(xp, av, bv)
    if not tracked(a, b):
        return Tensor(out)
    sa, sb = shape_of(av), shape_of(bv)
    ta, tb = getattr(a, "tracked", False), getattr(b, "tracked", False)

    def vjp(g):
        ga = unbroadcast(xp, vjp_a(xp, g, av, bv, out), sa) if ta else None
        gb = unbroadcast(xp, vjp_b(xp, g, av, bv, out), sb) if tb else None
        return ga, gb

    return record(out, (a, b), vjp)


def _sequence_as_tensor(x):
    """A Python list or tuple as Keras reads it (floats as `floatx`, integers as int32):
    `rewards + gamma * q` with a list of rewards stays float32, where NumPy would make it
    float64."""
    from kerasx.ops.shape import convert_to_tensor

    return convert_to_tensor(x) if isinstance(x, (list, tuple)) else x


_PYTHON_OPERANDS = (list, tuple, bool, int, float, complex)

_NUMBERS = (bool, int, float, complex)


def numbers_as_tensors(a, b):
    """Two Python numbers given to a two-operand op as the tensors Keras makes of them
    (`ops.add(1.5, 1.5)` is float32, `ops.mod(7, 2)` int32; a bool beside another
    number counts as the int it is); anything else as it is."""
    if type(a) not in _NUMBERS or type(b) not in _NUMBERS:
        return a, b
    if (type(a) is bool) != (type(b) is bool):
        a, b = int(a), int(b)
    return _python_as_tensor(a), _python_as_tensor(b)


def _python_as_tensor(x):
    """A Python list, tuple or number given to a one-operand op, as Keras reads it:
    `ops.sin(1.0)` is float32, `ops.square(3)` int32 (a NumPy scalar keeps its type)."""
    from kerasx.ops.shape import convert_to_tensor

    return convert_to_tensor(x) if type(x) in _PYTHON_OPERANDS else x


def _unary(x, forward, grad, floating=False):
    """Runs an elementwise op; `grad(xp, g, xv, out)` is its VJP. A `floating` op (a
    float function: square root, exponential, logarithm...) reads an integer input as
    `floatx`, as Keras does. A Python list, tuple or number is read as Keras reads it."""
    xp = namespace()
    x = _python_as_tensor(x)
    xv = value_of(x)
    if floating:
        xv = as_float_operand(xv)
    out = forward(xp, xv)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (grad(xp, g, xv, out),))


def _bools_as_int32(x):
    xv = operand_value(x)
    if getattr(xv, "dtype", None) == namespace().bool:
        return Tensor(namespace().astype(xv, namespace().int32))
    return x


def _unary_keeping(x, forward, grad):
    """`_unary` for an op whose forward also makes an array its VJP reuses:
    `forward(xp, xv) -> (out, kept)` and `grad(xp, g, xv, out, kept)`. The tape holds
    `kept` only while it holds the node."""
    xp = namespace()
    x = _python_as_tensor(x)
    xv = value_of(x)
    out, kept = forward(xp, xv)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (grad(xp, g, xv, out, kept),))


def add(x1, x2):
    return _binary(x1, x2, lambda xp, x, y: x + y, lambda xp, g, *_: g, lambda xp, g, *_: g)


def subtract(x1, x2):
    return _binary(x1, x2, lambda xp, x, y: x - y, lambda xp, g, *_: g, lambda xp, g, *_: -g)


def multiply(x1, x2):
    return _binary(x1, x2, lambda xp, x, y: x * y,
                   lambda xp, g, x, y, o: g * y, lambda xp, g, x, y, o: g * x)


def divide(x1, x2):
    """`x1 / x2`; two integer operands divide as `floatx`, as in Keras (NumPy: float64)."""
    from kerasx.ops.trigonometry import float_operands

    x1, x2 = float_operands(x1, x2)
    return _binary(x1, x2, lambda xp, x, y: x / y,
                   lambda xp, g, x, y, o: g / y, lambda xp, g, x, y, o: -g * o / y)


def power(x1, x2):
    """`x1 ** x2`. A small whole exponent given as a Python number (|x2| <= 4) is a
    chain of products on floats, as JAX's integer power: the C library's `powf`
    runs elementwise, and takes a slow path for negative bases (a cube of 1M
    normal float32 values: 63 ms against 0.2 ms)."""
    if not tracked(x1, x2):  # two booleans: int32, as Keras
        x1, x2 = integer_promoted(value_of(x1), value_of(x2))
    n = _small_whole(x2)
    av = value_of(x1)
    if n is not None and hasattr(av, "dtype") and current().isdtype(av.dtype, "real floating"):
        return _unary(x1, lambda xp, v: _whole_power(v, n),
                      lambda xp, g, v, o: g * (float(n) * _whole_power(v, n - 1))
                      if n != 1 else g)

    def grad_b(xp, g, x, y, o):
        if not hasattr(x, "shape"):  # a Python number as the base (`2.0 ** x`)
            import math as _math

            return g * o * (_math.log(x) if x > 0 else 0.0)
        safe = xp.where(x > 0, x, 1.0)
        return g * o * xp.log(safe)

    return _binary(x1, x2, lambda xp, x, y: x ** y,
                   lambda xp, g, x, y, o: g * y * x ** (y - 1), grad_b)


def _small_whole(b):
    """`b` as an int when it is a Python number equal to a whole number in [-4, 4]
    other than 0, else None."""
    if isinstance(b, bool) or not isinstance(b, (int, float)):
        return None
    # bounds by comparison: this module's `abs` is the op, not the builtin
    if b != b or b in (float("inf"), float("-inf")) or b != int(b) or not -4 <= b <= 4 or b == 0:
        return None
    return int(b)


def _whole_power(v, n):
    """`v ** n` for a whole `n` other than 0 as products (and one division for n < 0)."""
    m = n if n > 0 else -n
    out = v
    for _ in range(m - 1):
        out = out * v
    return 1.0 / out if n < 0 else out


def maximum(x1, x2):
    return _binary(x1, x2, lambda xp, x, y: xp.maximum(x, y),
                   lambda xp, g, x, y, o: xp.where(x >= y, g, 0.0),
                   lambda xp, g, x, y, o: xp.where(x >= y, 0.0, g))


def minimum(x1, x2):
    return _binary(x1, x2, lambda xp, x, y: xp.minimum(x, y),
                   lambda xp, g, x, y, o: xp.where(x <= y, g, 0.0),
                   lambda xp, g, x, y, o: xp.where(x <= y, 0.0, g))


def negative(x):
    return _unary(x, lambda xp, v: -v, lambda xp, g, v, o: -g)


def square(x):
    """`x * x`; booleans give int32, as in Keras."""
    x = _bools_as_int32(x)
    return _unary(x, lambda xp, v: v * v, lambda xp, g, v, o: 2.0 * g * v)


def sqrt(x):
    return _unary(x, lambda xp, v: xp.sqrt(v), lambda xp, g, v, o: 0.5 * g / o,
                  floating=True)


def exp(x):
    return _unary(x, lambda xp, v: xp.exp(v), lambda xp, g, v, o: g * o,
                  floating=True)


def expm1(x):
    return _unary(x, lambda xp, v: xp.expm1(v), lambda xp, g, v, o: g * (o + 1.0),
                  floating=True)


def log(x):
    return _unary(x, lambda xp, v: xp.log(v), lambda xp, g, v, o: g / v,
                  floating=True)


def log1p(x):
    return _unary(x, lambda xp, v: xp.log1p(v), lambda xp, g, v, o: g / (v + 1.0),
                  floating=True)


def abs(x):
    return _unary(x, lambda xp, v: xp.abs(v), lambda xp, g, v, o: g * xp.sign(v))


def sign(x):
    return _unary(x, lambda xp, v: xp.sign(v), lambda xp, g, v, o: xp.zeros_like(g))


def sin(x):
    return _unary(x, lambda xp, v: xp.sin(v), lambda xp, g, v, o: g * xp.cos(v),
                  floating=True)


def cos(x):
    return _unary(x, lambda xp, v: xp.cos(v), lambda xp, g, v, o: -g * xp.sin(v),
                  floating=True)


def reciprocal(x):
    return _unary(x, lambda xp, v: 1.0 / v, lambda xp, g, v, o: -g * o * o,
                  floating=True)


def clip(x, x_min, x_max):
    """Clips to [x_min, x_max]; the gradient passes only inside the interval. Booleans
    are clipped as int32, as in Keras."""
    xp = namespace()
    v = value_of(x)
    if getattr(v, "dtype", None) == xp.bool:
        x = Tensor(xp.astype(v, xp.int32))
    return _unary(x, lambda xp, v: xp.clip(v, x_min, x_max),
                  lambda xp, g, v, o: xp.where((v >= x_min) & (v <= x_max), g, 0.0))


def where(condition, x1=None, x2=None):
    """Elementwise `x1 if condition else x2`; gradients flow to the chosen side. Without
    `x1` and `x2`, the indices of the nonzero entries of `condition` (`nonzero`)."""
    if x1 is None and x2 is None:
        from kerasx.ops.indexing import nonzero

        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` either both should be `None` or both should "
                         "have non-None value: pass both (the values where `condition` holds "
                         "and where it does not), or neither for the indices of its nonzero "
                         f"entries; received x1={x1!r} and x2={x2!r}.")
    xp = namespace()
    c, a, b = value_of(condition), value_of(x1), value_of(x2)
    if not hasattr(a, "shape") and not hasattr(b, "shape"):
        # two Python numbers: Keras's type (`where(m, 1.0, 0)` is floatx, not float64)
        from kerasx.utils.dtype_promotion import result_type

        backend = current()
        dtype = result_type(type(a), type(b))
        a, b = backend.asarray(a, dtype=dtype), backend.asarray(b, dtype=dtype)
    if getattr(a, "dtype", None) is not getattr(b, "dtype", None):
        a, b = keras_promoted(a, b)
    out = xp.where(c, a, b)
    if not tracked(x1, x2):
        return Tensor(out)
    sa, sb = shape_of(a), shape_of(b)
    ta, tb = getattr(x1, "tracked", False), getattr(x2, "tracked", False)

    def vjp(g):
        ga = unbroadcast(xp, xp.where(c, g, 0.0), sa) if ta else None
        gb = unbroadcast(xp, xp.where(c, 0.0, g), sb) if tb else None
        return None, ga, gb

    return record(out, (condition, x1, x2), vjp)


def _compare(fn):
    def op(x1, x2):
        a, b = (value_of(x) for x in numbers_as_tensors(x1, x2))
        da, db = getattr(a, "dtype", None), getattr(b, "dtype", None)
        if da is not None and db is not None and da != db:
            # arrays of two types compare in their common type, as in Keras (the array
            # API compares no float with an integer)
            a, b = keras_promoted(a, b)
        return Tensor(fn(a, b))

    op.__name__ = fn.__name__
    return op


def _equal(a, b):
    return a == b


def _not_equal(a, b):
    return a != b


def _greater(a, b):
    return a > b


def _greater_equal(a, b):
    return a >= b


def _less(a, b):
    return a < b


def _less_equal(a, b):
    return a <= b


equal = _compare(_equal)
not_equal = _compare(_not_equal)
greater = _compare(_greater)
greater_equal = _compare(_greater_equal)
less = _compare(_less)
less_equal = _compare(_less_equal)


def logical_and(x1, x2):
    from kerasx.ops.comparison import truth_values

    return Tensor(namespace().logical_and(truth_values(x1), truth_values(x2)))


def logical_or(x1, x2):
    from kerasx.ops.comparison import truth_values

    return Tensor(namespace().logical_or(truth_values(x1), truth_values(x2)))


def logical_not(x):
    from kerasx.ops.comparison import truth_values

    return Tensor(namespace().logical_not(truth_values(x)))


def floor(x):
    """Rounds down; integers and booleans give `floatx`, as in Keras."""
    return Tensor(namespace().floor(as_float_operand(value_of(x))))


def ceil(x):
    """Rounds up; integers and booleans give `floatx`, as in Keras."""
    return Tensor(namespace().ceil(as_float_operand(value_of(x))))


def round(x, decimals=0):
    """Rounds half to even to `decimals` places (negative: to tens, hundreds, ...), as
    `numpy.round`."""
    backend = current()
    xp = backend.xp
    xv = operand_value(x)
    if not decimals:
        return Tensor(xp.round(xv))
    integral = backend.isdtype(xv.dtype, "integral")
    if integral and decimals > 0:
        return Tensor(xv)
    scale = 10.0 ** (decimals if decimals > 0 else -decimals)  # `abs` here is the op
    values = xp.astype(xv, backend.dtype("float64")) if integral else xv
    out = xp.round(values * scale) / scale if decimals > 0 else xp.round(values / scale) * scale
    return Tensor(xp.astype(out, xv.dtype) if integral else out)


def isnan(x):
    return Tensor(namespace().isnan(value_of(x)))


def isfinite(x):
    return Tensor(namespace().isfinite(value_of(x)))


def floor_divide(x1, x2):
    """`x1 // x2` with Keras's promotion (two booleans: int32)."""
    x1, x2 = numbers_as_tensors(x1, x2)
    a, b = integer_promoted(value_of(x1), value_of(x2))
    return Tensor(a // b)


def mod(x1, x2):
    """`x1 % x2` (the sign of `x2`) with Keras's promotion (two booleans: int32)."""
    x1, x2 = numbers_as_tensors(x1, x2)
    a, b = integer_promoted(value_of(x1), value_of(x2))
    return Tensor(a % b)


def integer_promoted(av, bv):
    """`(av, bv)` promoted as Keras does for an integer-valued op: mixed types by
    `keras_promoted`, booleans meeting booleans as int32."""
    xp = namespace()
    da, db = getattr(av, "dtype", None), getattr(bv, "dtype", None)
    if da is not db:
        av, bv = keras_promoted(av, bv)
        da, db = getattr(av, "dtype", None), getattr(bv, "dtype", None)
    a_bool = da == xp.bool if da is not None else type(av) is bool
    b_bool = db == xp.bool if db is not None else type(bv) is bool
    if a_bool and b_bool:
        av = xp.astype(av, xp.int32) if da is not None else int(av)
        bv = xp.astype(bv, xp.int32) if db is not None else int(bv)
    return av, bv


# -- differentiable VJPs: the backward pass recorded for gradients of gradients ----------
# (`kerasx.autodiff.higher_order`; `g`, `x`, `a`, `b`, `o` are tensors or constants)
from kerasx.autodiff.higher_order import (captured, differentiable_vjp,  # noqa: E402
                                          dispatching_vjp, sum_to_shape)


@dispatching_vjp(_unary, lambda env: env["grad"])
def _unary_rule(rule, g, parents, out, env):
    return (rule(g, parents[0], out, captured(env["grad"])),)


@dispatching_vjp(_binary, lambda env: env["vjp_a"])
def _binary_rule(rule, g, parents, out, env):
    rule_a, rule_b = rule if isinstance(rule, tuple) else rule.pair
    a = env["av"] if parents[0] is None else parents[0]
    b = env["bv"] if parents[1] is None else parents[1]
    ga = sum_to_shape(rule_a(g, a, b, out), env["sa"]) if env["ta"] else None
    gb = sum_to_shape(rule_b(g, a, b, out), env["sb"]) if env["tb"] else None
    return ga, gb


def _mask(condition, like):
    """The 0/1 constant of a raw boolean `condition` in the type of the tensor `like`."""
    xp = namespace()
    return Tensor(xp.astype(condition, value_of(like).dtype))


differentiable_vjp(add, (lambda g, a, b, o: g, lambda g, a, b, o: g))
differentiable_vjp(subtract, (lambda g, a, b, o: g, lambda g, a, b, o: -g))
differentiable_vjp(multiply, (lambda g, a, b, o: g * b, lambda g, a, b, o: g * a))
differentiable_vjp(divide, (lambda g, a, b, o: g / b, lambda g, a, b, o: -g * o / b))
differentiable_vjp(maximum, (
    lambda g, a, b, o: g * _mask(value_of(a) >= value_of(b), g),
    lambda g, a, b, o: g * _mask(value_of(a) < value_of(b), g)))
differentiable_vjp(minimum, (
    lambda g, a, b, o: g * _mask(value_of(a) <= value_of(b), g),
    lambda g, a, b, o: g * _mask(value_of(a) > value_of(b), g)))
differentiable_vjp(negative, lambda g, x, o, env: -g)
differentiable_vjp(square, lambda g, x, o, env: 2.0 * g * x)
differentiable_vjp(sqrt, lambda g, x, o, env: 0.5 * g / o)
differentiable_vjp(exp, lambda g, x, o, env: g * o)
differentiable_vjp(expm1, lambda g, x, o, env: g * (o + 1.0))
differentiable_vjp(log, lambda g, x, o, env: g / x)
differentiable_vjp(log1p, lambda g, x, o, env: g / (x + 1.0))
differentiable_vjp(abs, lambda g, x, o, env: g * _mask(namespace().sign(value_of(x)), g))
differentiable_vjp(sin, lambda g, x, o, env: g * cos(x))
differentiable_vjp(cos, lambda g, x, o, env: -g * sin(x))
differentiable_vjp(reciprocal, lambda g, x, o, env: -g * o * o)


@differentiable_vjp(power)
def _power_rule(g, x, o, env):
    """`x ** n` for a small whole `n` (a unary node); `.pair`: a tensor exponent."""
    n = env["n"]
    return g if n == 1 else g * (float(n) * _whole_power(x, n - 1))


def _power_exponent_rule(g, a, b, o):
    positive = value_of(a) > 0
    if isinstance(positive, bool):  # a Python number as the base (`2.0 ** x`)
        import math as _math

        return g * o * (_math.log(value_of(a)) if positive else 0.0)
    return g * o * log(where(positive, a, 1.0))


_power_rule.pair = (lambda g, a, b, o: g * b * a ** (b - 1), _power_exponent_rule)


@differentiable_vjp(where)
def _where_rule(g, parents, out, env):
    c = env["c"]
    ga = sum_to_shape(where(c, g, 0.0), env["sa"]) if env["ta"] else None
    gb = sum_to_shape(where(c, 0.0, g), env["sb"]) if env["tb"] else None
    return None, ga, gb
differentiable_vjp(clip, lambda g, x, o, env: g * _mask(
    (value_of(x) >= env["x_min"]) & (value_of(x) <= env["x_max"]), g))
