"""Array creation and manipulation (reshape, transpose, concatenate, take, ...)."""

import contextlib
import contextvars
import operator

from kerasx.backends.base import framework_array_to_backend, is_framework_array
from kerasx.config import floatx
from kerasx.ops._helpers import (Tensor, TensorOps, as_dtype, axis_out_of_bounds, current,
                                 keras_common_dtype, namespace, normalize_axes, operand_and_value,
                                 operand_value, record, shape_of, tracked, value_of)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Host data (NumPy, lists, scalars), a backend array, or a tensor of PyTorch, JAX or
    TensorFlow (converted as `fit` converts its data: CPU tensors through DLPack, device
    tensors through the host, CUDA tensors to CuPy without a copy) as a Tensor on the
    device. Python numbers and lists of them take Keras's dtypes (`python_data_dtype`:
    int32, `floatx`, bool) unless `dtype` is given; NumPy data keeps its own. kerasx
    tensors are dense: `sparse=True` / `ragged=True` are refused."""
    if sparse or ragged:
        raise ValueError("convert_to_tensor: kerasx has no sparse or ragged tensors; received "
                         f"sparse={sparse!r}, ragged={ragged!r}.")
    if isinstance(x, TensorOps):
        # a Variable or tracked Tensor keeps its gradient, as a traced array does in Keras
        if dtype is not None and value_of(x).dtype != current().dtype(dtype):
            return cast(x, dtype)
        if isinstance(x, Tensor):
            return x
        return record(x.value, (x,), lambda g: (g,)) if tracked(x) else Tensor(x.value)
    if dtype is None and isinstance(x, (bool, int, float, list, tuple)):
        dtype = python_data_dtype(x)
    backend = current()
    if not isinstance(x, TensorOps) and not backend.is_native(x) and is_framework_array(x):
        x = framework_array_to_backend(x, backend)
    return Tensor(backend.asarray(value_of(x), dtype=dtype))


# Set while a layer's output shape is probed on stand-in batches: a reshape to a fixed
# batch-dependent size (`reshape(x, [tokens_per_batch, dim])`) cannot fit a stand-in batch,
# and Keras's symbolic shapes, whose batch is unknown, never check it either.
_RESHAPE_SIZES_UNCHECKED = contextvars.ContextVar("reshape_sizes_unchecked", default=False)


@contextlib.contextmanager
def reshape_sizes_unchecked():
    """Within it, `reshape` to a shape of another size gives zeros of that shape, when
    some number of the array's rows (its first axis standing for the batch) could fill it."""
    token = _RESHAPE_SIZES_UNCHECKED.set(True)
    try:
        yield
    finally:
        _RESHAPE_SIZES_UNCHECKED.reset(token)


def _python_data_as_tensor(x):
    """Python numbers and lists as Tensors of Keras's dtypes (NumPy arrays and tensors
    as they are), for the ops that read their argument's shape first."""
    return convert_to_tensor(x) if isinstance(x, (bool, int, float, list, tuple)) else x


_INT32_RANGE = (-2 ** 31, 2 ** 31 - 1)


def python_data_dtype(x):
    """Keras's dtype for a Python number or a (nested) list of them: bool for booleans
    only, int32 for integers (int64 where one does not fit), `floatx` with a float, and
    `floatx` for an empty list; None (the array library's choice) for anything else."""
    kinds, stack = set(), [x]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is list or kind is tuple:
            stack.extend(item)
        elif kind is bool or kind is float:
            kinds.add(kind)
        elif kind is int:
            kinds.add("wide" if not _INT32_RANGE[0] <= item <= _INT32_RANGE[1] else int)
        else:
            return None
    if float in kinds or not kinds:
        from kerasx.config import floatx

        return floatx()
    if "wide" in kinds:
        return "int64"
    return "int32" if int in kinds else "bool"


def convert_to_numpy(x):
    return current().to_numpy(value_of(x))


