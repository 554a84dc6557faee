"""Tensor contractions written as `einsum`: `tensordot`, `outer`, `inner`, `vdot` (int8
operands stay int8, as in Keras, where `einsum` gives int32)."""

import string

from kerasx.ops._helpers import shape_of, value_of
from kerasx.ops.einsum import contraction
from kerasx.ops.math import multiply
from kerasx.ops.shape import reshape


def tensordot(x1, x2, axes=2):
    """Sums the products over the last `axes` axes of `x1` and the first `axes` of `x2`,
    or over the axis lists `axes = (axes_of_x1, axes_of_x2)`."""
    n1, n2 = len(shape_of(value_of(x1))), len(shape_of(value_of(x2)))
    if isinstance(axes, int):
        if not 0 <= axes <= min(n1, n2):
            raise ValueError(f"tensordot: axes={axes} must be between 0 and the smaller rank "
                             f"of the inputs ({n1} and {n2}).")
        pairs = (list(range(n1 - axes, n1)), list(range(axes)))
    else:
        pairs = [[a] if isinstance(a, int) else list(a) for a in axes]
        if len(pairs) != 2 or len(pairs[0]) != len(pairs[1]):
            raise ValueError("tensordot: `axes` must be an int or two equally long axis lists "
                             f"(axes of x1, axes of x2), received {axes!r}.")
    letters = iter(string.ascii_letters)
    t1 = [next(letters) for _ in range(n1)]
    t2 = [next(letters) for _ in range(n2)]
    try:
        for a1, a2 in zip(*pairs):
            t2[a2] = t1[a1]
    except IndexError:
        raise ValueError(f"tensordot: axes {axes!r} are out of range for inputs of rank "
                         f"{n1} and {n2}.") from None
    shared = set(t1) & set(t2)
    out = [c for c in t1 + t2 if c not in shared]
    return contraction(f"{''.join(t1)},{''.join(t2)}->{''.join(out)}", (x1, x2))


def outer(x1, x2):
    """The outer product of the flattened inputs: `out[i, j] = x1[i] * x2[j]` (a Python
    number is one entry)."""
    number1, number2 = (isinstance(value_of(x), (int, float)) for x in (x1, x2))
    if number1 or number2:
        left = x1 if number1 else reshape(x1, (-1, 1))
        right = x2 if number2 else reshape(x2, (1, -1))
        out = multiply(left, right)
        return out if len(shape_of(value_of(out))) == 2 else reshape(out, (1, 1))
    return contraction("i,j->ij", (reshape(x1, (-1,)), reshape(x2, (-1,))))


def inner(x1, x2):
    """The sum of products over the last axes of `x1` and `x2` (a product when one
    of them is a scalar)."""
    shape1, shape2 = shape_of(value_of(x1)), shape_of(value_of(x2))
    if not shape1 or not shape2:
        return multiply(x1, x2)
    if shape1[-1] != shape2[-1]:
        raise ValueError(f"inner: `inner` requires the last dimension of `x1` and `x2` to "
                         f"match. Received: x1.shape={shape1}, x2.shape={shape2}. Give both "
                         f"the same number of features on their last axis.")
    return tensordot(x1, x2, axes=([-1], [-1]))


def vdot(x1, x2):
    """The dot product of the flattened inputs."""
    return contraction("i,i->", (reshape(x1, (-1,)), reshape(x2, (-1,))))
