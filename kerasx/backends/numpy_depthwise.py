"""Depthwise convolutions (one input channel per group: the `DepthwiseConv*` layers and
the first half of `SeparableConv*`) on NumPy, registered by the NumPy backend.

Each output channel reads only its own input channel, so the convolution is, per
kernel tap, the shifted (and strided) input times that tap's per-channel weights,
added into the output: one elementwise product and one add per tap, with no im2col
matrix, over chunks of a few samples that stay in cache, on rows that merge the last
spatial axis with the channels. The grouped im2col path made a 9 times larger matrix
and one tiny product per channel. At 64 x 32x32x32 with a 3x3 kernel (ms,
forward and both gradients / forward alone): 397 / 144 through im2col, 28 / 10 here;
PyTorch's oneDNN kernels 13-23 / 1.0-1.6, and a full 32 -> 32 convolution here 40.

The backward is the same per tap: the output gradient times the tap's weights added
into the input gradient's shifted slice, and the tap's weight gradient as one
channel-wise sum of products (`np.einsum`, float32 sums within about 1e-5 of the
float64 ones over 65,536 terms).

A depth multiplier `m` above 1 (`m` filters per input channel, output channel
`c * m + j` reading channel `c`) is the multiplier-1 convolution of the input with
each channel repeated `m` times; the input gradient then sums each channel's `m`
copies. With `m = 2`, forward and both gradients / forward alone, minimum ms here
against the grouped im2col path: 64 x 16x16x32 20.6 / 4.2 against 43.2 / 11.6, 32 x
32x32x32 43.5 / 8.9 against 144.1 / 56.7 (`_multiplier` says which it takes).
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kerasx.backends.numpy_conv import _window_slices
from kerasx.backends.numpy_trace_array import recordable_helper


class Saved:
    """What the backward needs from a depthwise forward."""

    __slots__ = ("x", "weights", "taps", "kernel_shape", "multiplier")

    def __init__(self, x, weights, taps, kernel_shape, multiplier):
        self.x, self.weights, self.taps, self.kernel_shape = x, weights, taps, kernel_shape
        self.multiplier = multiplier


# The per-tap passes run over chunks of whole samples of about this many bytes, which
# stay in cache from one tap to the next (64 x 32x32x32, 3x3: 20.3 ms in one pass over
# the batch, 8.4 ms in chunks of one or two samples, 9.0-9.3 ms in chunks of 4-16).
_CHUNK_BYTES = 1 << 18


def _taps(x_shape, kernel_shape, strides, dilation):
    """The index of the input each kernel tap reads, in the kernel's row order."""
    window_shape = tuple(kernel_shape[:-2])
    out_sizes = tuple((size - (k - 1) * d - 1) // s + 1 for size, k, d, s in
                      zip(x_shape[1:-1], window_shape, dilation, strides))
    return _window_slices(window_shape, dilation, strides, out_sizes)


def _rows(view):
    """`view` with its last spatial axis and its channels as one axis, where its strides
    allow (a unit stride along that axis), else `view` itself. A per-channel vector
    broadcast over narrow rows of 32-64 channels runs one short inner loop per row;
    tiled to the whole row it runs at full speed (twice as fast)."""
    if view.strides[-2] != view.strides[-1] * view.shape[-1]:
        return view
    return as_strided(view, view.shape[:-2] + (view.shape[-2] * view.shape[-1],),
                      view.strides[:-2] + view.strides[-1:], writeable=view.flags.writeable)


def _tiled(weights, view, rows):
    """The taps' weights as `rows` of `view` read them: tiled along the merged axis."""
    return weights if rows is view else np.tile(weights, (1, view.shape[-2]))


