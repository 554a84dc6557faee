"""NumPy kernel for a convolution, the batch normalization after it (with the batch's
statistics, in training), an activation that commutes with max and non-overlapping max
pooling, as one node (`kerasx.ops.conv_batch_norm_pool`).

The convolution's output rows are laid out pooling-offset major: per sample, block
`o` holds the positions at offset `o` inside every pooling window. The im2col rows are
built in that order, so the product writes the output that way at no cost; the
batch statistics do not depend on the order; pooling is then an elementwise maximum
over contiguous blocks, and the backward's routing and affine term are contiguous
passes too, as is the kernel gradient (the same rows times the output gradient).
NumPy runs a pass over a strided channels-last view (32-64-float runs) several times
slower than over a contiguous array, and the separate nodes make about a dozen such
passes over the convolution output. Only an input gradient needs the output gradient
in the usual layout, one copy.

The normalization is handled as in `kerasx.ops.batch_norm_pool`: with the batch's
statistics it is a per-channel affine map `a y + b`, so the node pools `sign(a) y`
and applies `|a| p + b` (and the ReLU) to the pooled array.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerasx.backends.numpy_conv import conv_input_grad, conv_kernel_grad
from kerasx.backends.numpy_kernels import ones_vector, wide as _wide
from kerasx.backends.numpy_normalization import batch_moments

_NAN_OFFSET = 255
# batch chunks of the pooling passes: about this many bytes of convolution output
_CHUNK_BYTES = 1 << 20


def conv_batch_norm_max_pool(x, kernel, bias, scale, offset, epsilon, strides, dilation,
                             pool_size, relu, keep):
    """`(out, mean, variance, backward)` for the padded channels_last `x`, or None to
    decline (grouped convolutions, an output the pooling windows do not tile, mixed
    dtypes, 255 or more positions per window).

    `out` is `pool(act(bn(conv(x) + bias)))` of shape `(batch, *pooled, filters)`;
    `mean` and the biased `variance` are the batch statistics of `conv(x) + bias`.
    `backward(g, want_x, want_kernel)` (only when `keep`) returns the gradients
    `(x, kernel, bias, scale, offset)`, None for those not wanted.
    """
    window_shape = tuple(kernel.shape[:-2])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    blocks = math.prod(pool_size)
    arrays = [a for a in (x, kernel, bias, scale, offset) if a is not None]
    if (x.shape[-1] != cin or blocks >= _NAN_OFFSET or x.dtype.kind != "f"
            or any(a.dtype != x.dtype for a in arrays)):
        return None
    extents = tuple((k - 1) * d + 1 for k, d in zip(window_shape, dilation))
    out_sizes = tuple((size - e) // s + 1 for size, e, s in zip(x.shape[1:-1], extents, strides))
    if any(o <= 0 or o % p for o, p in zip(out_sizes, pool_size)):
        return None
    grid = tuple(o // p for o, p in zip(out_sizes, pool_size))
    batch, cells = x.shape[0], math.prod(grid)
    cols = _offset_major_cols(x, window_shape, strides, dilation, pool_size, grid, out_sizes)
    # `y` is the convolution without its bias: the normalization subtracts it again
    # with the mean, so only the mean reported for the moving statistics takes it
    y = cols @ kernel.reshape(-1, filters)
    mean, variance = batch_moments(y)
    rinv = 1.0 / np.sqrt(variance + epsilon)
    a = rinv if scale is None else scale * rinv
    shift = -mean * a if offset is None else offset - mean * a
    sign = np.where(a < 0, -1.0, 1.0).astype(x.dtype) if (a < 0).any() else None
    y4 = y.reshape(batch, blocks, cells, filters)
    pooled, winners = _pool_blocks(y4, sign)
    out = np.empty_like(pooled)
    wide_out, (wide_scale, wide_shift) = _wide(out, np.abs(a), shift)
    np.multiply(_wide(pooled)[0], wide_scale, out=wide_out)
    wide_out += wide_shift
    if relu:
        np.maximum(out, 0, out=out)
    result = out.reshape((batch,) + grid + (filters,))
    reported = mean if bias is None else mean + bias
    if not keep:
        return result, reported, variance, None
    rows, x_shape = y.shape[0], x.shape
    del x  # the backward needs only the kept im2col matrix

    def backward(g, want_x, want_kernel):
        g = g.reshape(batch, cells, filters)
        if relu:
            g = g * (out > 0)
        # the normalized input at each winner, times g: pooled holds max(sign * y)
        xhat = np.empty_like(pooled)
        wide_xhat, (wide_sign, wide_mean, wide_rinv) = _wide(
            xhat, np.ones_like(a) if sign is None else sign, mean, rinv)
        np.multiply(_wide(pooled)[0], wide_sign, out=wide_xhat)
        wide_xhat -= wide_mean
        wide_xhat *= wide_rinv
        g2 = g.reshape(-1, filters)
        ones = ones_vector(g2.shape[0], g.dtype)
        g_offset = ones @ g2
        xhat *= g
        g_scale = ones @ xhat.reshape(-1, filters)
        slope = -a * rinv * g_scale / rows
        intercept = -a * g_offset / rows - mean * slope
        wide_g, (wide_a,) = _wide(g, a)
        ga = np.multiply(wide_g, wide_a).reshape(g.shape)
        dy4 = _route_blocks_affine(winners, ga, y4, slope, intercept)
        dy = dy4.reshape(rows, filters)
        # the output does not depend on the bias (the normalization removes it): the
        # separate layers' bias gradient is this zero plus rounding
        g_bias = np.zeros_like(bias) if bias is not None else None
        g_kernel = None
        if want_kernel:
            g_kernel = conv_kernel_grad(cols, dy, kernel.shape, 1)
            if g_kernel is None:
                g_kernel = (cols.T @ dy).reshape(kernel.shape)
        g_x = None
        if want_x:
            standard = _to_standard(dy4, batch, grid, pool_size, filters)
            g_x = conv_input_grad(standard, kernel, x_shape, strides, dilation, 1)
        return (g_x, g_kernel, g_bias, None if scale is None else g_scale,
                None if offset is None else g_offset)

    return result, reported, variance, backward


def _phase_sources(x_first, window_shape, strides, dilation, pool_size, grid):
    """`(tap, offset, block)` for every window tap and pooling offset (flat indices):
    the block of the channels-first input `x_first` `(channels, batch, *spatial)` it
    reads, as a slice with contiguous runs.

    Along an axis the tap `k` at offset `r` reads every `p * s`-th element from
    `r * s + k * d`; the input is first split into its `p * s` phases along each axis
    (one contiguous copy per phase), so that read is a plain slice of one phase.
    """
    steps = tuple(p * s for p, s in zip(pool_size, strides))
    lead = (slice(None), slice(None))
    phases = {phase: np.ascontiguousarray(x_first[lead + tuple(slice(f, None, st)
                                                               for f, st in zip(phase, steps))])
              for phase in np.ndindex(*steps)}
    for t, taps in enumerate(np.ndindex(*window_shape)):
        for o, offset in enumerate(np.ndindex(*pool_size)):
            starts = [r * s + k * d for r, k, s, d in zip(offset, taps, strides, dilation)]
            phase = tuple(start % st for start, st in zip(starts, steps))
            index = tuple(slice(start // st, start // st + q)
                          for start, st, q in zip(starts, steps, grid))
            yield t, o, phases[phase][lead + index]


def _offset_major_cols(x, window_shape, strides, dilation, pool_size, grid, out_sizes):
    """The im2col matrix `(rows, window * channels)` with rows in (sample, pooling
    offset, pooled position) order.

    Under eight channels it is built transposed, one row of `(window * channels,
    rows)` per channel and tap, from a channels-first copy (block copies of
    `grid[-1]`-float runs instead of runs of a few floats); with more, each pooling
    offset's positions are copied from a strided window view.
    """
    n, channels, batch = len(window_shape), x.shape[-1], x.shape[0]
    offsets = list(np.ndindex(*pool_size))
    if channels < 8:
        planes = np.empty((math.prod(window_shape), channels, batch, len(offsets)) + grid,
                          dtype=x.dtype)
        for t, o, block in _phase_sources(np.moveaxis(x, -1, 0), window_shape, strides,
                                          dilation, pool_size, grid):
            planes[t, :, :, o] = block
        return planes.reshape(-1, batch * len(offsets) * math.prod(grid)).T
    extents = tuple((k - 1) * d + 1 for k, d in zip(window_shape, dilation))
    view = sliding_window_view(x, extents, axis=tuple(range(1, n + 1)))
    view = view[(slice(None),)
                + tuple(slice(None, (o - 1) * s + 1, s) for o, s in zip(out_sizes, strides))
                + (slice(None),) + tuple(slice(None, None, d) for d in dilation)]
    view = np.moveaxis(view, n + 1, -1)  # (batch, *out_sizes, *window, channels)
    cols = np.empty((batch, len(offsets)) + grid + tuple(window_shape) + (channels,),
                    dtype=x.dtype)
    for o, offset in enumerate(offsets):
        cols[:, o] = view[(slice(None),) + tuple(slice(r, None, p)
                                                 for r, p in zip(offset, pool_size))]
    return cols.reshape(-1, math.prod(window_shape) * channels)


def _chunk(y4):
    return max(1, _CHUNK_BYTES // max(1, y4[:1].nbytes))


def _pool_blocks(y4, sign):
    """`(pooled, winners)`: the maximum of `sign * y4` over axis 1 (the pooling offsets)
    and the first offset reaching it (uint8; 255 where the maximum is NaN)."""
    batch, blocks, cells, filters = y4.shape
    pooled = np.empty((batch, cells, filters), dtype=y4.dtype)
    winners = np.zeros(pooled.shape, dtype=np.uint8)
    chunk = _chunk(y4)
    greater = np.empty((min(chunk, batch), cells, filters), dtype=bool)
    step = np.empty(greater.shape, dtype=np.uint8)
    flipped = None
    if sign is not None:
        flipped = np.empty((min(chunk, batch), blocks, cells, filters), dtype=y4.dtype)
    for start in range(0, batch, chunk):
        yb = y4[start:start + chunk]
        if sign is not None:
            yb = np.multiply(yb, sign, out=flipped[:len(yb)])
        out, won = pooled[start:start + chunk], winners[start:start + chunk]
        gt, st = greater[:len(yb)], step[:len(yb)]
        np.copyto(out, yb[:, 0])
        for o in range(1, blocks):
            np.greater(yb[:, o], out, out=gt)
            np.maximum(out, yb[:, o], out=out)
            # offsets only grow, so the latest strict improvement is the largest one
            np.multiply(gt.view(np.uint8), o, out=st)
            np.maximum(won, st, out=won)
    nan = np.isnan(pooled)
    if nan.any():
        winners[nan] = _NAN_OFFSET
    return pooled, winners


def _route_blocks_affine(winners, g, y4, slope, intercept):
    """`y4 * slope + intercept` plus `g` routed to each window's winning offset, in
    the layout of `y4`."""
    batch, blocks = y4.shape[:2]
    dy4 = np.empty_like(y4)
    chunk = _chunk(y4)
    hit = np.empty((min(chunk, batch),) + g.shape[1:], dtype=g.dtype)
    per = y4[0].size // y4.shape[-1]
    _, (wide_slope, wide_intercept) = _wide(y4[:1], slope, intercept)
    for start in range(0, batch, chunk):
        yb, db = y4[start:start + chunk], dy4[start:start + chunk]
        wide_db = _wide(db, per=per)[0]
        np.multiply(_wide(yb, per=per)[0], wide_slope, out=wide_db)
        wide_db += wide_intercept
        wb, gb, h = winners[start:start + chunk], g[start:start + chunk], hit[:len(yb)]
        for o in range(blocks):
            np.equal(wb, o, out=h, casting="unsafe")
            np.multiply(gb, h, out=h)
            db[:, o] += h
    return dy4


def _to_standard(dy4, batch, grid, pool_size, filters):
    """`dy4` `(batch, blocks, cells, filters)` back in the convolution's own layout
    `(batch, *out_sizes, filters)`, where output position `q * p + r` along each axis
    is pooled position `q` at offset `r`."""
    n = len(grid)
    out = np.empty((batch,) + tuple(q * p for q, p in zip(grid, pool_size)) + (filters,),
                   dtype=dy4.dtype)
    split = out.reshape((batch,) + tuple(v for pair in zip(grid, pool_size) for v in pair)
                        + (filters,))
    # (batch, q1, p1, q2, p2, ..., filters) -> (batch, p1, p2, ..., q1, q2, ..., filters)
    order = (0,) + tuple(2 + 2 * i for i in range(n)) + tuple(1 + 2 * i for i in range(n))
    np.copyto(split.transpose(order + (2 * n + 1,)),
              dy4.reshape((batch,) + tuple(pool_size) + tuple(grid) + (filters,)))
    return out


KERNELS = {"conv_batch_norm_max_pool": conv_batch_norm_max_pool}
