"""Products that build larger arrays: `cross` (of 2- and 3-vectors) and `kron`."""

from kerasx.ops._helpers import common_operands, current, shape_of, value_of
from kerasx.ops.math import multiply, subtract
from kerasx.ops.shape import convert_to_tensor, moveaxis, reshape, stack


def _as_array(x):
    v = value_of(x)
    return x if hasattr(v, "shape") else convert_to_tensor(v)


def _common_types(x1, x2):
    """`(x1, x2)` cast to one dtype by Keras's promotion (tracked tensors are floats and
    keep their tape)."""
    return common_operands(x1, x2)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of the 3-vectors (or 2-vectors, their third component 0) along
    `axisa` of `x1` and `axisb` of `x2`, broadcast over the other axes, as
    `numpy.cross`. The result's vectors lie along `axisc`; two 2-vectors give the
    scalar z component. `axis`, when given, sets all three."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = _as_array(x1), _as_array(x2)
    if value_of(x1).dtype == current().xp.bool or value_of(x2).dtype == current().xp.bool:
        raise TypeError("cross is not defined for booleans; cast the inputs to a number type.")
    x1, x2 = _common_types(x1, x2)
    s1, s2 = shape_of(value_of(x1)), shape_of(value_of(x2))
    for name, s, ax in (("x1", s1, axisa), ("x2", s2, axisb)):
        if not s or not -len(s) <= ax < len(s) or s[ax] not in (2, 3):
            raise ValueError(f"cross: {name} of shape {s} needs vectors of 2 or 3 components "
                             f"along its axis {ax}.")
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    n1, n2 = s1[axisa], s2[axisb]
    ax, ay = a[..., 0], a[..., 1]
    bx, by = b[..., 0], b[..., 1]
    z = subtract(multiply(ax, by), multiply(ay, bx))
    if n1 == 2 and n2 == 2:
        return z
    if n1 == 3 and n2 == 3:
        az, bz = a[..., 2], b[..., 2]
        x = subtract(multiply(ay, bz), multiply(az, by))
        y = subtract(multiply(az, bx), multiply(ax, bz))
    elif n1 == 3:
        az = a[..., 2]
        x, y = multiply(az, -1) * by, multiply(az, bx)
    else:
        bz = b[..., 2]
        x, y = multiply(ay, bz), multiply(multiply(ax, bz), -1)
    out = stack([x, y, z], axis=-1)
    nd = len(shape_of(value_of(out)))
    if not -nd <= axisc < nd:
        raise ValueError(f"cross: axisc {axisc} is out of range for a result of rank {nd}.")
    return moveaxis(out, -1, axisc)


def kron(x1, x2):
    """The Kronecker product: blocks of `x2` scaled by each entry of `x1`, as
    `numpy.kron` (the input of lower rank gets leading axes of size 1)."""
    x1, x2 = _common_types(_as_array(x1), _as_array(x2))
    s1, s2 = shape_of(value_of(x1)), shape_of(value_of(x2))
    nd = max(len(s1), len(s2))
    s1, s2 = (1,) * (nd - len(s1)) + s1, (1,) * (nd - len(s2)) + s2
    wide1 = reshape(x1, tuple(v for n in s1 for v in (n, 1)))
    wide2 = reshape(x2, tuple(v for n in s2 for v in (1, n)))
    return reshape(multiply(wide1, wide2), tuple(p * q for p, q in zip(s1, s2)))
