"""Turning and mirroring: `rot90`, `fliplr`, `flipud`."""

from kerasx.ops._helpers import shape_of, value_of
from kerasx.ops.shape import convert_to_tensor, flip, getitem, swapaxes


def _rank(x):
    xv = value_of(x)
    if not hasattr(xv, "shape"):
        x = convert_to_tensor(xv)
    return x, len(shape_of(value_of(x)))


def rot90(array, k=1, axes=(0, 1)):
    """`array` turned by 90 degrees `k` times in the plane of `axes`, from the first
    axis towards the second, as `numpy.rot90`."""
    array, nd = _rank(array)
    if nd < 2:
        raise ValueError(f"rot90 expects an input of rank 2 or more, received rank {nd}.")
    axes = tuple(axes)
    if len(axes) != 2 or not all(isinstance(a, int) and -nd <= a < nd for a in axes) or \
            axes[0] % nd == axes[1] % nd:
        raise ValueError(f"rot90: axes must be two different axes of the input (rank {nd}), "
                         f"received {axes!r}.")
    if isinstance(k, bool) or not isinstance(k, int):
        raise ValueError(f"rot90: k must be an int, received {k!r}.")
    first, second = axes
    k %= 4
    if k == 0:
        return getitem(array, ...)
    if k == 2:
        return flip(flip(array, first), second)
    if k == 1:
        return swapaxes(flip(array, second), first, second)
    return flip(swapaxes(array, first, second), second)


def fliplr(x):
    """`x` reversed along its second axis (left to right)."""
    x, nd = _rank(x)
    if nd < 2:
        raise ValueError(f"fliplr expects an input of rank 2 or more, received rank {nd}.")
    return flip(x, 1)


def flipud(x):
    """`x` reversed along its first axis (up to down)."""
    x, nd = _rank(x)
    if nd < 1:
        raise ValueError("flipud expects an input of rank 1 or more, received a scalar.")
    return flip(x, 0)
