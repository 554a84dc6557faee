"""Joining arrays: `append` and `dstack` (the third axis)."""

from kerasx.ops._helpers import shape_of, value_of
from kerasx.ops.shape import concatenate, convert_to_tensor, reshape


def _as_array(x):
    return x if hasattr(value_of(x), "shape") else convert_to_tensor(value_of(x))


def append(x1, x2, axis=None):
    """`x2` joined after `x1` along `axis`; for None, both are flattened first. Mixed
    dtypes follow Keras's promotion."""
    x1, x2 = _as_array(x1), _as_array(x2)
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], axis=0)
    s1, s2 = shape_of(value_of(x1)), shape_of(value_of(x2))
    if len(s1) != len(s2):
        raise ValueError(f"append: with an axis, x1 and x2 need the same rank; received shapes "
                         f"{s1} and {s2}.")
    return concatenate([x1, x2], axis=axis)


def dstack(xs):
    """The arrays joined along their third axis: 1-D `(n,)` inputs count as `(1, n, 1)`,
    2-D `(m, n)` ones as `(m, n, 1)`."""
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(f"dstack expects a non-empty list of arrays, received {xs!r}.")
    parts = []
    for x in xs:
        x = _as_array(x)
        shape = shape_of(value_of(x))
        if len(shape) < 3:
            shape = {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]
            x = reshape(x, shape)
        parts.append(x)
    return concatenate(parts, axis=2)
