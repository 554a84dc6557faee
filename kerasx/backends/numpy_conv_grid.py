"""Convolutions on the flat grid of their input: each kernel tap's product is one
matrix product over a contiguous block of rows, with no im2col matrix.

Viewed as one flat grid of `batch * positions` rows, the input row a convolution
output at grid row `q` reads through a tap is row `q + offset`, one offset per tap
(for unit strides; a strided convolution does the same on each stride phase of its
input). So the products of one tap are a product of contiguous blocks of rows,
which the BLAS adds into its target in the pass that computes it
(`numpy_blas.Level3.gemm` with accumulation). The grid has rows where no output
sits (past each output row's extent): their products are computed and discarded
(forward) or are products of zeros (backward), `grid rows / output rows` more
arithmetic, so grids with many such rows decline.
"""

import numpy as np

from kerasx.backends.numpy_blas import level3
from kerasx.backends.numpy_kernels import relu_in_place
from kerasx.backends.numpy_trace_array import recordable_helper


def input_grad_on_grid(dy, kernel, x_shape, dilation):
    """`conv_input_grad` of a unit-stride convolution as one accumulating product per
    window offset (`add_tap_products`), or None to decline.

    Timed inside `fit` against products into a buffer and a strided add each (one
    process each way, 3 processes, minimum and median of 60 calls): the `vgg`
    workload's third convolution (64 x 18x18x32 -> 64 filters 3x3) 5.2-5.3 / 5.4-5.8
    against 6.6-10.0 / 7.9-11.3 ms, `convbn`'s second (the same shapes) 5.4-5.5 /
    5.6-6.4 against 6.1-10.3 / 10.2-12.8 ms; `conv1d`'s second 0.92 / 0.95 against
    0.97 / 0.99 ms alternating in one process, the Keras CIFAR-10 convnet's fourth
    (a 14x14 region read for 12x12 outputs at batch 32, 36% extra rows) 3.50 / 3.65
    against 5.32 / 5.49 ms. The MNIST convnet's second (12x12 read for 10x10 outputs:
    44% extra rows) was slower that way, 4.73 / 5.60 against 4.56 / 5.26 ms, and
    declines (`_GRID_WASTE`).
    """
    window_shape = tuple(kernel.shape[:-2])
    out_sizes = tuple(dy.shape[1:-1])
    cin = kernel.shape[-2]
    # the region the windows read (all of the input unless the caller cropped `dy`)
    region = (x_shape[0],) + tuple(o + (k - 1) * d for o, k, d in
                                   zip(out_sizes, window_shape, dilation)) + (cin,)
    if int(np.prod(region[:-1])) > _GRID_WASTE * int(np.prod(dy.shape[:-1])):
        return None  # before allocating anything (`add_tap_products` would decline too)
    dx = np.zeros(region, dtype=dy.dtype)
    taps = [(dx, tuple(t * d for t, d in zip(tap, dilation)))
            for tap in np.ndindex(*window_shape)]
    if not add_tap_products(dy, kernel, taps):
        return None
    if region == tuple(x_shape):
        return dx
    full = np.zeros(tuple(x_shape), dtype=dy.dtype)
    full[tuple(slice(0, size) for size in region)] = dx
    return full


def add_tap_products(dy, kernel, taps):
    """Adds `dy @ W[p].T` into `taps[p] = (target, offset)`: the target's positions
    from `offset` on, one per output position; True when done, False (nothing
    added) where it declines.

    The targets are C-contiguous channels_last arrays of one shape. Viewed as one
    flat grid of `batch * positions` rows, the output at grid row `q` lands on the
    target's row `q + flat offset`, so each tap's product goes into one contiguous
    block of rows, added by the BLAS in the pass that computes it
    (`numpy_blas.Level3.gemm`). The output's gradient is spread over the grid first,
    zeros where no output sits (the rows past each output's extent, whose products
    add nothing); the extra rows cost `grid rows / output rows` more arithmetic.
    Declines grids with more than `_GRID_WASTE` times the output's rows, dtypes
    other than float32 and float64, and where no BLAS is bound.
    """
    blas = level3()
    grid_shape = taps[0][0].shape[:-1]
    out_sizes = tuple(dy.shape[1:-1])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    grid = int(np.prod(grid_shape))
    if blas is None or dy.dtype not in (np.float32, np.float64) \
            or kernel.dtype != dy.dtype or grid > _GRID_WASTE * int(np.prod(dy.shape[:-1])) \
            or not all(target.flags.c_contiguous for target, _ in taps):
        return False
    offsets = _flat_offsets(grid_shape[1:], [offset for _, offset in taps])
    rows = grid - max(offsets)
    if rows <= 0:
        return False
    spread = np.zeros(tuple(grid_shape) + (filters,), dtype=dy.dtype)
    spread[(slice(None),) + tuple(slice(0, o) for o in out_sizes)] = dy
    g = spread.reshape(grid, filters)[:rows]
    w = np.ascontiguousarray(kernel).reshape(-1, cin, filters)
    for p, ((target, _), offset) in enumerate(zip(taps, offsets)):
        block = target.reshape(grid, cin)[offset:offset + rows]
        if not blas.gemm(g, w[p], block, accumulate=True, trans_b=True):
            return False  # only the first can decline: all take arrays of one kind
    return True