def stop_gradient(variable):
    """`variable`'s value, cut from the tape (a Python number read as Keras reads it)."""
    if isinstance(variable, TensorOps):
        return Tensor(variable.value)
    if callable(variable):
        name = getattr(variable, "__name__", type(variable).__name__)
        raise TypeError(
            f"stop_gradient expects a tensor, an array or a number, but received {name!r} of "
            f"type {type(variable).__name__}, which is callable. Pass the value it computes "
            f"instead: ops.stop_gradient({name}(...)).")
    return Tensor(operand_value(variable))


def cast(x, dtype):
    backend = current()
    xp = backend.xp
    if not isinstance(x, TensorOps) and not backend.is_native(x):
        x = convert_to_tensor(x)  # Python numbers, e.g. `ops.cast(ops.shape(y)[0], "int64")`
    xv = value_of(x)
    target = backend.dtype(floatx() if dtype is None else dtype)  # None: floatx, as Keras
    if xv.dtype == target:
        # a Variable is returned as it is: a new Tensor would cut its gradient
        return x if isinstance(x, TensorOps) else Tensor(xv)
    out = xp.astype(xv, target)
    if not tracked(x) or not backend.isdtype(target, "real floating"):
        return Tensor(out)
    source = xv.dtype
    return record(out, (x,), lambda g: (xp.astype(g, source),))


def zeros(shape, dtype=None):
    from kerasx.config import floatx

    backend = current()
    return Tensor(backend.xp.zeros(_shape_tuple(shape), dtype=backend.dtype(dtype or floatx()),
                                   device=backend.device))


def ones(shape, dtype=None):
    from kerasx.config import floatx

    backend = current()
    return Tensor(backend.xp.ones(_shape_tuple(shape), dtype=backend.dtype(dtype or floatx()),
                                  device=backend.device))


def zeros_like(x, dtype=None):
    xv = operand_value(x)
    return Tensor(namespace().zeros_like(xv, dtype=None if dtype is None else current().dtype(dtype)))


