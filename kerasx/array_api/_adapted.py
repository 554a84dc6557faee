"""Array API functions whose signature or meaning differs from the `kerasx.ops` of the
same role: each is a thin, differentiable adapter over those ops."""

import builtins
import math
from collections import namedtuple

from kerasx import ops
from kerasx.array_api._dtypes import name_of
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current


def _dtype(dtype):
    return None if dtype is None else name_of(dtype)


# -- creation -------------------------------------------------------------------------------
def asarray(obj, /, *, dtype=None, device=None, copy=None):
    """A kerasx tensor of `obj` (a tensor, a backend array, NumPy data, nested lists or a
    Python scalar); a tensor of the right dtype is returned as it is unless `copy=True`."""
    if isinstance(obj, TensorOps) and (dtype is None or name_of(dtype) == obj.dtype):
        return ops.copy(obj) if copy else obj
    if copy is False and not (isinstance(obj, TensorOps) or current().is_native(obj)):
        raise ValueError("asarray(copy=False): the object is not an array of the active "
                         "backend, so it cannot be used without a copy.")
    return ops.convert_to_tensor(obj, dtype=_dtype(dtype))


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    return ops.arange(start, stop, step, dtype=_dtype(dtype))


def empty(shape, *, dtype=None, device=None):
    return ops.empty(shape, dtype=_dtype(dtype))


def empty_like(x, /, *, dtype=None, device=None):
    return ops.empty_like(x, dtype=_dtype(dtype))


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    return ops.eye(n_rows, n_cols, k=k, dtype=_dtype(dtype))


def from_dlpack(x, /, *, device=None, copy=None):
    """A tensor of another library's array through DLPack (the array must be on the
    active backend's device)."""
    return Tensor(current().xp.from_dlpack(x))


def full(shape, fill_value, *, dtype=None, device=None):
    return ops.full(shape, fill_value, dtype=_dtype(dtype))


def full_like(x, /, fill_value, *, dtype=None, device=None):
    return ops.full_like(x, fill_value, dtype=_dtype(dtype))


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    return ops.linspace(start, stop, num, endpoint=endpoint, dtype=_dtype(dtype))


def meshgrid(*arrays, indexing="xy"):
    return list(ops.meshgrid(*arrays, indexing=indexing))


def ones(shape, *, dtype=None, device=None):
    return ops.ones(shape, dtype=_dtype(dtype))


def ones_like(x, /, *, dtype=None, device=None):
    return ops.ones_like(x, dtype=_dtype(dtype))


def zeros(shape, *, dtype=None, device=None):
    return ops.zeros(shape, dtype=_dtype(dtype))


def zeros_like(x, /, *, dtype=None, device=None):
    return ops.zeros_like(x, dtype=_dtype(dtype))


# -- element-wise ---------------------------------------------------------------------------
def clip(x, /, min=None, max=None):  # noqa: A002 - the standard's names
    if min is None and max is None:
        return x
    if min is not None:
        x = ops.maximum(x, min)
    return x if max is None else ops.minimum(x, max)


def copysign(x1, x2, /):
    return ops.where(ops.signbit(x2), -ops.abs(x1), ops.abs(x1))


def positive(x, /):
    return ops.convert_to_tensor(x)


def round(x, /):  # noqa: A001
    return ops.round(x)


# -- manipulation ---------------------------------------------------------------------------
def broadcast_arrays(*arrays):
    shape = broadcast_shapes(*[tuple(a.shape) for a in arrays])
    return [ops.broadcast_to(a, shape) for a in arrays]


def broadcast_shapes(*shapes):
    """The shape the standard's broadcasting gives these shapes."""
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(ndim):
        sizes = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"shapes {shapes} cannot be broadcast together.")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def concat(arrays, /, *, axis=0):
    if axis is None:
        return ops.concatenate([ops.reshape(a, (-1,)) for a in arrays], axis=0)
    return ops.concatenate(list(arrays), axis=axis)


def expand_dims(x, /, *, axis=0):
    return ops.expand_dims(x, axis)


def reshape(x, /, shape, *, copy=None):
    return ops.reshape(x, tuple(shape))


def stack(arrays, /, *, axis=0):
    return ops.stack(list(arrays), axis=axis)


def tile(x, repetitions, /):
    return ops.tile(x, tuple(repetitions))


def unstack(x, /, *, axis=0):
    return tuple(ops.unstack(x, axis=axis))


def matrix_transpose(x, /):
    return ops.swapaxes(x, -1, -2)


def vecdot(x1, x2, /, *, axis=-1):
    return ops.sum(ops.multiply(ops.conj(x1) if _is_complex(x1) else x1, x2), axis=axis)