def _flat_offsets(sizes, offsets):
    """The row offsets, on a flat grid of spatial `sizes`, of the spatial `offsets`."""
    steps = [int(np.prod(sizes[axis + 1:])) for axis in range(len(sizes))]
    return [sum(a * step for a, step in zip(offset, steps)) for offset in offsets]


@recordable_helper
def conv_inference_on_grid(x, pads, kernel, bias, relu, strides, dilation, groups):
    """`relu(conv(pad(x)) + bias)` (channels_last, `bias` None for none, the ReLU
    only with `relu`) for inference, or None to decline: unit strides, one group,
    8 or more input channels, float32 or float64.

    Works in batch chunks of about `_FORWARD_CHUNK_BYTES` of grid output: each chunk
    is copied into the interior of a reused padded buffer (its borders stay zero),
    each tap adds its product into the chunk's grid output, and the output
    positions are copied out with the bias and the ReLU while they are in cache.
    `ops.conv` against im2col matrices of 2 MB (`inference_chunk_bytes`), 8 calls
    alternating, minima: 256 x 32x32x32 -> 32 filters 3x3 "same" (1.13 times the
    output's rows) 41 against 60 ms, 1024 x 28x28x8 -> 16 (1.15) 29.5 against 44.4
    ms, 1024 x 16x16x32 -> 64 (1.27) 90-92 against 86-94 ms with steadier medians;
    from 1.36 times on the im2col chunks were faster (1024 x 12x12x64 -> 64 "same"
    95.8 against 85.5 ms), so grids past `_GRID_WASTE_FORWARD` decline.
    """
    blas = level3()
    window_shape = tuple(kernel.shape[:-2])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    if blas is None or groups != 1 or any(s != 1 for s in strides) or cin < 8 \
            or x.dtype not in (np.float32, np.float64) or kernel.dtype != x.dtype \
            or (bias is not None and bias.dtype != x.dtype):
        return None
    batch = x.shape[0]
    padded = tuple(size + lo + hi for size, (lo, hi) in zip(x.shape[1:-1], pads))
    out_sizes = tuple(size - (k - 1) * d
                      for size, k, d in zip(padded, window_shape, dilation))
    positions = int(np.prod(padded))
    if min(out_sizes) <= 0 or positions > _GRID_WASTE_FORWARD * int(np.prod(out_sizes)):
        return None
    offsets = _flat_offsets(padded, [tuple(t * d for t, d in zip(tap, dilation))
                                     for tap in np.ndindex(*window_shape)])
    chunk = max(1, min(batch, _FORWARD_CHUNK_BYTES // (positions * filters * x.itemsize)))
    buffer = np.zeros((chunk,) + padded + (cin,), dtype=x.dtype)
    products = np.empty((chunk * positions, filters), dtype=x.dtype)
    interior = (slice(None),) + tuple(slice(lo, lo + size)
                                      for (lo, _), size in zip(pads, x.shape[1:-1]))
    outputs = (slice(None),) + tuple(slice(0, size) for size in out_sizes)
    w = np.ascontiguousarray(kernel).reshape(-1, cin, filters)
    out = np.empty((batch,) + out_sizes + (filters,), dtype=x.dtype)
    for start in range(0, batch, chunk):
        stop = min(start + chunk, batch)
        xb = buffer[:stop - start]
        xb[interior] = x[start:stop]
        grid = (stop - start) * positions
        rows = grid - offsets[-1]
        flat = xb.reshape(grid, cin)
        for p, offset in enumerate(offsets):
            if not blas.gemm(flat[offset:offset + rows], w[p], products[:rows],
                             accumulate=p > 0):
                return None  # only the first can decline: all take arrays of one kind
        y = products[:grid].reshape((stop - start,) + padded + (filters,))[outputs]
        target = out[start:stop]
        if bias is None:
            np.copyto(target, y)
        else:
            np.add(y, bias, out=target)
        if relu:
            relu_in_place(target)
    return out


# the flat-grid input gradient declines grids with more rows than this times the output's
# (inside `fit`, against the strided adds: 1.27 times 5.0-5.3 against 5.5-10.0 ms, 1.36
# times 3.50 / 3.65 against 5.32 / 5.49 ms, 1.44 times 4.73 / 5.60 against 4.56 / 5.26 ms)
_GRID_WASTE = 1.4

# the inference forward declines grids with more rows than this times the output's
# (measured: 1.04-1.15 faster, 1.27 even, 1.36-1.78 slower than the im2col chunks)
_GRID_WASTE_FORWARD = 1.3

# grid output per batch chunk of the inference forward, in bytes
_FORWARD_CHUNK_BYTES = 4 << 20

KERNELS = {"conv_inference_on_grid": conv_inference_on_grid}