def ones_like(x, dtype=None):
    xv = operand_value(x)
    return Tensor(namespace().ones_like(xv, dtype=None if dtype is None else current().dtype(dtype)))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values from `start` (0 with one bound) up to `stop` (excluded),
    `step` apart (1 for None). Without `dtype`, Keras's promotion of the bounds and step
    decides: Python ints give int32, Python floats `floatx()`."""
    from kerasx.utils.dtype_promotion import result_type

    backend = current()
    step = 1 if step is None else step
    if dtype is None:
        bounds = (start, step) if stop is None else (start, stop, step)
        dtype = result_type(*(getattr(v, "dtype", type(v)) for v in bounds))
    return Tensor(backend.xp.arange(start, stop, step, dtype=backend.dtype(dtype),
                                    device=backend.device))


def _shape_tuple(shape):
    """`shape` as a tuple of sizes; an int is the shape of a 1-D array."""
    try:
        return (operator.index(shape),)
    except TypeError:
        return tuple(shape)


def shape(x):
    return shape_of(value_of(x))


def _resolve_shape(size, newshape):
    newshape = tuple(int(n) for n in _shape_tuple(newshape))
    if any(n < -1 for n in newshape):
        raise ValueError(f"reshape: Each dimension in `newshape` must be a non-negative integer, "
                         f"or `-1` for a single unknown dimension. Received: newshape="
                         f"{newshape}. Replace the negative sizes.")
    if newshape.count(-1) > 1:
        raise ValueError(f"reshape: There must be at most one unknown dimension (-1) in "
                         f"`newshape`. Received: newshape={newshape}. Give all sizes but one.")
    if -1 in newshape:
        known = 1
        for n in newshape:
            if n != -1:
                known *= n
        if known == 0 or size % known:
            raise ValueError(f"Cannot reshape an array of size {size} into shape {newshape}.")
        newshape = tuple(size // known if n == -1 else n for n in newshape)
    return newshape


def reshape(x, newshape):
    x = _python_data_as_tensor(x)
    xp = namespace()
    xv = value_of(x)
    old = tuple(xv.shape)
    size = 1
    for n in old:
        size *= n
    new = _resolve_shape(size, newshape)
    prod = 1
    for n in new:
        prod *= n
    if prod != size:
        row = size // old[0] if old and old[0] else 0
        if _RESHAPE_SIZES_UNCHECKED.get() and row and prod % row == 0:
            backend = current()
            return Tensor(xp.zeros(new, dtype=xv.dtype, device=backend.device))
        raise ValueError(f"Cannot reshape an array of shape {old} (size {size}) into shape {new}.")
    out = xp.reshape(xv, new)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (xp.reshape(g, old),))


def transpose(x, axes=None):
    x = _python_data_as_tensor(x)
    xp = namespace()
    xv = value_of(x)
    nd = len(xv.shape)
    axes = tuple(range(nd))[::-1] if axes is None else _checked_permutation(axes, nd)
    out = xp.permute_dims(xv, axes)
    if not tracked(x):
        return Tensor(out)
    inverse = tuple(sorted(range(nd), key=lambda i: axes[i]))
    return record(out, (x,), lambda g: (xp.permute_dims(g, inverse),))


def _checked_permutation(axes, nd):
    """`axes` of `transpose` as non-negative axes, refused (with Keras's wording) unless
    they are a permutation of the input's `nd` axes."""
    given = list(axes)
    if len(given) != nd:
        raise ValueError(f"transpose: axis must be a list of the same length as the input "
                         f"shape, expected {nd}, but received {len(given)} (axes={given}).")
    if any(not -nd <= a < nd for a in given):
        raise ValueError(f"transpose: Each axis in `axes` must be an integer in [{-nd}, {nd}). "
                         f"Received: axes={given}.")
    if len({a % nd for a in given}) != nd:
        raise ValueError(f"transpose: `axes` must be a valid permutation of the input "
                         f"dimensions (no duplicates). Received: axes={given} for input of "
                         f"rank {nd}.")
    return tuple(a % nd for a in given)


def swapaxes(x, axis1, axis2):
    nd = len(shape_of(value_of(x)))
    normalize_axes((axis1, axis2), nd)  # an axis out of range is a ValueError naming it
    axes = list(range(nd))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def expand_dims(x, axis):
    x = _python_data_as_tensor(x)  # e.g. `ops.expand_dims(ops.shape(x)[0], -1)`
    xv = value_of(x)
    shp = list(xv.shape)
    nd = len(shp) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    for a in normalize_axes(axis, nd):
        shp.insert(a, 1)
    return reshape(x, shp)


def squeeze(x, axis=None):
    x = _python_data_as_tensor(x)
    xv = value_of(x)
    shp = tuple(xv.shape)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shp) if n == 1)
    else:
        axes = normalize_axes(axis, len(shp))
        for a in axes:
            if shp[a] != 1:
                raise ValueError(f"Cannot squeeze axis {a} of shape {shp}: its size is not 1.")
    return reshape(x, [n for i, n in enumerate(shp) if i not in axes])


def flatten(x):
    return reshape(x, (-1,))


def broadcast_to(x, shape):
    from kerasx.autodiff.broadcast import unbroadcast

    x = _python_data_as_tensor(x)
    xp = namespace()
    xv = value_of(x)
    old = shape_of(xv)
    out = xp.broadcast_to(xv, tuple(shape))
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (unbroadcast(xp, g, old),))


