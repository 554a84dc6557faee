"""Pooling: one N-dimensional max/average primitive with its VJP.

Arrays are channels_last inside; `channels_first` inputs are transposed at the
edges. The forward pass combines one strided slice per window offset, so the
work is `prod(pool_size)` elementwise passes over the output. "same" padding
pads like TensorFlow and Keras; max pooling pads with -inf and average pooling
divides by the number of real (unpadded) elements under each window.
A backend may register faster `pool_forward` / `pool_backward` kernels with the
signatures of the portable functions below, and for max pooling a
`max_pool_forward(x, pool_size, strides)` returning `(out, offsets)` (or None to
decline) with its `max_pool_backward(offsets, dy, x_shape, pool_size, strides)`,
which keep the winning window offsets instead of the input, and
`max_pool_backward_affine(..., x, slope, intercept)` adding `x * slope + intercept`.
"""

import math

from kerasx.ops._helpers import Tensor, current, float_input, record, tracked, value_of
from kerasx.ops.conv import (check_window_fits, explicit_padding, from_channels_last, interior,
                             normalize_data_format, normalize_padding, normalize_tuple,
                             output_sizes, pad_spatial, to_channels_last, window_slices)

_MODES = ("max", "average")


def window_counts(sizes, pool_size, strides, pads):
    """Per spatial axis, the number of real elements under each window position."""
    counts = []
    for n, k, s, (lo, hi) in zip(sizes, pool_size, strides, pads):
        out = (n + lo + hi - k) // s + 1
        counts.append([min(o * s + k, n + lo) - max(o * s, lo) for o in range(out)])
    return counts


def _count_array(backend, counts, dtype):
    """The window sizes as a `(1, *out_sizes, 1)` array (the product of the per-axis counts)."""
    xp = backend.xp
    out = None
    n = len(counts)
    for axis, c in enumerate(counts):
        shape = [1] * (n + 2)
        shape[axis + 1] = len(c)
        a = xp.reshape(backend.asarray([float(v) for v in c], dtype=dtype), tuple(shape))
        out = a if out is None else out * a
    return out


def pool_forward(x, pool_size, strides, mode, counts=None):
    """Max or sum-divided-by-count over the windows of an already padded channels_last `x`.

    `counts` (a `(1, *out, 1)` array or None for full windows) divides the average.
    """
    xp = current().xp
    out_sizes = output_sizes(tuple(x.shape[1:-1]), pool_size, strides, [(0, 0)] * len(pool_size))
    out = None
    for index in window_slices(pool_size, (1,) * len(pool_size), strides, out_sizes):
        part = x[index]
        if out is None:
            out = part
        elif mode == "max":
            out = xp.maximum(out, part)
        else:
            out = out + part
    if mode == "average":
        out = out / (math.prod(pool_size) if counts is None else counts)
    return out


def pool_backward(x, out, dy, pool_size, strides, mode, counts=None):
    """The gradient of `pool_forward` with respect to its (padded) input `x`.

    Max pooling sends each window's gradient to its first maximal element (in
    window order), as TensorFlow and PyTorch do.
    """
    backend = current()
    xp = backend.xp
    out_sizes = tuple(dy.shape[1:-1])
    dx = xp.zeros(tuple(x.shape), dtype=dy.dtype, device=backend.device)
    disjoint = all(s >= k for s, k in zip(strides, pool_size))
    if mode == "average":
        dy = dy / (math.prod(pool_size) if counts is None else counts)
    taken = None
    for index in window_slices(pool_size, (1,) * len(pool_size), strides, out_sizes):
        if mode == "max":
            hit = x[index] == out
            if taken is None:
                taken = hit
            else:
                hit = hit & ~taken
                taken = taken | hit
            part = xp.where(hit, dy, 0.0)
        else:
            part = dy
        if disjoint:
            dx[index] = part
        else:
            dx[index] += part
    return dx


