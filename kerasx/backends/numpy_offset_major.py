"""Convolutions whose output rows are laid out pooling-offset major, for the NumPy
kernel that normalizes and pools right after a convolution (`numpy_conv_bn_pool`).

Per sample, block `o` of the output holds the convolution positions at offset `o`
inside every non-overlapping pooling window. The im2col rows are built in that order,
so the product writes the output that way at no cost; pooling is then an elementwise
maximum over contiguous blocks, the gradient's routing back to the winners is
contiguous too, and so is the kernel gradient (the same rows times the output
gradient). NumPy runs a pass over a strided channels-last view (32-64-float runs)
several times slower than over a contiguous array. Only an input gradient needs the
output gradient in the usual layout (`to_standard`, one copy).
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerasx.backends.numpy_kernels import wide
from kerasx.backends.numpy_trace_array import recordable_helper

NAN_OFFSET = 255
# batch chunks of the pooling passes: about this many bytes of convolution output
_CHUNK_BYTES = 1 << 20


def tiled_grid(x_shape, window_shape, strides, dilation, pool_size):
    """`(out_sizes, grid)` of a valid convolution of the padded `x_shape` and of the
    non-overlapping pooling after it, or None when the windows do not tile the output,
    hold 255 or more positions, or the batch is empty."""
    extents = tuple((k - 1) * d + 1 for k, d in zip(window_shape, dilation))
    out_sizes = tuple((size - e) // s + 1 for size, e, s in zip(x_shape[1:-1], extents, strides))
    untiled = any(o <= 0 or o % p for o, p in zip(out_sizes, pool_size))
    if untiled or x_shape[0] == 0 or math.prod(pool_size) >= NAN_OFFSET:
        return None
    return out_sizes, tuple(o // p for o, p in zip(out_sizes, pool_size))


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


@recordable_helper
def offset_major_cols(x, window_shape, strides, dilation, pool_size, grid, out_sizes):
    """The im2col matrix `(rows, window * channels)` with rows in (sample, pooling
    offset, pooled position) order.

    Under eight channels it is built transposed, one row of `(window * channels,
    rows)` per channel and tap, from the channels-first input split into its stride
    phases (`_phase_sources`: block copies of `grid[-1]`-float runs instead of runs of
    a few floats); with more, each pooling offset's positions are copied from a
    strided window view.
    """
    n, channels, batch = len(window_shape), x.shape[-1], x.shape[0]
    offsets = list(np.ndindex(*pool_size))
    if channels < 8:
        planes = np.empty((math.prod(window_shape), channels, batch, len(offsets)) + grid,
                          dtype=x.dtype)
        for t, o, block in _phase_sources(np.moveaxis(x, -1, 0), window_shape, strides,
                                          dilation, pool_size, grid):
            planes[t, :, :, o] = block
        return planes.reshape(math.prod(window_shape) * channels, -1).T
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


@recordable_helper
def pool_blocks(y4, sign):
    """`(pooled, winners)`: the maximum of `sign * y4` over axis 1 (the pooling offsets)
    and the first offset reaching it (uint8; 255 where the maximum is NaN)."""
    batch, blocks, cells, filters = y4.shape
    pooled = np.empty((batch, cells, filters), dtype=y4.dtype)
    winners = np.empty(pooled.shape, dtype=np.uint8)
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
        max_of_blocks(yb, pooled[start:start + chunk], winners[start:start + chunk],
                      greater[:len(yb)], step[:len(yb)])
    nan = np.isnan(pooled)
    if nan.any():
        winners[nan] = NAN_OFFSET
    return pooled, winners


def max_of_blocks(y, out, won, greater, step):
    """Writes the maximum of `y` `(n, blocks, ...)` over axis 1 into `out` and the first
    block reaching it into `won` (uint8), using the scratch arrays `greater` (bool) and
    `step` (uint8) of `out`'s shape."""
    np.copyto(out, y[:, 0])
    won.fill(0)
    for o in range(1, y.shape[1]):
        np.greater(y[:, o], out, out=greater)
        np.maximum(out, y[:, o], out=out)
        # offsets only grow, so the latest strict improvement is the largest one
        np.multiply(greater.view(np.uint8), o, out=step)
        np.maximum(won, step, out=won)


@recordable_helper
def route_blocks(winners, g, blocks, affine=None):
    """`g` `(batch, cells, channels)` routed to each window's winning offset, as a
    `(batch, blocks, cells, channels)` array, plus `y4 * slope + intercept` when
    `affine` is `(y4, slope, intercept)` (per-channel `slope` and `intercept`)."""
    batch = g.shape[0]
    dy4 = np.empty((batch, blocks) + g.shape[1:], dtype=g.dtype)
    chunk = _chunk(dy4)
    hit = np.empty((min(chunk, batch),) + g.shape[1:], dtype=g.dtype)
    per = dy4[0].size // dy4.shape[-1]
    if affine is not None:
        y4, slope, intercept = affine
        _, (wide_slope, wide_intercept) = wide(y4[:1], slope, intercept)
    for start in range(0, batch, chunk):
        db = dy4[start:start + chunk]
        wb, gb, h = winners[start:start + chunk], g[start:start + chunk], hit[:len(db)]
        if affine is None:
            for o in range(blocks):
                np.equal(wb, o, out=h, casting="unsafe")
                np.multiply(gb, h, out=db[:, o])
            continue
        wide_db = wide(db, per=per)[0]
        np.multiply(wide(y4[start:start + chunk], per=per)[0], wide_slope, out=wide_db)
        wide_db += wide_intercept
        for o in range(blocks):
            np.equal(wb, o, out=h, casting="unsafe")
            np.multiply(gb, h, out=h)
            db[:, o] += h
    return dy4


@recordable_helper
def to_offset_major(y, pool_size):
    """The convolution output `y` `(batch, *out_sizes, filters)`, whose sizes the
    pooling windows tile, as `(batch, blocks, cells, filters)` (`to_standard`'s
    inverse)."""
    batch, filters, n = y.shape[0], y.shape[-1], len(pool_size)
    grid = tuple(o // p for o, p in zip(y.shape[1:-1], pool_size))
    split = y.reshape((batch,) + tuple(v for pair in zip(grid, pool_size) for v in pair)
                      + (filters,))
    order = (0,) + tuple(2 + 2 * i for i in range(n)) + tuple(1 + 2 * i for i in range(n))
    out = np.empty((batch,) + tuple(pool_size) + grid + (filters,), dtype=y.dtype)
    np.copyto(out, split.transpose(order + (2 * n + 1,)))
    return out.reshape(batch, math.prod(pool_size), math.prod(grid), filters)


@recordable_helper
def to_standard(dy4, batch, grid, pool_size, filters):
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