def concatenate(xs, axis=0):
    """Joins the tensors of the sequence `xs` along the existing `axis` (after
    flattening each for None)."""
    if axis is None:
        xs, axis = [reshape(x, (-1,)) for x in xs], 0
    backend = current()
    xp = backend.xp
    values = [value_of(x) for x in xs]
    if len({getattr(v, "dtype", None) for v in values}) > 1:
        # Keras's promotion of the arrays (NumPy: float64 for int32 with float32, int64
        # for uint32 with int32); values that are not arrays are left to the namespace
        common = keras_common_dtype(tuple(v.dtype for v in values if hasattr(v, "dtype")))
        values = [as_dtype(v, common) if hasattr(v, "dtype") else v for v in values]
    # a backend may copy whole rows of contiguous inputs (None to decline)
    fast = backend.kernel("concat") if values else None
    out = None if fast is None else fast(values, axis)
    if out is None:
        out = xp.concat(values, axis=axis)
    if not tracked(*xs):
        return Tensor(out)
    nd = len(out.shape)
    ax = axis % nd
    sizes = [v.shape[ax] for v in values]
    flags = [getattr(x, "tracked", False) for x in xs]

    def vjp(g):
        grads, start = [], 0
        for flag, n in zip(flags, sizes):
            if flag:
                index = (slice(None),) * ax + (slice(start, start + n), Ellipsis)
                grads.append(g[index])
            else:
                grads.append(None)
            start += n
        return tuple(grads)

    return record(out, tuple(xs), vjp)


def stack(x, axis=0):
    """Joins the tensors of the sequence `x` along a new axis."""
    nd = len(shape_of(value_of(x[0]))) + 1
    (ax,) = normalize_axes(axis, nd)  # the new axis: one more place than the inputs have
    return concatenate([expand_dims(t, ax) for t in x], axis=ax)


def split(x, indices_or_sections, axis=0):
    """Splits into equal sections (an int) or at the given indices."""
    xv = value_of(x)
    normalize_axes(axis, len(xv.shape))  # an axis out of range is a ValueError naming it
    n = xv.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"split: axis of size {n} cannot be split into {indices_or_sections} equal parts.")
        step = n // indices_or_sections  # 0 for an empty axis: empty sections, as NumPy
        bounds = [i * step for i in range(indices_or_sections + 1)]
    else:
        bounds = [0, *indices_or_sections, n]
    ax = axis % len(xv.shape)
    return [getitem(x, (slice(None),) * ax + (slice(a, b), Ellipsis))
            for a, b in zip(bounds[:-1], bounds[1:])]


def getitem(x, key):
    """Basic indexing (ints, slices, None, Ellipsis); the VJP writes into zeros."""
    xp = namespace()
    xv = value_of(x)
    key = _complete_key(value_of(key), len(xv.shape))
    out = xv[key]
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        gx = xp.zeros_like(xv)
        if _has_new_axes(key):  # the array API standard writes through no `None`
            write_key, written = _without_new_axes(key, xv)
            gx[write_key] = xp.reshape(g, written)
        else:
            gx[key] = g
        return (gx,)

    return record(out, (x,), vjp)


def _has_new_axes(key):
    if isinstance(key, tuple):
        for part in key:  # by identity: `==` would compare array parts elementwise
            if part is None:
                return True
        return False
    return key is None


def _without_new_axes(key, xv):
    """`(key without its None entries, the shape it selects from xv)`: a write at the
    first, of a value reshaped to the second, is a write at `key` (the array API
    standard allows `None` only when reading)."""
    parts = tuple(p for p in (key if isinstance(key, tuple) else (key,)) if p is not None)
    parts = parts or (Ellipsis,)
    return parts, tuple(xv[parts].shape)


