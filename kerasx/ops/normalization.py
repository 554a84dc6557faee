"""Normalization primitives: moments, batch, layer and RMS normalization.

Each is one tape node with its VJP beside the forward, so a normalization
layer costs one node per call instead of a dozen small ones.
"""

import math

from kerasx.backends.base import dtype_name
from kerasx.autodiff.broadcast import unbroadcast
from kerasx.autodiff.tape import record_multi
from kerasx.ops._helpers import (Tensor, as_dtype, as_float_operand, current, namespace,
                                 normalize_axes, record, shape_of, tracked, value_of)
from kerasx.ops.reduction import array_sum, averaged_operand


def _count(shape, axes):
    return math.prod(shape[a] for a in axes)


def _param_shape(shape, kept):
    """The broadcast shape of a parameter that varies only along the axes `kept`."""
    return tuple(n if i in kept else 1 for i, n in enumerate(shape))


def _as_broadcast(xp, value, bshape):
    """A parameter (1-D per-feature vector, or already broadcastable) reshaped to `bshape`."""
    if value is None:
        return None
    if len(value.shape) == len(bshape):
        return value
    return xp.reshape(value, bshape)


def _check_feature_vector(name, value, size):
    """Refuses a 1-D `batch_normalization` parameter whose length is not the feature
    axis's size, with Keras's wording (arrays of the input's rank broadcast instead)."""
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) == 1 and tuple(shape) != (size,):
        raise ValueError(f"batch_normalization: Arguments `{name}` must be a vector of length "
                         f"`x.shape[axis]`. Expected: `{(size,)}`. Received: `{tuple(shape)}`. "
                         f"Pass one value per feature of `axis`.")


def _reduce_to(xp, grad, bshape, shape):
    """Sums a full-size gradient down to a parameter of shape `shape` broadcast as `bshape`."""
    return xp.reshape(unbroadcast(xp, grad, bshape), shape)


def _check_axis(axis, nd, who):
    if not -nd <= axis < nd:
        raise ValueError(
            f"{who}: axis {axis} is out of bounds for an input of rank {nd}. "
            f"Use an axis in [{-nd}, {nd - 1}].")
    return axis % nd


_FLOAT16_MAX = 65504.0