def _chunks(batch, sample_bytes):
    """Slices of whole samples of about `_CHUNK_BYTES` each."""
    step = max(1, _CHUNK_BYTES // max(1, sample_bytes))
    return [slice(start, start + step) for start in range(0, batch, step)]


@recordable_helper
def conv_depthwise(x, kernel, strides, dilation, groups, want_x, want_w):
    """The valid depthwise convolution of the padded channels_last `x` by the grouped
    `kernel` `(*window, 1, channels * multiplier)`, as `(y, saved)` for
    `conv_depthwise_grads`; None for any other convolution (several channels per
    group, one channel, mixed or non-float dtypes). `want_x` / `want_w` say which
    gradients will be asked for."""
    multiplier = _multiplier(x, kernel, groups)
    if multiplier is None:
        return None
    if multiplier > 1:
        x = np.repeat(x, multiplier, axis=-1)
    channels = x.shape[-1]
    taps = _taps(x.shape, kernel.shape, strides, dilation)
    weights = kernel.reshape(-1, channels)
    y = np.empty(x[taps[0]].shape, dtype=x.dtype)
    out = _rows(y)
    reads = [_rows(x[index]) for index in taps]
    tiled = _tiled(weights, y, out)
    if reads[0].ndim != out.ndim:  # strided: the input's rows cannot merge
        reads = [x[index] for index in taps]
        out, tiled = y, weights
    product = np.empty((0,) + out.shape[1:], dtype=x.dtype)
    for rows in _chunks(len(y), y[:1].nbytes):
        target = out[rows]
        np.multiply(reads[0][rows], tiled[0], out=target)
        if len(product) != len(target):
            product = np.empty_like(target)
        for read, w in zip(reads[1:], tiled[1:]):
            np.multiply(read[rows], w, out=product)
            np.add(target, product, out=target)
    return y, Saved(x if want_w else None, weights, taps, tuple(kernel.shape), multiplier)


def _multiplier(x, kernel, groups):
    """The depth multiplier of a depthwise convolution this module takes, else None.

    A multiplier `m` above 1 is taken with at least `8 m` channels. The passes here
    grow with the output's channels, where the grouped im2col path's products grow with
    `m` at little cost; with few channels that path was faster (64 x 16x16, forward and
    both gradients, minimum ms here against there: 16 channels `m = 2` 9.6 against
    13.4, `m = 4` 15.8-17.0 against 14.8-15.1; 8 channels `m = 8` 13.7 against 9.9)."""
    channels, filters = x.shape[-1], kernel.shape[-1]
    if not (groups == channels > 1 and kernel.shape[-2] == 1 and filters % channels == 0
            and x.dtype == kernel.dtype and x.dtype.kind == "f"):
        return None
    multiplier = filters // channels
    return multiplier if multiplier == 1 or channels >= 8 * multiplier else None


@recordable_helper
def conv_depthwise_grads(dy, saved, x_shape, want_x, want_w):
    """`(input gradient, kernel gradient)` of `conv_depthwise` from the output's
    gradient `dy` (None for the one not wanted). The input gradient has `x_shape`,
    which may extend past the input the forward read (zeros there)."""
    dx = dw = None
    m = saved.multiplier
    if want_x:
        dx = np.zeros(tuple(x_shape[:-1]) + (x_shape[-1] * m,), dtype=dy.dtype)
        dy = np.ascontiguousarray(dy)
        grad = _rows(dy)
        writes = [_rows(dx[index]) for index in saved.taps]
        tiled = _tiled(saved.weights, dy, grad)
        if writes[0].ndim != grad.ndim:
            writes = [dx[index] for index in saved.taps]
            grad, tiled = dy, saved.weights
        product = np.empty((0,) + grad.shape[1:], dtype=dy.dtype)
        for rows in _chunks(len(dy), dy[:1].nbytes):
            source = grad[rows]
            if len(product) != len(source):
                product = np.empty_like(source)
            for write, w in zip(writes, tiled):
                np.multiply(source, w, out=product)
                target = write[rows]
                np.add(target, product, out=target)
        if m > 1:  # each input channel's copies, summed
            dx = dx.reshape(tuple(x_shape) + (m,)).sum(axis=-1)
    if want_w:
        x = saved.x
        axes = "abcdefgh"[:dy.ndim - 1]
        sums = f"{axes}z,{axes}z->z"  # over every axis but the channels'
        dw = np.empty((len(saved.taps), dy.shape[-1]), dtype=dy.dtype)
        for row, index in zip(dw, saved.taps):
            np.einsum(sums, x[index], dy, out=row)
        dw = dw.reshape(saved.kernel_shape)
    return dx, dw


# With a depth multiplier, inference repeats the input's channels in batch chunks of about
# this many bytes, not the whole predict batch at once (`m` times its padded input)
_REPEAT_CHUNK_BYTES = 8 << 20


@recordable_helper
def depthwise_inference(x, kernel, strides, dilation, groups):
    """The forward alone (`conv_depthwise` keeping nothing), or None where it declines."""
    multiplier = _multiplier(x, kernel, groups)
    if multiplier is None:
        return None
    step = max(1, _REPEAT_CHUNK_BYTES // max(1, x[:1].nbytes * multiplier))
    if multiplier == 1 or step >= len(x):
        return conv_depthwise(x, kernel, strides, dilation, groups, False, False)[0]
    out = None
    for start in range(0, len(x), step):
        y = conv_depthwise(x[start:start + step], kernel, strides, dilation, groups, False,
                           False)[0]
        if out is None:
            out = np.empty((len(x),) + y.shape[1:], dtype=y.dtype)
        out[start:start + len(y)] = y
    return out


KERNELS = {"conv_depthwise": conv_depthwise, "conv_depthwise_grads": conv_depthwise_grads,
           "conv_depthwise_inference": depthwise_inference}