def _complete_key(key, ndim):
    """Adds the trailing `...` NumPy implies (`x[0]` on a matrix), which the standard requires."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(p is Ellipsis for p in parts) or not all(isinstance(p, (int, slice)) or p is None
                                                   for p in parts):
        return key
    if sum(p is not None for p in parts) < ndim:
        return parts + (Ellipsis,)
    return key


def take(x, indices, axis=None):
    """Gathers along `axis`; the VJP is a scatter-add (a backend kernel when registered)."""
    xp = namespace()
    backend = current()
    xv = value_of(x)
    iv = value_of(indices)
    if not backend.is_native(iv):
        iv = backend.asarray(iv, dtype="int64")
    if axis is None:
        xv_flat = xp.reshape(xv, (-1,))
        out = take(Tensor(xv_flat) if not tracked(x) else reshape(x, (-1,)), iv, axis=0)
        return out
    if not -len(xv.shape) <= axis < len(xv.shape):
        raise axis_out_of_bounds("take", axis, tuple(xv.shape))
    ax = axis % len(xv.shape)
    idx_shape = tuple(iv.shape)
    flat_idx = xp.reshape(iv, (-1,))
    gathered = xp.take(xv, flat_idx, axis=ax)
    out_shape = tuple(xv.shape[:ax]) + idx_shape + tuple(xv.shape[ax + 1:])
    out = xp.reshape(gathered, out_shape)
    if not tracked(x):
        return Tensor(out)
    table_shape = tuple(xv.shape)

    def vjp(g):
        if not ax:
            # the gradient keeps the indices' shape (an embedding's broadcast gradient is
            # then not copied whole: a kernel may flatten it piece by piece)
            rows = scatter_add_rows(table_shape[0], iv, xp.reshape(g, idx_shape + (-1,)))
            return (xp.reshape(rows, table_shape),)
        before, after = tuple(table_shape[:ax]), tuple(table_shape[ax + 1:])
        g = xp.moveaxis(xp.reshape(g, before + (flat_idx.shape[0],) + after), ax, 0)
        rows = scatter_add_rows(table_shape[ax], flat_idx, xp.reshape(g, (flat_idx.shape[0], -1)))
        return (xp.moveaxis(xp.reshape(rows, (table_shape[ax],) + before + after), 0, ax),)

    return record(out, (x, indices), vjp)


def scatter_add_rows(n_rows, indices, updates):
    """An (n_rows, k) array with each row of `updates` added into the row its index names
    (duplicates summed): `indices` of any shape, `updates` of shape `indices.shape + (k,)`."""
    backend = current()
    fast = backend.kernel("scatter_add_rows")
    if fast is not None:
        return fast((n_rows, updates.shape[-1]), indices, updates, updates.dtype)
    xp = backend.xp
    indices = xp.reshape(indices, (-1,))
    updates = xp.reshape(updates, (indices.shape[0], updates.shape[-1]))
    one_hot_t = xp.astype(xp.arange(n_rows, device=backend.device)[:, None] == indices[None, :],
                          updates.dtype)
    return one_hot_t @ updates


def take_along_axis(x, indices, axis=None):
    """Picks `x` values at `indices` along `axis` (of the flattened `x` for None, with
    1-D `indices`); the VJP scatters through a one-hot."""
    if axis is None:
        if len(shape_of(value_of(indices))) != 1:
            raise ValueError(f"take_along_axis: with axis=None `indices` must be 1-D (they index "
                             f"the flattened input), received shape "
                             f"{shape_of(value_of(indices))}. Pass the axis to take along.")
        x, axis = reshape(x, (-1,)), 0
    xp = namespace()
    xv, iv = value_of(x), value_of(indices)
    out = xp.take_along_axis(xv, iv, axis=axis)
    if not tracked(x):
        return Tensor(out)
    ax = axis % len(xv.shape)
    n = xv.shape[ax]

    def vjp(g):
        idx_last = xp.moveaxis(iv, ax, -1)
        hot = xp.astype(idx_last[..., None] == xp.arange(n, dtype=iv.dtype, device=current().device),
                        g.dtype)
        gx = xp.sum(hot * xp.moveaxis(g, ax, -1)[..., None], axis=-2)
        return xp.moveaxis(gx, -1, ax), None

    return record(out, (x, indices), vjp)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    from kerasx.config import floatx

    if sparse:
        raise ValueError("one_hot: sparse=True is not supported; kerasx has no sparse tensors. "
                         "Use the dense result (sparse=False).")
    backend = current()
    xp = backend.xp
    iv = value_of(x)
    if not backend.is_native(iv):
        iv = backend.asarray(iv)
    hot = iv[..., None] == xp.arange(num_classes, dtype=iv.dtype, device=backend.device)
    out = xp.astype(hot, backend.dtype(dtype or floatx()))
    if axis != -1:
        out = xp.moveaxis(out, -1, axis)
    return Tensor(out)


def constant_pad(x, pad_width, constant_values=0.0):
    """Constant padding; `pad_width` is one (before, after) pair per axis (`kerasx.ops.pad`
    takes the other forms and modes)."""
    xp = namespace()
    xv = value_of(x)
    pads = [tuple(p) for p in pad_width]
    shape = tuple(xv.shape)
    out_shape = tuple(n + a + b for n, (a, b) in zip(shape, pads))
    out = xp.full(out_shape, constant_values, dtype=xv.dtype, device=current().device)
    inner = tuple(slice(a, a + n) for n, (a, _) in zip(shape, pads))
    out[inner] = xv
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (g[inner],))


def tile(x, repeats):
    """Repeats the whole array `repeats[i]` times along axis i, as `numpy.tile`: an int
    repeats the last axis; with fewer counts than axes the leading axes repeat once,
    with more the input gains leading axes of size 1."""
    x, xv = operand_and_value(x)
    shp = tuple(xv.shape)
    reps = _repeat_counts(repeats)
    if len(reps) < len(shp):
        reps = (1,) * (len(shp) - len(reps)) + reps
    elif len(reps) > len(shp):
        shp = (1,) * (len(reps) - len(shp)) + shp
        x = reshape(x, shp)
    expanded = reshape(x, tuple(v for n in shp for v in (1, n)))
    out = broadcast_to(expanded, tuple(v for r, n in zip(reps, shp) for v in (r, n)))
    return reshape(out, tuple(r * n for r, n in zip(reps, shp)))


def _repeat_each(x, counts, axis):
    """`repeat` with one count per entry along `axis`: a `take` of each index as often
    as its count."""
    size = shape_of(value_of(x))[axis]
    if len(counts) != size:
        raise ValueError(f"repeat: {len(counts)} counts for the {size} entries along axis "
                         f"{axis}; pass one count per entry, or a single count.")
    backend = current()
    picks = [i for i, n in enumerate(counts) for _ in range(n)]
    return take(x, Tensor(backend.asarray(picks, dtype="int64")), axis=axis)


def _repeat_counts(repeats):
    """The tuple of non-negative int counts of `tile`'s or `repeat`'s `repeats`."""
    value = value_of(repeats) if isinstance(repeats, Tensor) else repeats
    if hasattr(value, "shape"):
        value = current().to_numpy(value).tolist()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        counts = tuple(operator.index(n) for n in items if not isinstance(n, bool))
    except TypeError:
        counts = None
    if counts is None or len(counts) != len(items) or any(n < 0 for n in counts):
        raise TypeError(f"tile: `repeats` must be a non-negative int or a sequence of them, "
                        f"received {repeats!r}.")
    return counts


def repeat(x, repeats, axis=None):
    """Repeats each element `repeats` times along `axis` (of the flattened array when
    `axis` is None). `repeats` is one count, or one count per entry along `axis`.

    One tape node. Its gradient sums each run of `repeats` neighbours: by slices for
    runs of up to four, by `sum` beyond. NumPy's sum over a short middle axis with few
    values after it is slow (2.0 against 0.38 ms for 64 x 512 x 2 x 8 float32, the
    gradient of a nearest `UpSampling2D` over 8 channels); the slices lose beyond four
    (0.11 against 0.06 ms for 30 at 64 x 30 x 128).
    """
    try:
        counts = _repeat_counts(repeats)
    except TypeError:
        raise TypeError(f"repeat: `repeats` must be a non-negative int or a sequence of them "
                        f"(one per entry along `axis`), received {repeats!r}.") from None
    x = _python_data_as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    xp = namespace()
    xv = value_of(x)
    shp = tuple(xv.shape)
    if not -len(shp) <= axis < len(shp):
        raise axis_out_of_bounds("repeat", axis, shp)
    if len(counts) != 1:
        return _repeat_each(x, counts, axis % len(shp))
    repeats = counts[0]
    ax = axis % len(shp)
    out = xp.repeat(xv, repeats, axis=ax)
    if not tracked(x):
        return Tensor(out)
    runs_shape = shp[:ax] + (shp[ax], repeats) + shp[ax + 1:]
    lead = (slice(None),) * (ax + 1)

    def vjp(g):
        runs = xp.reshape(g, runs_shape)
        if not 1 <= repeats <= 4:
            return (xp.sum(runs, axis=ax + 1),)
        total = runs[lead + (0, ...)]
        if repeats > 1:
            total = total + runs[lead + (1, ...)]
        for r in range(2, repeats):
            total += runs[lead + (r, ...)]
        return (total,)

    return record(out, (x,), vjp)


def flip(x, axis=None):
    x, xv = operand_and_value(x)
    axes = normalize_axes(axis, len(xv.shape))
    index = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(len(xv.shape)))
    return getitem(x, index)


def moveaxis(x, source, destination):
    """Moves axes `source` (an int or a sequence) to the places `destination` names,
    the other axes keeping their order, as `numpy.moveaxis`."""
    nd = len(shape_of(value_of(x)))
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination) or not all(
            isinstance(a, int) and -nd <= a < nd for a in source + destination) \
            or len({a % nd for a in source}) != len(source) \
            or len({a % nd for a in destination}) != len(destination):
        outside = [a for a in source + destination if isinstance(a, int) and not -nd <= a < nd]
        where = (f"axis {outside[0]} is out of bounds for an array of dimension {nd}; "
                 if outside else "")
        raise ValueError(
            f"moveaxis: {where}source and destination must be as many distinct axes in [-{nd}, "
            f"{nd - 1}]; received source={source!r}, destination={destination!r}.")
    moved = dict(sorted(zip((d % nd for d in destination), (s % nd for s in source))))
    rest = iter(i for i in range(nd) if i not in moved.values())
    return transpose(x, [moved[i] if i in moved else next(rest) for i in range(nd)])




# -- differentiable VJPs: the backward pass recorded for gradients of gradients ----------
from kerasx.autodiff.higher_order import differentiable_vjp, sum_to_shape  # noqa: E402


def scatter_into_zeros(g, key, shape):
    """Zeros of `shape` with `g` written at the basic index `key`: the VJP of
    `getitem`, as a recorded op (its own VJP is `getitem`)."""
    backend = current()
    gv = value_of(g)
    out = backend.xp.zeros(tuple(shape), dtype=gv.dtype, device=backend.device)
    if _has_new_axes(key):
        write_key, written = _without_new_axes(key, out)
        out[write_key] = backend.xp.reshape(gv, written)
    else:
        out[key] = gv
    if not tracked(g):
        return Tensor(out)
    return record(out, (g,), lambda h: (h[key],))


differentiable_vjp(scatter_into_zeros, lambda h, parents, out, env: (getitem(h, env["key"]),))
differentiable_vjp(convert_to_tensor, lambda g, parents, out, env: (g,))
differentiable_vjp(reshape, lambda g, parents, out, env: (reshape(g, env["old"]),))
differentiable_vjp(transpose, lambda g, parents, out, env: (transpose(g, env["inverse"]),))
differentiable_vjp(broadcast_to, lambda g, parents, out, env: (sum_to_shape(g, env["old"]),))
differentiable_vjp(getitem, lambda g, parents, out, env: (
    scatter_into_zeros(g, env["key"], env["xv"].shape),))
differentiable_vjp(constant_pad, lambda g, parents, out, env: (getitem(g, env["inner"]),))


@differentiable_vjp(concatenate)
def _concatenate_rule(g, parents, out, env):
    grads, start, ax = [], 0, env["ax"]
    for flag, n in zip(env["flags"], env["sizes"]):
        index = (slice(None),) * ax + (slice(start, start + n), Ellipsis)
        grads.append(getitem(g, index) if flag else None)
        start += n
    return tuple(grads)


@differentiable_vjp(cast)
def _cast_rule(g, parents, out, env):
    from kerasx.backends.base import dtype_name

    return (cast(g, dtype_name(env["source"])),)


from kerasx.ops import array_grads, gather_grads  # noqa: E402,F401  (register more rules)