def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and (biased) variance of `x` over `axes`, as one tape node.

    Args:
        x: input tensor.
        axes: the axes to reduce.
        keepdims: keep the reduced axes with size 1.
        synchronized: accepted for Keras compatibility (kerasx runs on one device).

    Returns:
        `(mean, variance)`.
    """
    backend = current()
    xp = backend.xp
    xv = averaged_operand(value_of(x))  # integers as float32, as Keras's JAX backend
    shape = tuple(xv.shape)
    axes = normalize_axes(axes, len(shape))
    # half precision: computed in float32, as Keras, then clipped to float16's range (as
    # Keras does for bfloat16 too) and cast back
    narrow = xv.dtype if dtype_name(xv.dtype) in ("float16", "bfloat16") else None
    work = xp.astype(xv, backend.dtype("float32")) if narrow is not None else xv
    mean = xp.mean(work, axis=axes, keepdims=True)
    centered = work - mean
    var = xp.mean(centered * centered, axis=axes, keepdims=True)
    if narrow is not None:
        mean = xp.astype(xp.clip(mean, -_FLOAT16_MAX, _FLOAT16_MAX), narrow)
        var = xp.astype(xp.clip(var, -_FLOAT16_MAX, _FLOAT16_MAX), narrow)
    kept = tuple(n for i, n in enumerate(shape) if i not in axes)
    outs = (mean, var) if keepdims else (xp.reshape(mean, kept), xp.reshape(var, kept))
    if not tracked(x):
        return Tensor(outs[0]), Tensor(outs[1])
    count = _count(shape, axes)
    kshape = tuple(mean.shape)

    def vjp(grads):
        g_mean, g_var = grads
        total = None
        if g_mean is not None:
            total = xp.reshape(g_mean, kshape) / count
        if g_var is not None:
            part = xp.reshape(g_var, kshape) * centered * (2.0 / count)
            total = part if total is None else total + part
        if total is not None and narrow is not None:
            total = xp.astype(total, narrow)
        return (None if total is None else xp.broadcast_to(total, shape),)

    return record_multi(outs, (x,), vjp)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset` along feature `axis`.

    `mean`, `variance`, `offset` and `scale` are per-feature vectors of length
    `x.shape[axis]` (or arrays broadcastable to `x`). One tape node, with
    gradients for every input.
    """
    xp = namespace()
    xv = value_of(x)
    shape = tuple(xv.shape)
    nd = len(shape)
    ax = _check_axis(axis, nd, "batch_normalization")
    bshape = _param_shape(shape, (ax,))
    mv, vv = value_of(mean), value_of(variance)
    ov = None if offset is None else value_of(offset)
    sv = None if scale is None else value_of(scale)
    for name, value in (("mean", mv), ("variance", vv), ("offset", ov), ("scale", sv)):
        _check_feature_vector(name, value, shape[ax])
    m = _as_broadcast(xp, mv, bshape)
    v = _as_broadcast(xp, vv, bshape)
    o = _as_broadcast(xp, ov, bshape)
    s = _as_broadcast(xp, sv, bshape)
    rinv = 1.0 / xp.sqrt(v + epsilon)
    inv = rinv if s is None else rinv * s
    # as Keras's JAX and TensorFlow backends: x * inv + (offset - mean * inv), two passes
    # over x and one new array instead of three of each
    shift = -m * inv if o is None else o - m * inv
    out = None
    fast = current().kernel("affine_channels") if ax == nd - 1 else None
    if fast is not None and inv.shape == shift.shape == bshape:
        out = fast(xv, xp.reshape(inv, (-1,)), xp.reshape(shift, (-1,)))
    if out is None:
        out = xv * inv
        out += shift
    if not tracked(x, mean, variance, offset, scale):
        return Tensor(out)

    def want(t):
        return t is not None and getattr(t, "tracked", False)

    def vjp(g):
        _ = epsilon  # kept in the closure: the recorded backward reads it here
        gx = g * inv if want(x) else None
        gm = _reduce_to(xp, -g * inv, tuple(m.shape), shape_of(mv)) if want(mean) else None
        gv = gs = go = None
        if want(variance) or want(scale):
            centered = xv - m
            if want(scale):
                gs = _reduce_to(xp, g * centered * rinv, tuple(s.shape), shape_of(sv))
            if want(variance):
                gvar = g * centered * (-0.5) * rinv * rinv * inv
                gv = _reduce_to(xp, gvar, tuple(v.shape), shape_of(vv))
        if want(offset):
            go = _reduce_to(xp, g, tuple(o.shape), shape_of(ov))
        return gx, gm, gv, go, gs

    return record(out, (x, mean, variance, offset, scale), vjp)


def fused_batch_normalization(x, axis=-1, scale=None, offset=None, epsilon=1e-3, relu=False):
    """Batch normalization with the statistics of this batch, as one tape node.

    Normalizes `x` over every axis but `axis` with its own mean and biased
    variance, then applies `scale` and `offset` (and with `relu=True` the ReLU, in
    the same passes). The VJP carries the gradient through the batch statistics
    (the classic three-term BatchNorm backward).

    Returns:
        `(outputs, mean, variance)`; `mean` and `variance` are per-feature
        Tensors that take no gradient (they feed the moving averages).
    """
    xp = namespace()
    xv = value_of(x)
    shape = tuple(xv.shape)
    nd = len(shape)
    ax = _check_axis(axis, nd, "fused_batch_normalization")
    red = tuple(i for i in range(nd) if i != ax)
    bshape = _param_shape(shape, (ax,))
    sv = None if scale is None else value_of(scale)
    ov = None if offset is None else value_of(offset)
    fast = _fused_batch_norm_kernel(x, xv, ax, scale, sv, offset, ov, epsilon, relu)
    if fast is not None:
        return fast
    s = _as_broadcast(xp, sv, bshape)
    o = _as_broadcast(xp, ov, bshape)
    mean = xp.mean(xv, axis=red, keepdims=True)
    centered = xv - mean
    var = xp.mean(centered * centered, axis=red, keepdims=True)
    rinv = 1.0 / xp.sqrt(var + epsilon)
    xhat = centered * rinv
    out = xhat if s is None else xhat * s
    if o is not None:
        out = out + o
    if relu:
        out = xp.maximum(out, 0.0)
    stats = (Tensor(xp.reshape(mean, (shape[ax],))), Tensor(xp.reshape(var, (shape[ax],))))
    if not tracked(x, scale, offset):
        return (Tensor(out),) + stats

    def vjp(g):
        _ = epsilon  # kept in the closure: the recorded backward reads it here
        if relu:
            g = g * xp.astype(out > 0, g.dtype)
        gx = gs = go = None
        if getattr(x, "tracked", False):
            dxhat = g if s is None else g * s
            gx = rinv * (dxhat - xp.mean(dxhat, axis=red, keepdims=True)
                         - xhat * xp.mean(dxhat * xhat, axis=red, keepdims=True))
        if scale is not None and getattr(scale, "tracked", False):
            gs = xp.reshape(array_sum(g * xhat, red), shape_of(sv))
        if offset is not None and getattr(offset, "tracked", False):
            go = xp.reshape(array_sum(g, red), shape_of(ov))
        return gx, gs, go

    return (record(out, (x, scale, offset), vjp),) + stats


