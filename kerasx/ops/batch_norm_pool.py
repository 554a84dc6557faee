"""Batch normalization with the batch's statistics, an activation that commutes with max,
and the max pooling after them, as one tape node (training mode).

With the batch statistics, normalization is a per-channel affine map `a x + b`
(`a = gamma / sqrt(variance + epsilon)`, `b = beta - mean a`). Where `a >= 0` max
pooling commutes with it; where `a < 0` it turns into min pooling. So the node
pools `s x` (`s` the sign of `a`, a pass only when some `a` is negative) and applies
`|a| p + b` and the ReLU to the pooled array, a quarter of the size for 2x2
pooling, instead of normalizing, activating and then pooling the full array.

The backward pass needs no normalized copy of the input either. The output's
gradient reaches the normalization's output only at the winning positions, so
the sums of the classic three-term backward (`sum g`, `sum g xhat`) are sums over
the pooled array, and the input gradient is `a G + x alpha + beta'`: the routed
gradient plus one per-channel affine pass over the input.

Ties in a window go to the first maximum of `s x`; values compared are those of
the input, which differ from the unfused ones only where the normalization rounds
two different inputs to the same output.
"""

from importlib import import_module

import math

from kerasx.ops._helpers import Tensor, current, record, relu_of_fresh, tracked, value_of
from kerasx.ops.conv import (from_channels_last, normalize_data_format, normalize_padding,
                             normalize_tuple, to_channels_last)
from kerasx.ops.pooling import pool_channels_last


def batch_norm_max_pool(inputs, scale, offset, epsilon, pool_size, pool_strides, pool_padding,
                        data_format, relu):
    """`max_pool(act(batch_norm(inputs)))` with the statistics of this batch.

    Args:
        inputs: `(batch, *spatial, channels)` (`channels_last`) or `(batch, channels,
            *spatial)`; normalized over every axis but the channels.
        scale, offset: `(channels,)` gamma and beta, or None.
        epsilon: added to the variance.
        pool_size, pool_strides: an int or one int per spatial axis (strides default
            to `pool_size`); pool_padding: `"valid"` or `"same"`.
        relu: apply the ReLU (else no activation; the caller applies any other
            activation that commutes with max to the result).

    Returns:
        `(outputs, mean, variance)`; `mean` and the biased `variance` are per-channel
        Tensors that take no gradient (they feed the moving averages).
    """
    backend = current()
    xp = backend.xp
    xv, sv = value_of(inputs), None if scale is None else value_of(scale)
    ov = None if offset is None else value_of(offset)
    data_format = normalize_data_format(data_format)
    n = len(xv.shape) - 2
    pool_size = normalize_tuple(pool_size, n, "pool_size")
    pool_strides = pool_size if pool_strides is None else normalize_tuple(pool_strides, n,
                                                                          "strides")
    pool_padding = normalize_padding(pool_padding)
    x = to_channels_last(xp, xv, data_format)
    channels = x.shape[-1]
    count = math.prod(x.shape[:-1])
    moments = backend.kernel("batch_moments")
    if moments is not None:
        mean, variance = moments(xp.reshape(x, (count, channels)))
    else:
        red = tuple(range(x.ndim - 1))
        mean = xp.mean(x, axis=red)
        centered = x - mean
        variance = xp.mean(centered * centered, axis=red)
        del centered
    rinv = 1.0 / xp.sqrt(variance + epsilon)
    a = rinv if sv is None else sv * rinv
    shift = -mean * a if ov is None else ov - mean * a
    flipped = bool(xp.any(a < 0))
    sign = xp.where(a < 0, -xp.ones_like(a), xp.ones_like(a)) if flipped else None
    want = tracked(inputs, scale, offset)
    pooled, route = pool_channels_last(backend, _affine(backend, x, sign) if flipped else x,
                                       pool_size, pool_strides, pool_padding, "max", want)
    out = _affine(backend, pooled, xp.abs(a), shift)
    if relu:
        out = relu_of_fresh(backend, out)
    stats = (Tensor(mean), Tensor(variance))
    result = from_channels_last(xp, out, data_format)
    if not want:
        return (Tensor(result),) + stats
    del xv
    rows = math.prod(out.shape[:-1])

    def vjp(g):
        g = to_channels_last(xp, g, data_format)
        if relu:
            g = g * xp.astype(out > 0, g.dtype)
        # the normalized input at each winner
        winners = _affine(backend, pooled, sign) if flipped else pooled
        xhat = _affine(backend, winners, rinv, -mean * rinv)
        # column sums as products with ones: NumPy's sum over the leading axes walks
        # the rows one by one (several times slower)
        ones = xp.ones((rows,), dtype=g.dtype, device=backend.device)
        g_offset = ones @ xp.reshape(g, (rows, channels))
        g_scale = ones @ xp.reshape(g * xhat, (rows, channels))
        gx = gs = go = None
        if getattr(inputs, "tracked", False):
            slope = -a * rinv * g_scale / count
            intercept = -a * g_offset / count - mean * slope
            routed = route(_affine(backend, g, a), plus=(x, slope, intercept))
            gx = from_channels_last(xp, routed, data_format)
        if scale is not None and getattr(scale, "tracked", False):
            gs = g_scale
        if offset is not None and getattr(offset, "tracked", False):
            go = g_offset
        return gx, gs, go

    # the arguments of the unfused ops, for the differentiable rule (`fused_grads`)
    vjp.unfused = {"epsilon": epsilon, "pool": (pool_size, pool_strides, pool_padding)}
    return (record(result, (inputs, scale, offset), vjp),) + stats


def _affine(backend, v, scale, shift=None):
    """`v * scale + shift` with per-channel vectors (a backend's `affine_channels` kernel
    may take it)."""
    fast = backend.kernel("affine_channels")
    out = None if fast is None else fast(v, scale, shift)
    if out is None:
        out = v * scale if shift is None else v * scale + shift
    return out


# registers the differentiable rules of the fused nodes
import_module("kerasx.ops.fused_grads")
