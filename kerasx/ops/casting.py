"""Dtypes of tensors: `dtype`, `saturate_cast`, `array`, `empty_like`, `view`."""

from kerasx.backends.base import dtype_name
from kerasx.config import floatx
from kerasx.ops._helpers import Tensor, current, operand_value, value_of

_BOUNDS = {"bool": (0, 1)}


def dtype(x):
    """The dtype of `x` as a standard string (`"float32"`, `"int64"`, ...); a Python
    bool, int or float reads as `"bool"`, `"int32"` or `floatx`, as Keras converts it."""
    value = value_of(x)
    found = getattr(value, "dtype", None)
    if found is None:
        found = getattr(x, "dtype", None)
    if found is not None:
        return dtype_name(found)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int32"
    if isinstance(value, float):
        return floatx()
    return dtype_name(current().asarray(value).dtype)


def _range(backend, name):
    if name in _BOUNDS:
        return _BOUNDS[name]
    dt = backend.dtype(name)
    info = backend.xp.iinfo(dt) if backend.isdtype(dt, "integral") else backend.finfo(dt)
    return info.min, info.max


def saturate_cast(x, dtype):
    """`x` cast to `dtype` with its values first clipped to the range `dtype` can hold
    (`[-1.5, 300.0]` to uint8 gives `[0, 255]` where a plain cast wraps around); the
    clip bound is moved inward where the input dtype cannot hold it exactly."""
    from kerasx.ops.math import clip
    from kerasx.ops.shape import cast

    backend = current()
    xp = backend.xp
    xv = value_of(x)
    xv = xv if backend.is_native(xv) else backend.asarray(xv)
    target = dtype_name(backend.dtype(floatx() if dtype is None else dtype))  # None: floatx
    source = dtype_name(xv.dtype)
    if target == "bool":  # every nonzero value saturates to True
        return Tensor(xv if source == "bool" else xv != 0)
    if source == "bool":  # 0 and 1 fit every type
        return cast(xv, target)
    in_low, in_high = _range(backend, source)
    out_low, out_high = _range(backend, target)
    low, high = max(in_low, out_low), min(in_high, out_high)
    bounds = xp.asarray([low, high], dtype=xv.dtype, device=backend.device)
    if backend.isdtype(xv.dtype, "real floating"):
        # a float bound may round outward (int32's largest is 2 ** 31 in float32)
        edges = xp.asarray([float(low), float(high)], dtype=backend.dtype("float64"),
                           device=backend.device)
        towards = xp.asarray([0.0, 0.0], dtype=xv.dtype, device=backend.device)
        wide = xp.astype(bounds, backend.dtype("float64"))
        moved = xp.nextafter(bounds, towards)
        bounds = xp.where((wide < edges[0]) | (wide > edges[1]), moved, bounds)
    low, high = bounds[0], bounds[1]
    return cast(clip(x if hasattr(value_of(x), "dtype") else xv, low, high), target)


def array(x, dtype=None):
    """`x` (a list, a scalar, a NumPy array, a tensor) as a tensor, cast to `dtype`
    when given; Python data takes Keras's dtypes (`[1, 2]` is int32, `[1.0]` floatx)."""
    from kerasx.ops.shape import convert_to_tensor

    return convert_to_tensor(x, dtype=dtype)


def empty_like(x, dtype=None):
    """An array of the shape of `x` (and its dtype, unless `dtype` is given) whose values
    are not set."""
    backend = current()
    xv = operand_value(x)
    xv = xv if backend.is_native(xv) else backend.asarray(xv)
    target = xv.dtype if dtype is None else backend.dtype(dtype)
    return Tensor(backend.xp.empty(tuple(xv.shape), dtype=target, device=backend.device))


def view(x, dtype=None):
    """The bytes of `x` read as `dtype` (no copy where the backend can share memory): a
    dtype of another item size rescales the last axis, as `numpy.ndarray.view`. Needs a
    backend whose arrays reinterpret memory (NumPy, CuPy)."""
    backend = current()
    xv = value_of(x)
    xv = xv if backend.is_native(xv) else backend.asarray(xv)
    if dtype is None:
        return Tensor(xv)
    reinterpret = getattr(xv, "view", None)
    if reinterpret is None:
        raise NotImplementedError(
            f"view: the {backend.name!r} backend's arrays cannot reinterpret their memory as "
            f"another dtype. Use the NumPy or CuPy backend, or `ops.cast` to convert values.")
    try:
        return Tensor(reinterpret(backend.dtype(dtype)))
    except ValueError as error:
        raise ValueError(f"view: an array of shape {tuple(xv.shape)} and dtype {xv.dtype} cannot "
                         f"be read as {dtype}: {error}") from None