def _is_complex(x):
    return str(getattr(x, "dtype", "")).startswith("complex")


# -- reductions and statistics --------------------------------------------------------------
def _cast_input(x, dtype):
    return x if dtype is None else ops.cast(x, name_of(dtype))


def sum(x, /, *, axis=None, dtype=None, keepdims=False):  # noqa: A001
    return ops.sum(_cast_input(x, dtype), axis=axis, keepdims=keepdims)


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    return ops.prod(_cast_input(x, dtype), axis=axis, keepdims=keepdims)


def max(x, /, *, axis=None, keepdims=False):  # noqa: A001
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x, /, *, axis=None, keepdims=False):  # noqa: A001
    return ops.min(x, axis=axis, keepdims=keepdims)


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    out = ops.var(x, axis=axis, keepdims=keepdims)
    if not correction:
        return out
    n = _count(x, axis)
    return out * (n / (n - correction)) if n > correction else out * float("nan")


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    return ops.sqrt(var(x, axis=axis, correction=correction, keepdims=keepdims))


def _count(x, axis):
    shape = tuple(x.shape)
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return math.prod(shape[a] for a in axes)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative(ops.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative(ops.cumprod, 1, x, axis, dtype, include_initial)


def _cumulative(op, initial, x, axis, dtype, include_initial):
    if axis is None:
        if len(x.shape) != 1:
            raise ValueError("cumulative_sum / cumulative_prod need `axis` for arrays of more "
                             f"than one dimension (received shape {tuple(x.shape)}).")
        axis = 0
    out = op(_cast_input(x, dtype), axis=axis)
    if include_initial:
        shape = list(out.shape)
        shape[axis] = 1
        out = ops.concatenate([ops.full(shape, initial, dtype=out.dtype), out], axis=axis)
    return out


def count_nonzero(x, /, *, axis=None, keepdims=False):
    return ops.sum(ops.cast(ops.not_equal(x, 0), "int32"), axis=axis, keepdims=keepdims)


def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = ops.concatenate([_along(p, x, axis) for p in parts], axis=axis)
    return ops.diff(x, n=n, axis=axis)


def _along(part, x, axis):
    """`part` as an array to concatenate to `x` along `axis` (a scalar broadcast to one
    slice of `x`)."""
    part = ops.convert_to_tensor(part)
    if len(part.shape) == 0:
        shape = list(x.shape)
        shape[axis] = 1
        return ops.broadcast_to(ops.cast(part, x.dtype), shape)
    return part


# -- searching and sorting ------------------------------------------------------------------
def argmax(x, /, *, axis=None, keepdims=False):
    return ops.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, /, *, axis=None, keepdims=False):
    return ops.argmin(x, axis=axis, keepdims=keepdims)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    if descending:
        return ops.take_along_axis(x, argsort(x, axis=axis, descending=True), axis=axis)
    return ops.sort(x, axis=axis)


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    if not descending:
        return ops.argsort(x, axis=axis)
    # the stable descending order: the ascending order of the reversed array, mapped back
    n = x.shape[axis]
    reversed_order = ops.argsort(ops.flip(x, axis=axis), axis=axis)
    return ops.flip((n - 1) - reversed_order, axis=axis)


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    if sorter is not None:
        x1 = ops.take(x1, sorter)
    return ops.searchsorted(x1, x2, side=side)


def take(x, indices, /, *, axis=None):
    if axis is None:
        if len(x.shape) != 1:
            raise ValueError("take: `axis` is required for arrays of more than one dimension.")
        axis = 0
    return ops.take(x, indices, axis=axis)


def take_along_axis(x, indices, /, *, axis=-1):
    return ops.take_along_axis(x, indices, axis=axis)


def isin(x1, x2, /, *, invert=False):
    return ops.isin(x1, x2, invert=invert)


# -- sets (sizes depend on the data: computed, not differentiated) --------------------------
UniqueAllResult = namedtuple("UniqueAllResult", "values indices inverse_indices counts")
UniqueCountsResult = namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = namedtuple("UniqueInverseResult", "values inverse_indices")


def _unique(x, **flags):
    return ops.unique(ops.reshape(x, (-1,)), **flags)


def unique_all(x, /):
    values, index, inverse, counts = _unique(x, return_index=True, return_inverse=True,
                                             return_counts=True)
    return UniqueAllResult(values, index, ops.reshape(inverse, tuple(x.shape)), counts)


def unique_counts(x, /):
    return UniqueCountsResult(*_unique(x, return_counts=True))


def unique_inverse(x, /):
    values, inverse = _unique(x, return_inverse=True)
    return UniqueInverseResult(values, ops.reshape(inverse, tuple(x.shape)))


def unique_values(x, /):
    return _unique(x)