def _fused_batch_norm_kernel(x, xv, ax, scale, sv, offset, ov, epsilon, relu):
    """`fused_batch_normalization` through the backend's kernels when the feature axis is
    the last one and the parameters are vectors (None when the backend has none)."""
    backend = current()
    forward = backend.kernel("batch_norm_train")
    if forward is None or ax != len(xv.shape) - 1 or any(
            v is not None and len(v.shape) != 1 for v in (sv, ov)):
        return None
    out, mean, var, saved = forward(xv, sv, ov, epsilon, relu)
    stats = (Tensor(mean), Tensor(var))
    if not tracked(x, scale, offset):
        return (Tensor(out),) + stats
    backward = backend.kernel("batch_norm_train_grad")

    def vjp(g):
        _ = epsilon  # kept in the closure: the recorded backward reads it here
        gx, gs, go = backward(g, saved, sv, getattr(x, "tracked", False),
                              out if relu else None)
        want_s = scale is not None and getattr(scale, "tracked", False)
        want_o = offset is not None and getattr(offset, "tracked", False)
        return gx, (gs if want_s else None), (go if want_o else None)

    return (record(out, (x, scale, offset), vjp),) + stats


def _feature_axes(axis, nd, who):
    axes = [axis] if isinstance(axis, int) else list(axis)
    return tuple(sorted(_check_axis(a, nd, who) for a in axes))


# float32 / float64 dtype objects met, by id: a look-up cheaper than a dtype's name
_FULL_PRECISION = {}


def _plain_precision(dtype, gv, bv=None):
    """Whether a normalization of an input of `dtype` (an array's dtype object) with
    weight arrays `gv`, `bv` (or None) computes as it is: a full-precision input and
    weights of its type (a dictionary look-up and two comparisons)."""
    return _FULL_PRECISION.get(id(dtype)) is dtype and (gv is None or gv.dtype == dtype) \
        and (bv is None or bv.dtype == dtype)


def _keras_precision(x, xv, params, values):
    """Keras computes a layer or RMS normalization in at least float32 with the weights
    cast to that type, and gives the input's dtype: `(x, params, result dtype)` cast
    so for a half-precision input or weights of another float type, else None. `xv` is
    the input read as a float, `values` the weights' arrays. Called only where
    `_plain_precision` fails. Integer and boolean inputs normalize as `floatx` and the
    result is cast back to their dtype, as in Keras."""
    dtype = xv.dtype
    name = dtype_name(getattr(value_of(x), "dtype", dtype))
    if name in ("float32", "float64"):
        _FULL_PRECISION[id(dtype)] = dtype
    elif name not in ("float16", "bfloat16"):
        compute = dtype_name(dtype)
        params = tuple(p if p is None or not hasattr(p, "dtype") else _cast(p, compute)
                       for p in params)
        return _cast(x, compute), params, name
    half = name in ("float16", "bfloat16")
    if not half and all(v is None or v.dtype == dtype for v in values):
        return None
    compute = "float32" if half else name
    params = tuple(p if p is None or not hasattr(p, "dtype") else as_dtype(p, compute)
                   for p in params)
    return (_cast(x, compute) if half else x), params, (name if half else None)


