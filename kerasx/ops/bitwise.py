"""Integer bit operations and divisors: `bitwise_and`, `bitwise_or`, `bitwise_xor`,
`bitwise_not` (`bitwise_invert`), `left_shift`/`bitwise_left_shift`,
`right_shift`/`bitwise_right_shift`, `gcd`, `lcm`.

Integer (and, for the logical bit operations, boolean) inputs only; operands of
different integer types take their common type, a Python int takes the array's.
None of them has a gradient.
"""

from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import Tensor, current, keras_common_dtype, value_of

_INTEGER_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                  "uint64")


def _integers(name, *xs, booleans=True):
    """The values of `xs` as arrays of one integer (or boolean) type; Python ints are
    left for the namespace to take as the other operand's type."""
    from kerasx.ops.math import numbers_as_tensors

    backend = current()
    xp = backend.xp
    if len(xs) == 2:
        xs = numbers_as_tensors(*xs)
    values = []
    for x in xs:
        v = value_of(x)
        if isinstance(v, bool) or isinstance(v, int):
            values.append(v)
            continue
        v = v if backend.is_native(v) else backend.asarray(v)
        if not backend.isdtype(v.dtype, ("integral", "bool")):
            kinds = "integers or booleans" if booleans else "integers"
            raise TypeError(f"{name} expects {kinds}, received an array of dtype "
                            f"{dtype_name(v.dtype)}. Cast it with `ops.cast` first.")
        values.append(v)
    arrays = [v for v in values if hasattr(v, "dtype")]
    if not arrays:
        raise TypeError(f"{name} expects at least one array operand, received Python numbers "
                        f"{xs!r}.")
    common = arrays[0].dtype
    if len(arrays) > 1 and arrays[1].dtype != common:
        # Keras's promotion: uint32 with a signed type is int32, a boolean meeting an
        # integer takes its type (the array API has no common type for either)
        common_name = keras_common_dtype(tuple(v.dtype for v in arrays))
        if common_name not in _INTEGER_NAMES:
            raise TypeError(f"{name}: {dtype_name(arrays[0].dtype)} and "
                            f"{dtype_name(arrays[1].dtype)} have no common integer type. Cast "
                            "them with `ops.cast` first.")
        common = backend.dtype(common_name)
    if not booleans and common == xp.bool:
        # a boolean meeting an integer array takes its type, as in Keras; booleans alone
        # have no divisors
        raise TypeError(f"{name} expects integers, received booleans only. Cast them with "
                        "`ops.cast` first.")
    return [xp.astype(v, common) if hasattr(v, "dtype") and v.dtype != common else v
            for v in values]


def bitwise_and(x, y):
    """The bitwise AND (for booleans, logical and)."""
    a, b = _integers("bitwise_and", x, y)
    return Tensor(current().xp.bitwise_and(a, b))


def bitwise_or(x, y):
    """The bitwise OR (for booleans, logical or)."""
    a, b = _integers("bitwise_or", x, y)
    return Tensor(current().xp.bitwise_or(a, b))


def bitwise_xor(x, y):
    """The bitwise exclusive OR (for booleans, logical xor)."""
    a, b = _integers("bitwise_xor", x, y)
    return Tensor(current().xp.bitwise_xor(a, b))


def bitwise_invert(x):
    """Flips every bit (`~x`; for booleans, logical not)."""
    (a,) = _integers("bitwise_invert", x)
    return Tensor(current().xp.bitwise_invert(a))


def bitwise_not(x):
    """Flips every bit; the same as `bitwise_invert`."""
    return bitwise_invert(x)


def _shift_operands(name, x, y):
    xp = current().xp
    values = _integers(name, x, y)
    # booleans shift as int8, as Keras gives them
    return [xp.astype(v, xp.int8) if getattr(v, "dtype", None) == xp.bool else v
            for v in values]


def bitwise_left_shift(x, y):
    """`x` shifted left by `y` bits."""
    a, b = _shift_operands("bitwise_left_shift", x, y)
    return Tensor(current().xp.bitwise_left_shift(a, b))


def bitwise_right_shift(x, y):
    """`x` shifted right by `y` bits (arithmetic: the sign is kept)."""
    a, b = _shift_operands("bitwise_right_shift", x, y)
    return Tensor(current().xp.bitwise_right_shift(a, b))


def left_shift(x, y):
    """`x` shifted left by `y` bits; the same as `bitwise_left_shift`."""
    return bitwise_left_shift(x, y)


def right_shift(x, y):
    """`x` shifted right by `y` bits; the same as `bitwise_right_shift`."""
    return bitwise_right_shift(x, y)


def _gcd(xp, a, b):
    """The greatest common divisor by Euclid's algorithm, every pair at once; each
    round at least halves the larger operand every two steps, so it ends in
    O(bits) rounds."""
    a, b = xp.abs(a), xp.abs(b)
    while bool(xp.any(b != 0)):
        done = b == 0
        remainder = a % xp.where(done, 1, b)
        a, b = xp.where(done, a, b), xp.where(done, 0, remainder)
    return a


def gcd(x1, x2):
    """The greatest common divisor (non-negative; `gcd(0, 0) == 0`)."""
    xp = current().xp
    a, b = _integers("gcd", x1, x2, booleans=False)
    a, b = (v if hasattr(v, "dtype") else xp.full_like(other, v)
            for v, other in ((a, b), (b, a)))
    a, b = xp.broadcast_arrays(a, b)
    return Tensor(_gcd(xp, a, b))


def lcm(x1, x2):
    """The least common multiple (non-negative; 0 when either input is 0)."""
    xp = current().xp
    a, b = _integers("lcm", x1, x2, booleans=False)
    a, b = (v if hasattr(v, "dtype") else xp.full_like(other, v)
            for v, other in ((a, b), (b, a)))
    a, b = xp.broadcast_arrays(a, b)
    divisor = _gcd(xp, a, b)
    safe = xp.where(divisor == 0, 1, divisor)
    return Tensor(xp.abs(a // safe * b))
