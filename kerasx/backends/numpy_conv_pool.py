"""NumPy kernels for a convolution followed by non-overlapping max or average pooling
(`kerasx.ops.conv_pool`), for inputs with few channels that take no gradient (a
network's first layer).

The im2col rows of each sample are laid out pooling-offset major: block `o` holds
the patches of the convolution positions at offset `o` inside every pooling
window. A product then gives the convolution as `prod(pool_size)` contiguous
blocks per sample, pooling is an elementwise maximum (or sum) over those blocks,
and the kernel gradient is one product of the same rows with the routed output
gradient. Nothing the size of the convolution output is ever scattered or strided
over, and each batch chunk is pooled while its product is in cache. On the MNIST
convnet's first layer (28x28x1 -> 32 filters 3x3 -> 2x2 pooling, batch 128) forward
and backward take 4.2-4.4 ms against 11.8 ms for the separate convolution and
pooling nodes; the forward alone at batch 1024, 25.9 ms against 61.1 ms for the
portable fused path.
"""

import functools
import itertools
import math

import numpy as np

from kerasx.backends.numpy_blas import one_thread
from kerasx.backends.numpy_kernels import relu_in_place
from kerasx.backends.numpy_offset_major import max_of_blocks
from kerasx.backends.numpy_trace_array import recordable_helper

_NAN_OFFSET = 255


@recordable_helper
def conv_max_pool_blocked(x, kernel, strides, dilation, pool_size, pool_sizes, forward_only):
    """`(pooled, offsets, cols)` for the padded channels_last `x`, or None to decline.

    `pooled` is the raw (no bias) maximum `(batch, *pool_sizes, filters)`;
    `offsets` (uint8, same shape) the first maximal position inside each window,
    255 where the maximum is NaN (no gradient, as in the portable pooling
    backward), None with `forward_only`; `cols` the blocked im2col matrix kept for the
    kernel gradient (with `forward_only`, one chunk's, reused by every chunk).
    Works in batch chunks whose products stay in cache. With `forward_only` (no
    gradient will be taken) it declines convolution outputs under 8 MB and inputs
    with more than one channel, which the portable path computes faster.
    """
    # sizes by `math.prod` (`np.prod` costs microseconds a call, which a small eager
    # convolution that this kernel declines would pay)
    k = math.prod(pool_size)
    if k >= _NAN_OFFSET or kernel.shape[-2] >= _MAX_CHANNELS:
        return None
    window_shape = kernel.shape[:-2]
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    batch, positions = x.shape[0], math.prod(pool_sizes)
    taps = math.prod(window_shape)
    dtype = np.result_type(x, kernel)
    if forward_only and (cin > 1 or batch * k * positions * filters * dtype.itemsize
                         < _MIN_FORWARD_BYTES):
        return None
    rows = min(batch, _chunk_rows(k, positions, max(filters, taps * cin), dtype)) \
        if forward_only else batch
    cols = np.empty((rows, k, positions, taps * cin), dtype=dtype)
    pooled = np.empty((batch, positions, filters), dtype=dtype)
    chunks = _blocked_products(x, kernel, strides, dilation, pool_size, pool_sizes, cols)
    chunk = next(chunks)
    if forward_only:
        # no gradient: the maximum alone, a pass per block (finding the winners took four)
        for start, stop, y in chunks:
            np.maximum(y[:, 0], y[:, 1], out=pooled[start:stop]) if k > 1 else \
                np.copyto(pooled[start:stop], y[:, 0])
            for o in range(2, k):
                np.maximum(pooled[start:stop], y[:, o], out=pooled[start:stop])
        return pooled.reshape((batch,) + tuple(pool_sizes) + (filters,)), None, cols
    offsets = np.empty(pooled.shape, dtype=np.uint8)
    greater = np.empty((min(chunk, batch), positions, filters), dtype=bool)
    step = np.empty(greater.shape, dtype=np.uint8)
    for start, stop, y in chunks:
        max_of_blocks(y, pooled[start:stop], offsets[start:stop], greater[:stop - start],
                      step[:stop - start])
    if dtype.kind == "f":
        nan = np.isnan(pooled)
        if nan.any():
            offsets[nan] = _NAN_OFFSET
    shape = (batch,) + tuple(pool_sizes) + (filters,)
    return pooled.reshape(shape), offsets, cols


