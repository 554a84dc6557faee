"""Fast NumPy batch normalization for a channels-last feature axis, checked against the
portable `kerasx.ops.normalization.fused_batch_normalization`.

NumPy's `sum(axis=0)` over a tall `(rows, channels)` matrix walks it row by row
(65,536 x 32: 1.1 ms); a vector-matrix product with ones sums the same rows in
0.18 ms. The kernels sum with such products and work in row blocks that stay in
cache, so the forward makes about five passes over the input and the backward
four, where the portable expression makes a dozen with as many fresh arrays.
"""

import math

import numpy as np

from kerasx.backends.numpy_kernels import ones_vector as _ones
from kerasx.backends.numpy_kernels import relu_in_place, wide
from kerasx.backends.numpy_trace_array import recordable_helper

_BLOCK_BYTES = 1 << 18


def _rows_per_block(channels, itemsize):
    return max(1, _BLOCK_BYTES // max(1, channels * itemsize))


@recordable_helper
def batch_norm_train(x, scale, offset, epsilon, relu=False):
    """`(out, mean, variance, saved)` for `x` of shape `(..., channels)` normalized over
    every other axis with the batch's own mean and biased variance; `scale` and
    `offset` are `(channels,)` vectors or None; `relu` applies the ReLU in the last
    pass. `saved` feeds `batch_norm_train_grad`."""
    channels = x.shape[-1]
    x2 = x.reshape(-1, channels)
    n, dtype = x2.shape[0], x2.dtype
    block = _rows_per_block(channels, x2.itemsize)
    if n <= block:
        return _batch_norm_train_small(x, x2, scale, offset, epsilon, relu)
    ones = _ones(min(block, n), dtype)
    mean = _ones(n, dtype) @ x2 / n
    xhat = np.empty_like(x2)
    tmp = np.empty((min(block, n), channels), dtype)
    sq = np.zeros(channels, dtype)
    per = math.gcd(n, block)  # the per-channel vectors act on `wide` rows of blocks
    _, (wide_mean,) = wide(x2, mean, per=per)
    for start in range(0, n, block):
        rows = slice(start, start + block)
        xb = xhat[rows]
        np.subtract(wide(x2[rows], per=per)[0], wide_mean, out=wide(xb, per=per)[0])
        t = tmp[:len(xb)]
        np.multiply(xb, xb, out=t)
        sq += ones[:len(xb)] @ t
    variance = sq / n
    rinv = 1.0 / np.sqrt(variance + epsilon)
    out = np.empty_like(x2)
    _, (wide_rinv, wide_scale, wide_offset) = wide(
        x2, rinv, *(np.zeros(0) if v is None else v for v in (scale, offset)), per=per)
    for start in range(0, n, block):
        rows = slice(start, start + block)
        xb, ob = wide(xhat[rows], per=per)[0], wide(out[rows], per=per)[0]
        xb *= wide_rinv
        if scale is None:
            np.copyto(ob, xb)
        else:
            np.multiply(xb, wide_scale, out=ob)
        if offset is not None:
            ob += wide_offset
        if relu:
            relu_in_place(ob)
    return out.reshape(x.shape), mean, variance, (xhat, rinv)


def _batch_norm_train_small(x, x2, scale, offset, epsilon, relu):
    # one cached block: the same operations as the blocked loops, without their
    # slicing and scratch arrays (a 32 x 64 batch: most of the cost is per call)
    n = x2.shape[0]
    ones = _ones(n, x2.dtype)
    mean = ones @ x2 / n
    xhat = x2 - mean
    variance = ones @ (xhat * xhat) / n
    rinv = 1.0 / np.sqrt(variance + epsilon)
    xhat *= rinv
    out = xhat.copy() if scale is None else xhat * scale
    if offset is not None:
        out += offset
    if relu:
        relu_in_place(out)
    return out.reshape(x.shape), mean, variance, (xhat, rinv)


def _masked(g2, out2, block):
    """`g2 * (out2 > 0)` in a new array, in cached row blocks."""
    masked = np.empty_like(g2)
    mask = np.empty((min(block, len(g2)), g2.shape[1]), dtype=bool)
    for start in range(0, len(g2), block):
        m = mask[:len(g2[start:start + block])]
        np.greater(out2[start:start + block], 0, out=m)
        np.multiply(g2[start:start + block], m, out=masked[start:start + block])
    return masked


@recordable_helper
def batch_moments(x2):
    """`(mean, biased variance)` of the columns of the `(rows, channels)` matrix `x2`,
    reading it twice and writing nothing of its size."""
    n, channels = x2.shape
    dtype = x2.dtype
    block = _rows_per_block(channels, x2.itemsize)
    ones = _ones(min(block, n), dtype)
    mean = _ones(n, dtype) @ x2 / n
    tmp = np.empty((min(block, n), channels), dtype)
    sq = np.zeros(channels, dtype)
    # the mean repeated along wide rows: a per-channel vector broadcast over narrow
    # rows runs one inner loop per row (`wide`)
    per = math.gcd(n, min(block, n))
    _, (wide_mean,) = wide(x2, mean, per=per)
    for start in range(0, n, block):
        t = tmp[:len(x2[start:start + block])]
        wide_t = wide(t, per=per)[0]
        np.subtract(wide(x2[start:start + block], per=per)[0], wide_mean, out=wide_t)
        np.multiply(wide_t, wide_t, out=wide_t)
        sq += ones[:len(t)] @ t
    return mean, sq / n


@recordable_helper
def batch_norm_train_grad(g, saved, scale, want_x, relu_out=None):
    """`(gx, gscale, goffset)` of `batch_norm_train` for the output gradient `g`;
    `gx` is None unless `want_x`. `relu_out` is the output when the forward applied
    the ReLU: the gradient is masked by it first, block by block."""
    xhat, rinv = saved
    channels = g.shape[-1]
    g2 = g.reshape(-1, channels)
    n, dtype = g2.shape[0], g2.dtype
    block = _rows_per_block(channels, g2.itemsize)
    if relu_out is not None:
        g2 = _masked(g2, relu_out.reshape(-1, channels), block)
    ones = _ones(min(block, n), dtype)
    goffset = _ones(n, dtype) @ g2
    if n <= block:  # one cached block, as in `_batch_norm_train_small`
        gscale = ones @ (g2 * xhat)
        gx = None
        if want_x:
            a = rinv if scale is None else rinv * scale
            gx = g2 * a
            gx -= xhat * (a * gscale / n)
            gx -= a * goffset / n
            gx = gx.reshape(g.shape)
        return gx, gscale, goffset
    gscale = np.zeros(channels, dtype)
    tmp = np.empty((min(block, n), channels), dtype)
    for start in range(0, n, block):
        rows = slice(start, start + block)
        t = tmp[:len(g2[rows])]
        np.multiply(g2[rows], xhat[rows], out=t)
        gscale += ones[:len(t)] @ t
    gx = None
    if want_x:
        # dx = a * (g - mean(g) - xhat * mean(g * xhat)) with a = scale / sqrt(var + eps)
        a = rinv if scale is None else rinv * scale
        shift, slope = a * goffset / n, a * gscale / n
        gx = np.empty_like(g2)
        per = math.gcd(n, block)  # the per-channel vectors act on `wide` rows of blocks
        _, (wide_a, wide_slope, wide_shift) = wide(g2, a, slope, shift, per=per)
        for start in range(0, n, block):
            rows = slice(start, start + block)
            gb, t = wide(gx[rows], per=per)[0], wide(tmp[:len(gx[rows])], per=per)[0]
            np.multiply(wide(g2[rows], per=per)[0], wide_a, out=gb)
            np.multiply(wide(xhat[rows], per=per)[0], wide_slope, out=t)
            gb -= t
            gb -= wide_shift
        gx = gx.reshape(g.shape)
    return gx, gscale, goffset


KERNELS = {"batch_norm_train": batch_norm_train, "batch_norm_train_grad": batch_norm_train_grad,
           "batch_moments": batch_moments}
