"""Fast NumPy kernels for convolution and pooling, registered by the NumPy backend.

Each has the signature of the portable function in `kerasx.ops.conv` or
`kerasx.ops.pooling` it replaces; the tests check them against each other.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kerasx.backends.numpy_blas import one_thread
from kerasx.backends.numpy_conv_grid import add_tap_products, input_grad_on_grid
from kerasx.backends.numpy_kernels import relu_in_place, wide
from kerasx.backends.numpy_trace_array import recordable_helper


def _window_slices(window_shape, dilation, strides, out_sizes):
    import itertools

    per_axis = [[slice(k * d, k * d + s * (o - 1) + 1, s) for k in range(w)]
                for w, d, s, o in zip(window_shape, dilation, strides, out_sizes)]
    return [(slice(None),) + combo + (slice(None),) for combo in itertools.product(*per_axis)]


def conv_im2col(x, window_shape, strides, dilation, out_sizes):
    """im2col through a strided window view and one contiguous copy.

    With few channels the view's innermost run is a handful of floats, so those
    inputs take other layouts: one channel concatenates the shifted slices, two
    to seven build the matrix transposed (`_im2col_planes`).
    """
    if x.shape[-1] < 8:
        if x.shape[-1] > 1:
            return _im2col_planes(x, window_shape, strides, dilation, out_sizes)
        parts = [x[i] for i in _window_slices(window_shape, dilation, strides, out_sizes)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    return _im2col_strided(x, window_shape, strides, dilation, out_sizes)


@recordable_helper
def _im2col_strided(x, window_shape, strides, dilation, out_sizes):
    # the strided view `(batch, *out_sizes, *window_shape, channels)` made directly (a
    # window view sliced and moved costs 25 us of Python a call, this 12: the cost of a
    # small eager convolution)
    n = len(window_shape)
    step = x.strides
    view = as_strided(x, (x.shape[0],) + tuple(out_sizes) + tuple(window_shape) + (x.shape[-1],),
                      (step[0],) + tuple(step[1 + i] * s for i, s in enumerate(strides))
                      + tuple(step[1 + i] * d for i, d in enumerate(dilation)) + (step[-1],),
                      writeable=False)
    return np.ascontiguousarray(view).reshape(view.shape[:n + 1] + (-1,))


@recordable_helper
def _im2col_planes(x, window_shape, strides, dilation, out_sizes):
    """im2col stored as `(window * channels, positions)`, returned as its transposed view.

    Each row is one channel under one window offset: a block of the channels-first
    input copied with rows of `out_size` floats, where the channels-last layout
    copies runs of 2-7 floats. For a 3x3 convolution of 64x32x32x3 this is
    0.43 ms against 3.1 ms, and forward product plus kernel gradient take
    3.4 ms against 6.9 ms (the kernel gradient gets a plain product; the forward
    one reads the transposed matrix, which costs less than the copy saved).
    """
    channels_first = np.ascontiguousarray(np.moveaxis(x, -1, 0))
    planes = np.empty(tuple(window_shape) + (x.shape[-1], x.shape[0]) + tuple(out_sizes),
                      dtype=x.dtype)
    offsets = np.ndindex(*window_shape)
    for offset, index in zip(offsets, _window_slices(window_shape, dilation, strides, out_sizes)):
        planes[offset] = channels_first[(slice(None),) + index[:-1]]
    return np.moveaxis(planes.reshape((-1, x.shape[0]) + tuple(out_sizes)), 0, -1)


@recordable_helper
def conv_input_grad(dy, kernel, x_shape, strides, dilation, groups):
    """Per-offset `dx[slice] += dy @ W[offset].T` with one reused product buffer (on
    the flat input grid for unit strides, by stride phase for strided convolutions
    of 2 or more input channels). A 1x1 convolution that read its whole input (the
    pointwise half of a separable one) has `dx = dy @ W.T`: one product, with no
    zeroed array to add into (64 x 16x16, 64 -> 128 channels, two runs: 1.82-1.86 /
    1.91-2.05 against 2.55-4.08 / 2.72-4.84 ms, minimum / median; bit for bit the
    same)."""
    window_shape = tuple(kernel.shape[:-2])
    out_sizes = tuple(dy.shape[1:-1])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    if groups == 1 and math.prod(window_shape) == 1 and out_sizes == tuple(x_shape[1:-1]):
        return (dy.reshape(-1, filters) @ kernel.reshape(cin, filters).T).reshape(x_shape)
    if groups == 1 and cin > 1 and any(s > 1 for s in strides):
        return _input_grad_by_phase(dy, kernel, x_shape, strides, dilation)
    if groups == 1 and all(s == 1 for s in strides):
        dx = input_grad_on_grid(dy, kernel, x_shape, dilation)
        if dx is not None:
            return dx
    channels = cin * groups
    rows = int(np.prod(dy.shape[:-1]))
    patch_shape = tuple(dy.shape[:-1]) + (channels,)
    w = kernel.reshape(-1, cin, filters)
    dx = np.zeros(tuple(x_shape), dtype=dy.dtype)
    if groups == 1:
        dy2 = dy.reshape(rows, filters)
        buf = np.empty((rows, channels), dtype=dy.dtype)
    else:
        fg = filters // groups
        dy2 = dy.reshape(rows, groups, fg).transpose(1, 0, 2)
        w = w.reshape(-1, cin, groups, fg).transpose(0, 2, 3, 1)
        buf = np.empty((groups, rows, cin), dtype=dy.dtype)
    for p, index in enumerate(_window_slices(window_shape, dilation, strides, out_sizes)):
        if groups == 1:
            np.matmul(dy2, w[p].T, out=buf)
            part = buf.reshape(patch_shape)
        else:
            np.matmul(dy2, w[p], out=buf)
            part = buf.transpose(1, 0, 2).reshape(patch_shape)
        target = dx[index]
        np.add(target, part, out=target)
    return dx


def _input_grad_by_phase(dy, kernel, x_shape, strides, dilation):
    """`conv_input_grad` of a strided convolution (also a transposed convolution's
    forward), accumulated per stride phase.

    With stride `s` an offset's products land on every `s`-th input position, so
    adding them in place is a pass over runs of `channels` floats. Here each
    product is added to the dense grid of its phase (the positions congruent to
    its offset modulo the stride), a slice with long contiguous runs, and one copy
    interleaves the phases at the end. The sums are the same, in the same order.
    Transposed 3x3 convolutions with stride 2 from 16 to 8 channels on 30x30
    (batch 64): 11.3 -> 6.3 ms; to 3 channels on 14x14: 3.2 -> 2.4 ms.
    """
    window_shape = tuple(kernel.shape[:-2])
    out_sizes = tuple(dy.shape[1:-1])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    batch, n = dy.shape[0], len(out_sizes)
    grid = tuple(-(-size // s) for size, s in zip(x_shape[1:-1], strides))
    phases = np.zeros(tuple(strides) + (batch,) + grid + (cin,), dtype=dy.dtype)
    taps = []
    for tap in np.ndindex(*window_shape):
        starts = [t * d for t, d in zip(tap, dilation)]
        taps.append((phases[tuple(a % s for a, s in zip(starts, strides))],
                     tuple(a // s for a, s in zip(starts, strides))))
    if not add_tap_products(dy, kernel, taps):
        dy2 = dy.reshape(-1, filters)
        w = kernel.reshape(-1, cin, filters)
        buf = np.empty((dy2.shape[0], cin), dtype=dy.dtype)
        for p, (phase, offset) in enumerate(taps):
            target = phase[(slice(None),) + tuple(slice(a, a + o)
                                                  for a, o in zip(offset, out_sizes))]
            np.matmul(dy2, w[p].T, out=buf)
            np.add(target, buf.reshape(target.shape), out=target)
    # interleave: the input grid viewed as (batch, q1, s1, q2, s2, ..., channels)
    padded = np.empty((batch,) + tuple(q * s for q, s in zip(grid, strides)) + (cin,),
                      dtype=dy.dtype)
    split = [batch]
    order = [n]
    for axis, (q, s) in enumerate(zip(grid, strides)):
        split += [q, s]
        order += [n + 1 + axis, axis]
    np.copyto(padded.reshape(split + [cin]), phases.transpose(order + [2 * n + 1]))
    return padded[(slice(None),) + tuple(slice(0, size) for size in x_shape[1:-1])]


@recordable_helper
def pool_backward(x, out, dy, pool_size, strides, mode, counts=None):
    """Pooling gradient with reused boolean buffers (first maximum wins, as the portable path)."""
    out_sizes = tuple(dy.shape[1:-1])
    disjoint = all(s >= k for s, k in zip(strides, pool_size))
    tiled = all(s == k and n == o * k
                for s, k, n, o in zip(strides, pool_size, x.shape[1:-1], out_sizes))
    # when the windows tile the input exactly every element is written once below
    dx = (np.empty if tiled else np.zeros)(tuple(x.shape), dtype=dy.dtype)
    slices = _window_slices(pool_size, (1,) * len(pool_size), strides, out_sizes)
    if mode == "average":
        part = dy / (np.prod(pool_size) if counts is None else counts)
        if disjoint:
            # one copy of the broadcast share, written in the gradient's memory order:
            # (128, 26, 26, 32) 0.66 ms against 3.3 ms for a strided copy per offset
            np.copyto(_split_windows(dx, pool_size, strides, out_sizes),
                      part[(slice(None),) + (slice(None), None) * len(out_sizes)])
            return dx
        for index in slices:
            target = dx[index]
            np.add(target, part, out=target)
        return dx
    hit = np.empty(out.shape, dtype=bool)
    taken = np.empty(out.shape, dtype=bool)
    for k, index in enumerate(slices):
        np.equal(x[index], out, out=hit)
        if k == 0:
            taken[...] = hit
        else:
            np.greater(hit, taken, out=hit)
            np.logical_or(taken, hit, out=taken)
        target = dx[index]
        if disjoint:
            np.multiply(dy, hit, out=target)
        else:
            target += dy * hit
    return dx


def _split_windows(x, pool_size, strides, out_sizes):
    """`x` (channels_last) viewed as `(batch, o1, k1, o2, k2, ..., channels)`: output
    position `o` and offset `k` inside its window along each spatial axis, for
    disjoint windows (strides at least the pool size)."""
    shape, steps = [x.shape[0]], [x.strides[0]]
    for k, s, o, step in zip(pool_size, strides, out_sizes, x.strides[1:-1]):
        shape += [o, k]
        steps += [step * s, step]
    return as_strided(x, tuple(shape) + x.shape[-1:], tuple(steps) + x.strides[-1:])


@recordable_helper
def conv_kernel_grad(cols, dy, kernel_shape, groups):
    """`cols.T @ dy`: as `(dy.T @ cols).T` when `cols` is wide, in row blocks when it
    is skinny (few input channels).

    OpenBLAS runs `(dy.T @ cols).T`, its small transposed copy included, 3-6% faster
    than `cols.T @ dy` at the convolutions' shapes (12,800-28,800 rows of 288 by 32
    or 64 filters, 5,408 of 576 by 64; alternating, 60 calls each, the same sums).
    It runs a (rows x 9) by (rows x 32) product with rows = 86,528 (the first layer
    of the MNIST convnet) at a fraction of its speed; summing 2,048-row blocks
    measured 0.9 ms against 4.5 ms, and the blocks run on one BLAS thread
    (`numpy_blas.one_thread`). A transposed `cols` (`_im2col_planes`), whose
    `cols.T` is a plain matrix, keeps the single product.
    """
    if groups != 1 or not cols.flags.c_contiguous:
        return None
    filters = kernel_shape[-1]
    dy2 = dy.reshape(cols.shape[0], filters)
    if cols.shape[1] >= 32:
        return np.ascontiguousarray((dy2.T @ cols).T).reshape(kernel_shape)
    if cols.shape[0] < 8192:
        return None
    out = np.zeros((cols.shape[1], filters), dtype=np.result_type(cols, dy2))
    with one_thread():
        for start in range(0, cols.shape[0], 2048):
            out += cols[start:start + 2048].T @ dy2[start:start + 2048]
    return out.reshape(kernel_shape)


KERNELS = {
    "conv_im2col": conv_im2col,
    "conv_kernel_grad": conv_kernel_grad,
    "conv_input_grad": conv_input_grad,
    "pool_backward": pool_backward,
}


# The pooling and ReLU-gradient kernels work on blocks of about this many bytes: small
# enough to stay in cache between their passes, large enough that the per-call cost of
# NumPy's strided loops (32-channel inner runs) does not dominate (tuned on the MNIST
# convnet: 256 KB blocks were 10-30% slower, whole 11 MB arrays slower still).
_BLOCK_BYTES = 1 << 20


# below this the plain forward and the recomputing backward were faster (measured:
# a (128, 11, 11, 64) float32 input 1.1 ms against 1.3 ms, (128, 26, 26, 32) 10.7 against 6.6)
_ARGMAX_POOL_MIN_BYTES = 1 << 23


def _batch_block(x):
    per_sample = max(1, x[:1].nbytes)
    return max(1, _BLOCK_BYTES // per_sample)


@recordable_helper
def max_pool_forward(x, pool_size, strides):
    """Max pooling that also returns the winning window offset of every output.

    The offset (`uint8`, row-major window order) is the first maximal element, the
    rule of the portable `pool_backward`; 255 marks a window whose maximum is NaN,
    which (as there) gets no gradient. Works on batch blocks so all passes stay
    in cache; `max_pool_backward` takes the offsets instead of the input.
    """
    k = int(np.prod(pool_size))
    if k > 255 or x.nbytes < _ARGMAX_POOL_MIN_BYTES:
        return None
    out_sizes = tuple((n - p) // s + 1 for n, p, s in zip(x.shape[1:-1], pool_size, strides))
    slices = _window_slices(pool_size, (1,) * len(pool_size), strides, out_sizes)
    shape = (x.shape[0],) + out_sizes + (x.shape[-1],)
    out = np.empty(shape, dtype=x.dtype)
    code = np.empty(shape, dtype=np.uint8)
    nb = _batch_block(x)
    gt = np.empty((min(nb, x.shape[0]),) + shape[1:], dtype=bool)
    step = np.empty(gt.shape, dtype=np.uint8)
    for start in range(0, x.shape[0], nb):
        xb, ob, cb = x[start:start + nb], out[start:start + nb], code[start:start + nb]
        g, s = gt[:len(xb)], step[:len(xb)]
        np.copyto(ob, xb[slices[0]])
        cb.fill(0)
        for offset in range(1, k):
            part = xb[slices[offset]]
            np.greater(part, ob, out=g)
            np.maximum(ob, part, out=ob)
            # offsets only grow, so the latest strict improvement is the largest index
            np.multiply(g.view(np.uint8), offset, out=s)
            np.maximum(cb, s, out=cb)
        if x.dtype.kind == "f":
            nan = np.isnan(ob, out=g)
            if nan.any():
                cb[nan] = 255
    return out, code


@recordable_helper
def max_pool_backward(code, dy, x_shape, pool_size, strides):
    """The gradient of `max_pool_forward` with respect to its input, from the offsets."""
    out_sizes = tuple(dy.shape[1:-1])
    disjoint = all(s >= k for s, k in zip(strides, pool_size))
    tiled = all(s == k and n == o * k
                for s, k, n, o in zip(strides, pool_size, x_shape[1:-1], out_sizes))
    dx = (np.empty if tiled else np.zeros)(tuple(x_shape), dtype=dy.dtype)
    slices = _window_slices(pool_size, (1,) * len(pool_size), strides, out_sizes)
    nb = _batch_block(dx)
    mask = np.empty((min(nb, dy.shape[0]),) + tuple(dy.shape[1:]), dtype=dy.dtype)
    for start in range(0, dy.shape[0], nb):
        cb, gb, xb = code[start:start + nb], dy[start:start + nb], dx[start:start + nb]
        m = mask[:len(cb)]
        for offset, index in enumerate(slices):
            np.equal(cb, offset, out=m, casting="unsafe")
            target = xb[index]
            if disjoint:
                np.multiply(gb, m, out=target)
            else:
                np.multiply(gb, m, out=m)
                np.add(target, m, out=target)
    return dx


@recordable_helper
def max_pool_backward_affine(code, dy, x_shape, pool_size, strides, x, slope, intercept):
    """`max_pool_backward(...) + x * slope + intercept` (per-channel `slope` and
    `intercept`) in one blocked pass: the input gradient of a batch normalization
    pooled with its batch statistics (`kerasx.ops.batch_norm_pool`)."""
    out_sizes = tuple(dy.shape[1:-1])
    dx = np.empty(tuple(x_shape), dtype=dy.dtype)
    slices = _window_slices(pool_size, (1,) * len(pool_size), strides, out_sizes)
    nb = _batch_block(dx)
    mask = np.empty((min(nb, dy.shape[0]),) + tuple(dy.shape[1:]), dtype=dy.dtype)
    # the per-channel affine term over `wide` rows of whole samples
    per = dx[0].size // dx.shape[-1]
    _, (wide_slope, wide_intercept) = wide(dx[:1], slope, intercept, per=per)
    for start in range(0, dy.shape[0], nb):
        cb, gb, xb = code[start:start + nb], dy[start:start + nb], dx[start:start + nb]
        wide_xb = wide(xb, per=per)[0]
        np.multiply(wide(x[start:start + nb], per=per)[0], wide_slope, out=wide_xb)
        wide_xb += wide_intercept
        m = mask[:len(cb)]
        for offset, index in enumerate(slices):
            np.equal(cb, offset, out=m, casting="unsafe")
            np.multiply(gb, m, out=m)
            target = xb[index]
            np.add(target, m, out=target)
    return dx


def relu_inplace(xp, y):
    """ReLU written over the fresh convolution (or dense) output, with no second
    activation-sized array (`numpy_kernels.relu_in_place` for floats)."""
    return relu_in_place(y) if y.dtype.kind == "f" else np.maximum(y, 0, out=y)


@recordable_helper
def conv_relu_bias_grad(g, y, want_bias):
    """The portable `conv_relu_bias_grad` in row blocks that stay in cache.

    The ReLU mask, the masked gradient and its channel sums are made per block
    (a NumPy `sum(axis=0)` over a skinny matrix walks it slowly; summing the rows
    of a cached block with a vector product does not).
    """
    channels = g.shape[-1]
    if y is not None and not g.flags.c_contiguous:
        # a broadcast gradient (a global average pooling's): reshaping it would copy it
        return _relu_bias_grad_by_sample(g, y, want_bias)
    g2 = g.reshape(-1, channels)
    rows = g2.shape[0]
    block = max(1, _BLOCK_BYTES // max(1, channels * g2.itemsize))
    gb = np.zeros(channels, dtype=g.dtype) if want_bias else None
    if y is None:
        if want_bias:
            gb = np.ones(rows, dtype=g.dtype) @ g2
        return g, gb
    y2 = y.reshape(-1, channels)
    out = np.empty_like(g2)
    mask = np.empty((min(block, rows), channels), dtype=g.dtype)
    ones = np.ones(min(block, rows), dtype=g.dtype)
    for start in range(0, rows, block):
        stop = min(start + block, rows)
        m = mask[:stop - start]
        np.greater(y2[start:stop], 0, out=m, casting="unsafe")
        np.multiply(g2[start:stop], m, out=out[start:stop])
        if want_bias:
            gb += ones[:stop - start] @ out[start:stop]
    return out.reshape(g.shape), gb


def _relu_bias_grad_by_sample(g, y, want_bias):
    """`conv_relu_bias_grad` for a `g` of any strides, in blocks of whole samples read
    through `g`'s own strides (a stride-0 `g` is never materialized)."""
    channels = g.shape[-1]
    out = np.empty(g.shape, dtype=g.dtype)
    per_sample = out[0].size if len(out) else 1
    block = max(1, _BLOCK_BYTES // max(1, per_sample * out.itemsize))
    mask = np.empty((min(block, len(out)),) + out.shape[1:], dtype=out.dtype)
    ones = np.ones(mask[:1].size // channels * mask.shape[0], dtype=out.dtype)
    gb = np.zeros(channels, dtype=out.dtype) if want_bias else None
    for start in range(0, len(out), block):
        stop = min(start + block, len(out))
        m = mask[:stop - start]
        np.greater(y[start:stop], 0, out=m, casting="unsafe")
        np.multiply(g[start:stop], m, out=out[start:stop])
        if want_bias:
            gb += ones[:m.size // channels] @ out[start:stop].reshape(-1, channels)
    return out, gb


KERNELS["relu_inplace"] = relu_inplace
KERNELS["conv_relu_bias_grad"] = conv_relu_bias_grad
KERNELS["max_pool_forward"] = max_pool_forward
KERNELS["max_pool_backward"] = max_pool_backward
KERNELS["max_pool_backward_affine"] = max_pool_backward_affine
