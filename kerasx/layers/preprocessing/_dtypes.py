"""Casting layer inputs to the layer's dtype."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current


def as_dtype(x, dtype):
    """`x` in `dtype`; `x` itself (still watched by a tape) when it already is."""
    # ops.cast of a Variable that already has the dtype returns a detached Tensor
    backend = current()
    if not hasattr(value_of(x), "dtype"):  # Python lists and numbers, as Keras takes them
        x = ops.convert_to_tensor(x)
    if value_of(x).dtype == backend.dtype(dtype):
        return x
    return ops.cast(x, dtype)
