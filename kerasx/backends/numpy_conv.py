"""Fast NumPy kernels for convolution and pooling, registered by the NumPy backend.

Each has the signature of the portable function in `kerasx.ops.conv` or
`kerasx.ops.pooling` it replaces; the tests check them against each other.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _window_slices(window_shape, dilation, strides, out_sizes):
    import itertools

    per_axis = [[slice(k * d, k * d + s * (o - 1) + 1, s) for k in range(w)]
                for w, d, s, o in zip(window_shape, dilation, strides, out_sizes)]
    return [(slice(None),) + combo + (slice(None),) for combo in itertools.product(*per_axis)]


def conv_im2col(x, window_shape, strides, dilation, out_sizes):
    """im2col through a strided window view and one contiguous copy.

    With few channels the view's innermost stride is large and concatenating
    the shifted slices is faster, so that case keeps the portable layout.
    """
    n = len(window_shape)
    if x.shape[-1] < 8:
        parts = [x[i] for i in _window_slices(window_shape, dilation, strides, out_sizes)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    windows = tuple((k - 1) * d + 1 for k, d in zip(window_shape, dilation))
    view = sliding_window_view(x, windows, axis=tuple(range(1, n + 1)))
    view = view[(slice(None),)
                + tuple(slice(None, (o - 1) * s + 1, s) for o, s in zip(out_sizes, strides))
                + (slice(None),)
                + tuple(slice(None, None, d) for d in dilation)]
    view = np.moveaxis(view, n + 1, -1)
    return np.ascontiguousarray(view).reshape(view.shape[:n + 1] + (-1,))


def conv_input_grad(dy, kernel, x_shape, strides, dilation, groups):
    """Per-offset `dx[slice] += dy @ W[offset].T` with one reused product buffer."""
    window_shape = tuple(kernel.shape[:-2])
    out_sizes = tuple(dy.shape[1:-1])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
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
        for index in slices:
            target = dx[index]
            if disjoint:
                target[...] = part
            else:
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


def conv_kernel_grad(cols, dy, kernel_shape, groups):
    """`cols.T @ dy` in row blocks when `cols` is skinny (few input channels).

    OpenBLAS runs a (rows x 9) by (rows x 32) product with rows = 86,528 (the first
    layer of the MNIST convnet) at a fraction of its speed; summing 2,048-row
    blocks measured 0.9 ms against 4.5 ms. Wide `cols` keep the single product.
    """
    if groups != 1 or cols.shape[1] >= 32 or cols.shape[0] < 8192:
        return None
    filters = kernel_shape[-1]
    dy2 = dy.reshape(cols.shape[0], filters)
    out = np.zeros((cols.shape[1], filters), dtype=np.result_type(cols, dy2))
    for start in range(0, cols.shape[0], 2048):
        out += cols[start:start + 2048].T @ dy2[start:start + 2048]
    return out.reshape(kernel_shape)


KERNELS = {
    "conv_im2col": conv_im2col,
    "conv_kernel_grad": conv_kernel_grad,
    "conv_input_grad": conv_input_grad,
    "pool_backward": pool_backward,
}