def _blocked_products(x, kernel, strides, dilation, pool_size, pool_sizes, cols, bias=None):
    """Fills the blocked im2col matrix `cols` `(batch, blocks, positions, width)` of `x`
    one cache-sized batch chunk at a time. Yields the chunk size first, then
    `(start, stop, y)` per chunk, `y` being that chunk's convolution `(stop - start,
    blocks, positions, filters)`, valid until the next chunk. With a `bias`, the last
    column of `cols` is ones and the product adds the bias as its last term. A `cols`
    of fewer rows than `x` (at least a chunk's) is reused for every chunk."""
    window_shape = kernel.shape[:-2]
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    batch = x.shape[0]
    k, positions, width = cols.shape[1:]
    sources = _patch_sources(tuple(window_shape), tuple(strides), tuple(dilation),
                             tuple(pool_size), tuple(pool_sizes))
    w = kernel.reshape(-1, filters)
    if bias is not None:
        w = np.concatenate([w, bias.reshape(1, filters)])
        cols[..., -1] = 1
    chunk = _chunk_rows(k, positions, max(filters, width), cols.dtype)
    yield chunk
    reused = len(cols) < batch
    for start in range(0, batch, chunk):
        stop = min(start + chunk, batch)
        c = cols[:stop - start] if reused else cols[start:stop]
        view = c.reshape((stop - start, k) + tuple(pool_sizes) + (width,))
        for o, p, index in sources:
            view[:, o, ..., p * cin:(p + 1) * cin] = x[(slice(start, stop),) + index]
        yield start, stop, (c.reshape(-1, width) @ w).reshape(stop - start, k, positions,
                                                              filters)


