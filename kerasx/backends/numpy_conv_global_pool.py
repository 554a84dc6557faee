"""The gradients of a convolution followed by global max pooling, from the winning
positions only (the NumPy kernel `conv_global_max_pool_grads` of
`kerasx.ops.conv_pool.conv_global_max_pool`).

After global max pooling the convolution's output gradient is zero except at one
position per sample and filter, so the dense products waste nearly all their
work: the text CNN's kernel gradient is a (320 x 12,544) by (12,544 x 128)
product for 8,192 nonzero entries. Here the kernel gradient gathers the im2col
row under each winner (a batched product over the batch per filter), and the
input gradient multiplies only the output rows that won for some filter and
adds each window offset's part into its own rows. The text CNN's training step
went from 34.4 to 25.2 ms (A/B in one process).
"""

import math

import numpy as np

from kerasx.backends.numpy_conv import conv_input_grad

# above this share of winning output rows the dense input gradient is cheaper (64 x 196
# positions, 64 channels, window 5: 1.3 against 4.1 ms at a share of 0.15, 18.4 against
# 29.6 ms at 0.73, 41.3 against 38.5 ms at 0.93)
_SPARSE_ROWS = 0.85


def conv_global_max_pool_grads(y, pooled, g, cols, kernel, padded_shape, strides, dilation,
                               groups, want_x, want_w):
    """`(padded input gradient or None, kernel gradient or None)`, or None to decline.

    `y` is the convolution output `(batch, *positions, filters)`, `pooled` its maximum
    over the positions, `g` the gradient of that maximum and `cols` the im2col
    matrix (None without a kernel gradient). Declines grouped convolutions and any
    (sample, filter) whose maximum is tied or NaN, which the dense path handles.
    """
    batch, filters = y.shape[0], y.shape[-1]
    positions = math.prod(y.shape[1:-1])
    if groups != 1 or positions >= 1 << 24 or y.size == 0:
        return None
    hits = np.equal(y.reshape(batch, positions, filters), pooled.reshape(batch, 1, filters))
    # count and locate the winners with one batched product: rows 1 and arange(positions)
    probe = np.stack([np.ones(positions, y.dtype), np.arange(positions, dtype=y.dtype)])
    found = np.matmul(probe, hits.astype(y.dtype))  # (batch, 2, filters)
    if not np.all(found[:, 0] == 1):
        return None
    rows = np.arange(batch)[:, None] * positions + found[:, 1].astype(np.intp)  # (batch, F)
    g2 = g.reshape(batch, filters)
    gw = _kernel_grad(cols, rows, g2, kernel.shape) if want_w else None
    gx = _input_grad(y.shape, rows, g2, kernel, padded_shape, strides, dilation) \
        if want_x else None
    return gx, gw


def _kernel_grad(cols, rows, g2, kernel_shape):
    # per filter: (1, batch) @ (batch, window * channels) over the winners' im2col rows
    picked = cols[rows.T]  # (filters, batch, window * channels)
    return np.matmul(g2.T[:, None, :], picked)[:, 0, :].T.reshape(kernel_shape)


def _input_grad(y_shape, rows, g2, kernel, padded_shape, strides, dilation):
    batch, filters = g2.shape
    out_sizes = tuple(y_shape[1:-1])
    positions = math.prod(out_sizes)
    won, where = np.unique(rows, return_inverse=True)
    if len(won) > _SPARSE_ROWS * batch * positions:
        dy = np.zeros((batch * positions, filters), dtype=g2.dtype)
        dy[rows, np.arange(filters)] = g2
        return conv_input_grad(dy.reshape(y_shape), kernel, padded_shape, strides, dilation, 1)
    dy = np.zeros((len(won), filters), dtype=g2.dtype)
    dy[where.reshape(rows.shape), np.arange(filters)] = g2
    sample, flat_position = np.divmod(won, positions)
    position = np.unravel_index(flat_position, out_sizes)
    spatial = tuple(padded_shape[1:-1])
    channels = padded_shape[-1]
    gpad = np.zeros(tuple(padded_shape), dtype=g2.dtype)
    g2d = gpad.reshape(-1, channels)
    w = kernel.reshape(-1, channels, filters)
    base = sample * math.prod(spatial)
    for p, offset in enumerate(np.ndindex(*kernel.shape[:-2])):
        read = tuple(o * s + k * d for o, s, k, d in zip(position, strides, offset, dilation))
        target = base + np.ravel_multi_index(read, spatial)
        # the winning rows are distinct, so are their targets for one offset
        g2d[target] += dy @ w[p].T
    return gpad


KERNELS = {"conv_global_max_pool_grads": conv_global_max_pool_grads}