def pool(inputs, pool_size, strides=None, padding="valid", data_format=None, mode="max"):
    """Max or average pooling over the spatial axes of `inputs` as one tape node.

    Args:
        inputs: `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.
        pool_size: an int or one int per spatial axis.
        strides: an int or one int per spatial axis (default: `pool_size`).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `kerasx.config.image_data_format()`).
        mode: `"max"` or `"average"`.
    """
    backend = current()
    xp = backend.xp
    xv = value_of(inputs)
    if mode not in _MODES:
        raise ValueError(f"pool: mode must be one of {list(_MODES)}, received mode={mode!r}.")
    data_format = normalize_data_format(data_format)
    n = len(xv.shape) - 2
    if n < 1:
        raise ValueError(
            f"{mode}_pool expects an input of rank >= 3 (batch, *spatial, channels); received "
            f"shape {tuple(xv.shape)}. Add the missing batch or channel axis.")
    pool_size = normalize_tuple(pool_size, n, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, n, "strides")
    padding = normalize_padding(padding)
    x = to_channels_last(xp, xv, data_format)
    y, vjp_last = pool_channels_last(backend, x, pool_size, strides, padding, mode,
                                     tracked(inputs))
    del x
    out = from_channels_last(xp, y, data_format)
    if vjp_last is None:
        return Tensor(out)

    def vjp(g):
        g = to_channels_last(xp, g, data_format)
        return (from_channels_last(xp, vjp_last(g), data_format),)

    return record(out, (inputs,), vjp)


def pool_channels_last(backend, x, pool_size, strides, padding, mode, want_grad):
    """Pools a channels_last array: returns `(y, vjp)`, where `vjp(g)` maps the output
    gradient to the input gradient (both channels_last), or None unless `want_grad`;
    `vjp(g, plus=(x, slope, intercept))` also adds `x * slope + intercept`.

    Arguments are already normalized. The backward keeps only what it needs: the
    winning offsets when the backend's argmax kernel takes the input, else the padded
    input (max) or its shape (average).
    """
    xp = backend.xp
    sizes = tuple(x.shape[1:-1])
    pads = explicit_padding(padding, sizes, pool_size, strides)
    check_window_fits(f"{mode}_pool", sizes, pool_size, pads, padding)
    padded = any(lo or hi for lo, hi in pads)
    counts = None
    if mode == "average" and padded:
        counts = _count_array(backend, window_counts(sizes, pool_size, strides, pads),
                              x.dtype)
    xpad = pad_spatial(xp, x, pads, -float("inf") if mode == "max" else 0.0, backend.device)
    # the winning offsets are only worth their cost when a backward pass will read them
    argmax_fwd = backend.kernel("max_pool_forward") if mode == "max" and want_grad else None
    found = argmax_fwd(xpad, pool_size, strides) if argmax_fwd is not None else None
    if found is not None:
        # the kernel keeps the winning offsets, so the backward needs no input
        y, offsets = found
    else:
        fast_fwd = backend.kernel("pool_forward") or pool_forward
        y = fast_fwd(xpad, pool_size, strides, mode, counts)
    if not want_grad:
        return y, None
    fast_bwd = backend.kernel("pool_backward") or pool_backward
    keep = xpad if mode == "max" else _Shape(xpad.shape, xpad.dtype)
    padded_shape = tuple(xpad.shape)
    if found is not None:
        argmax_bwd = backend.kernel("max_pool_backward")
        affine_bwd = None if padded else backend.kernel("max_pool_backward_affine")
        keep = None
    full_shape = tuple(x.shape)
    del x, xpad

    def vjp(g, plus=None):
        # plus=(x, slope, intercept) adds `x * slope + intercept` (per channel) to the
        # result, in the same blocked pass where the backend has a kernel for it
        if found is not None and plus is not None and affine_bwd is not None:
            return affine_bwd(offsets, g, padded_shape, pool_size, strides, *plus)
        if found is not None:
            gpad = argmax_bwd(offsets, g, padded_shape, pool_size, strides)
        else:
            gpad = fast_bwd(keep, y, g, pool_size, strides, mode, counts)
        if padded:
            gpad = gpad[interior(full_shape, pads)]
        if plus is not None:  # `gpad` is this call's own array (or a view of it)
            gpad += plus[0] * plus[1]
            gpad += plus[2]
        return gpad

    return y, vjp


class _Shape:
    """Stands in for the input of average pooling, whose backward needs only its shape."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), dtype


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (`keras.ops.max_pool`); see `pool`."""
    return pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (`keras.ops.average_pool`); "same" padding averages over the
    real elements only; see `pool`. Integer inputs average as `floatx`, as in Keras."""
    return pool(float_input(inputs), pool_size, strides, padding, data_format, "average")


from kerasx.ops import pooling_grads  # noqa: E402,F401  (registers the differentiable rule)