def _chunk_rows(blocks, positions, width, dtype):
    """Samples per batch chunk: their `(blocks, positions, width)` arrays stay in cache."""
    return max(1, _CHUNK_BYTES // (blocks * positions * width * np.dtype(dtype).itemsize))


@recordable_helper
def conv_avg_pool_blocked(x, kernel, bias, strides, dilation, pool_size, pool_sizes, relu,
                          forward_only):
    """`(pooled, saved)` for the padded channels_last `x`, or None to decline.

    `pooled` is `avg_pool(act(conv(x) + bias))` `(batch, *pool_sizes, filters)`, with
    `act` ReLU (`relu`) or the identity and `bias` None for none; each window's
    values are added in window order and divided by their count, as the portable
    average pooling does. The bias rides through the product as a column of ones
    (and its gradient through the kernel gradient's product): at batch 128 on 26x26x1
    -> 32 filters, forward 4.9 -> 4.2 ms and backward 3.25 -> 2.3 ms against adding
    it to the whole convolution output and summing its gradient separately.
    `saved` (None with `forward_only`) holds the blocked im2col matrix and the ReLU's
    mask for `conv_avg_pool_blocked_grad`.

    Declines inputs of more than one channel: with 3 or 4 the portable path was as
    fast or faster (128 x 32x32x3 -> 32 filters 3x3, forward and backward: 17.9
    against 18.5 ms; 128 x 16x16x4 -> 16: 2.8 against 3.1 ms). For one channel it
    wins at every batch size, forward only too (28x28x1 -> 32 filters, 2x2 windows:
    5.9 against 10.1 ms forward and backward at batch 128; forward only 0.83 against
    1.05 ms at batch 16, 11.2 against 13.4 ms at 256).
    """
    k = int(np.prod(pool_size))
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    if cin != 1:
        return None
    batch, positions = x.shape[0], int(np.prod(pool_sizes))
    taps = int(np.prod(kernel.shape[:-2]))
    dtype = np.result_type(x, kernel) if bias is None else np.result_type(x, kernel, bias)
    width = taps * cin + (bias is not None)
    rows = min(batch, _chunk_rows(k, positions, max(filters, width), dtype)) if forward_only \
        else batch
    cols = np.empty((rows, k, positions, width), dtype=dtype)
    pooled = np.empty((batch, positions, filters), dtype=dtype)
    mask = None if forward_only or not relu else np.empty((batch, k, positions, filters), bool)
    chunks = _blocked_products(x, kernel, strides, dilation, pool_size, pool_sizes, cols,
                               bias)
    next(chunks)
    for start, stop, y in chunks:
        if relu:
            relu_in_place(y)
            if mask is not None:
                np.greater(y, 0, out=mask[start:stop])
        out = pooled[start:stop]
        np.add(y[:, 0], y[:, 1], out=out) if k > 1 else np.copyto(out, y[:, 0])
        for o in range(2, k):
            out += y[:, o]
        out /= k
    shape = (batch,) + tuple(pool_sizes) + (filters,)
    return pooled.reshape(shape), None if forward_only else (cols, mask, bias is not None)


@recordable_helper
def conv_avg_pool_blocked_grad(g, saved, kernel_shape):
    """`(kernel gradient, bias gradient or None)` from the pooled output's gradient `g`:
    each window's share `g / count` goes to every block, through the ReLU's mask
    when there was one, then times the blocked im2col rows (whose column of ones
    gives the bias gradient), one cache-sized batch chunk at a time."""
    cols, mask, has_bias = saved
    filters = kernel_shape[-1]
    batch, k, positions, width = cols.shape
    share = g.reshape(batch, positions, filters) / k
    chunk = max(1, _CHUNK_BYTES // (k * positions * filters * share.itemsize))
    routed = np.empty((min(chunk, batch), k, positions, filters), dtype=share.dtype)
    dw = np.zeros((width, filters), dtype=np.result_type(cols, share))
    for start in range(0, batch, chunk):
        stop = min(start + chunk, batch)
        r = routed[:stop - start]
        for o in range(k):
            if mask is None:
                r[:, o] = share[start:stop]
            else:
                np.multiply(share[start:stop], mask[start:stop, o], out=r[:, o])
        _add_kernel_grad(dw, cols[start:stop].reshape(-1, width), r.reshape(-1, filters))
    if has_bias:
        return dw[:-1].reshape(kernel_shape), dw[-1]
    return dw.reshape(kernel_shape), None


def _add_kernel_grad(dw, c, r):
    """`dw += c.T @ r`; a skinny product runs far faster in row blocks, on one BLAS
    thread (see numpy_conv.conv_kernel_grad)."""
    if c.shape[1] >= 32:
        dw += c.T @ r
        return
    with one_thread():
        for row in range(0, len(c), _SKINNY_ROWS):
            dw += c[row:row + _SKINNY_ROWS].T @ r[row:row + _SKINNY_ROWS]


@functools.lru_cache(maxsize=64)
def _patch_sources(window_shape, strides, dilation, pool_size, pool_sizes):
    """`(pool offset, kernel tap, input slice)` for every pair: the input values that
    the convolution positions at that pooling offset read through that tap."""
    sources = []
    pool_offsets = itertools.product(*[range(p) for p in pool_size])
    for o, offset in enumerate(pool_offsets):
        taps = itertools.product(*[range(w) for w in window_shape])
        for p, tap in enumerate(taps):
            index = tuple(
                slice(a * s + t * d, a * s + t * d + s * q * (m - 1) + 1, s * q)
                for a, t, s, d, q, m in zip(offset, tap, strides, dilation, pool_size,
                                            pool_sizes)) + (slice(None),)
            sources.append((o, p, index))
    return sources


@recordable_helper
def conv_max_pool_blocked_grad(g, offsets, cols, kernel_shape):
    """The kernel gradient from the pooled output's gradient `g` (bias and ReLU
    already taken out): `g` routed to each window's winning block, times `cols`,
    one cache-sized batch chunk at a time."""
    filters = kernel_shape[-1]
    batch, k, positions, width = cols.shape
    g3 = g.reshape(batch, positions, filters)
    off = offsets.reshape(g3.shape)
    chunk = max(1, _CHUNK_BYTES // (k * positions * filters * g3.itemsize))
    routed = np.empty((min(chunk, batch), k, positions, filters), dtype=g3.dtype)
    hit = np.empty((min(chunk, batch), positions, filters), dtype=g3.dtype)
    dw = np.zeros((width, filters), dtype=np.result_type(cols, g3))
    for start in range(0, batch, chunk):
        stop = min(start + chunk, batch)
        r, h = routed[:stop - start], hit[:stop - start]
        for o in range(k):
            np.equal(off[start:stop], o, out=h, casting="unsafe")
            np.multiply(g3[start:stop], h, out=r[:, o])
        _add_kernel_grad(dw, cols[start:stop].reshape(-1, width), r.reshape(-1, filters))
    return dw.reshape(kernel_shape)


_SKINNY_ROWS = 2048


# With more input channels the strided patch copies cost more than the blocked layout
# saves (measured: 32 channels, 13x13 -> 64 filters 3x3: 8.1 ms against 5.6 ms for the
# portable path; 1 channel 25.9 against 61.1 ms, 3 channels 69 against 84 ms).
_MAX_CHANNELS = 8

# Forward only, the portable path is faster below this output size (first convnet layer,
# 28x28x1 -> 32 filters: portable 1.19 ms against blocked 1.31 ms at batch 64, 3.1 against
# 2.7 ms at batch 128); with a backward the blocked kernel is faster from batch 1 up
# (152 against 147 us; 8.1 against 5.0 ms at batch 128). With more than one input
# channel the portable path, in its cache-sized batch chunks with the transposed
# im2col, is faster at any size forward only (32x32x3 -> 32 filters 3x3 "same", predict
# at batch 1024: 6,213 against 3,316 samples/s for a two-block convnet).
_MIN_FORWARD_BYTES = 8 << 20

# products of about this size stay in cache between the GEMM and the pooling passes
_CHUNK_BYTES = 2 << 20


KERNELS = {
    "conv_avg_pool_blocked": conv_avg_pool_blocked,
    "conv_avg_pool_blocked_grad": conv_avg_pool_blocked_grad,
    "conv_max_pool_blocked": conv_max_pool_blocked,
    "conv_max_pool_blocked_grad": conv_max_pool_blocked_grad,
}