def _cast(x, dtype):
    from kerasx.ops.shape import cast

    return cast(x, dtype)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Normalizes each sample over `axis` (an int or a list), then scales and shifts.

    `gamma` and `beta` have the sizes of the normalized axes. With the
    deprecated `rms_scaling=True` the input is divided by its standard
    deviation without centering, as Keras does, and `beta` is ignored.
    One tape node.
    """
    from kerasx.config import epsilon as default_epsilon

    if rms_scaling:
        _warn_rms_scaling()
    raw = value_of(x)
    xv = as_float_operand(raw)  # integers normalize as floatx
    gv = None if gamma is None else value_of(gamma)
    bv = None if beta is None or rms_scaling else value_of(beta)
    cast_to = None if xv is raw and _plain_precision(xv.dtype, gv, bv) else \
        _keras_precision(x, xv, (gamma, beta), (gv, bv))
    if cast_to is not None:
        x, (gamma, beta), out_dtype = cast_to
        out = layer_normalization(x, gamma, beta, axis, epsilon, rms_scaling)
        return out if out_dtype is None else _cast(out, out_dtype)
    eps = default_epsilon() if epsilon is None else float(epsilon)
    xp = namespace()
    shape = tuple(xv.shape)
    nd = len(shape)
    axes = _feature_axes(axis, nd, "layer_normalization")
    others = tuple(i for i in range(nd) if i not in axes)
    bshape = _param_shape(shape, axes)
    use_beta = bv is not None
    if axes == (nd - 1,) and not rms_scaling:
        fast = _fast_layer_norm(x, xv, gamma, gv, beta if use_beta else None, bv, eps)
        if fast is not None:
            return fast
    gb = _as_broadcast(xp, gv, bshape)
    bb = _as_broadcast(xp, bv, bshape)
    mean = xp.mean(xv, axis=axes, keepdims=True)
    centered = xv - mean
    rinv = 1.0 / xp.sqrt(xp.mean(centered * centered, axis=axes, keepdims=True) + eps)
    xhat = xv * rinv if rms_scaling else centered * rinv
    out = xhat if gb is None else xhat * gb
    if bb is not None:
        out = out + bb
    if not tracked(x, gamma, beta if use_beta else None):
        return Tensor(out)

    def vjp(g):
        _ = eps  # kept in the closure: the recorded backward reads it here
        gx = gg = gbeta = None
        if getattr(x, "tracked", False):
            dxhat = g if gb is None else g * gb
            if rms_scaling:
                gx = rinv * dxhat - rinv ** 3 * centered * xp.mean(dxhat * xv, axis=axes,
                                                                    keepdims=True)
            else:
                gx = rinv * (dxhat - xp.mean(dxhat, axis=axes, keepdims=True)
                             - xhat * xp.mean(dxhat * xhat, axis=axes, keepdims=True))
        if gamma is not None and getattr(gamma, "tracked", False):
            gg = xp.reshape(array_sum(g * xhat, others) if others else g * xhat, shape_of(gv))
        if use_beta and getattr(beta, "tracked", False):
            gbeta = xp.reshape(array_sum(g, others) if others else g, shape_of(bv))
        return gx, gg, gbeta

    return record(out, (x, gamma, beta if use_beta else None), vjp)


def _warn_rms_scaling():
    import warnings

    warnings.warn(
        "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales "
        "the input by the variance, not the root mean square. To correctly use RMS "
        "Normalization, please use `keras.ops.rms_normalization` / "
        "`keras.ops.nn.rms_normalization` instead.", UserWarning, stacklevel=3)


def _fast_layer_norm(x, xv, gamma, gv, beta, bv, eps):
    """Layer normalization over the last axis through the backend's kernels, as one tape
    node; None where the backend has none or declines."""
    backend = current()
    forward = backend.kernel("layer_norm_last_axis")
    parts = None if forward is None else forward(xv, gv, bv, eps)
    if parts is None:
        return None
    out, saved = parts
    if not tracked(x, gamma, beta):
        return Tensor(out)
    backward = backend.kernel("layer_norm_last_axis_grad")
    flags = [getattr(v, "tracked", False) for v in (x, gamma, beta)]

    def vjp(g):
        _ = eps, x  # kept in the closure: the recorded backward reads them here
        gx, gg, gbeta = backward(g, saved, gv, *flags)
        return (gx, None if gg is None else gg.reshape(gv.shape),
                None if gbeta is None else gbeta.reshape(bv.shape))

    return record(out, (x, gamma, beta), vjp)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x ** 2, axis) + epsilon) * scale`, as one tape node."""
    from kerasx.config import epsilon as default_epsilon

    raw = value_of(x)
    xv = as_float_operand(raw)  # integers normalize as floatx
    sv = None if scale is None else value_of(scale)
    cast_to = None if xv is raw and _plain_precision(xv.dtype, sv) else \
        _keras_precision(x, xv, (scale,), (sv,))
    if cast_to is not None:
        x, (scale,), out_dtype = cast_to
        out = rms_normalization(x, scale, axis, epsilon)
        return out if out_dtype is None else _cast(out, out_dtype)
    eps = default_epsilon() if epsilon is None else float(epsilon)
    xp = namespace()
    shape = tuple(xv.shape)
    nd = len(shape)
    axes = _feature_axes(axis, nd, "rms_normalization")
    others = tuple(i for i in range(nd) if i not in axes)
    sb = _as_broadcast(xp, sv, _param_shape(shape, axes))
    rinv = 1.0 / xp.sqrt(xp.mean(xv * xv, axis=axes, keepdims=True) + eps)
    xhat = xv * rinv
    out = xhat if sb is None else xhat * sb
    if not tracked(x, scale):
        return Tensor(out)

    def vjp(g):
        _ = eps  # kept in the closure: the recorded backward reads it here
        gx = gs = None
        if getattr(x, "tracked", False):
            dxhat = g if sb is None else g * sb
            gx = rinv * dxhat - rinv ** 3 * xv * xp.mean(dxhat * xv, axis=axes, keepdims=True)
        if scale is not None and getattr(scale, "tracked", False):
            gs = xp.reshape(array_sum(g * xhat, others) if others else g * xhat, shape_of(sv))
        return gx, gs

    return record(out, (x, scale), vjp)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x / max(norm(x, order, axis), epsilon)` (Keras's `ops.normalize`).

    The L2 case (the default) is one tape node computing
    `x * min(rsqrt(sum(x ** 2)), 1 / epsilon)` as Keras does; other orders
    are composed from differentiable ops.
    """
    from kerasx.config import epsilon as default_epsilon

    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: Argument `order` must be an int >= 1. Received: "
                         f"order={order!r}. Use 1 for the L1 norm, 2 for L2, ...")
    eps = default_epsilon() if epsilon is None else float(epsilon)
    if order != 2:
        from kerasx.ops.math import abs as _abs, divide, maximum, power
        from kerasx.ops.reduction import sum as _sum

        norm = power(_sum(power(_abs(x), float(order)), axis=axis, keepdims=True), 1.0 / order)
        return divide(x, maximum(norm, eps))
    xp = namespace()
    xv = value_of(x)
    axes = normalize_axes(axis, len(xv.shape))
    square_sum = xp.sum(xv * xv, axis=axes, keepdims=True)
    limited = square_sum < eps * eps  # the norm is below epsilon: x / epsilon
    inv = xp.where(limited, 1.0 / eps, 1.0 / xp.sqrt(xp.where(limited, 1.0, square_sum)))
    out = xv * inv
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        radial = inv ** 3 * xv * xp.sum(g * xv, axis=axes, keepdims=True)
        return (xp.where(limited, g * inv, g * inv - radial),)

    return record(out, (x,), vjp)


from kerasx.ops import normalization_grads  # noqa: E402,F401  (registers the rules)
