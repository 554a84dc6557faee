"""Static facts of a tensor: `size`, `ndim`, `is_tensor`."""

from kerasx.autodiff.tensor import TensorOps
from kerasx.ops._helpers import current, shape_of, value_of


def ndim(x):
    """The number of axes of `x` (an int)."""
    return len(shape_of(value_of(x)))


def size(x):
    """The number of entries of `x` (an int; None for a symbolic tensor with an axis of
    unknown size)."""
    total = 1
    for n in shape_of(value_of(x)):
        if n is None:
            return None
        total *= n
    return total


def is_tensor(x):
    """Whether `x` is a kerasx tensor or variable, or an array of the active backend."""
    return isinstance(x, TensorOps) or current().is_native(x)
