"""Shared plumbing of the op modules: namespace lookup, wrapping, axes."""

from kerasx.autodiff.tape import record, tracked
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.backends import current

__all__ = ["Tensor", "TensorOps", "current", "namespace", "normalize_axes", "record",
           "relu_of_fresh", "shape_of", "tracked", "value_of", "wrap"]


def namespace():
    return current().xp


def wrap(value):
    return Tensor(value)


def shape_of(x):
    """The shape of an array or Tensor; `()` for Python scalars."""
    shape = getattr(x, "shape", None)
    return () if shape is None else tuple(shape)


def relu_of_fresh(backend, y):
    """`max(y, 0)` of an array that nothing else holds: written over `y` by the
    backend's `relu_inplace` kernel where it has one, else a new array."""
    fast = backend.kernel("relu_inplace")
    return fast(backend.xp, y) if fast is not None else backend.xp.maximum(y, 0.0)


def normalize_axes(axis, ndim):
    """`axis` (None, int or sequence, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))
