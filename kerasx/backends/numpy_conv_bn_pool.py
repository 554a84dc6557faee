"""NumPy kernel for a convolution, the batch normalization after it (with the batch's
statistics, in training), an activation that commutes with max and non-overlapping max
pooling, as one node (`kerasx.ops.conv_batch_norm_pool`).

The convolution output is laid out pooling-offset major (`numpy_offset_major`): the
batch statistics do not depend on the order, and pooling, the backward's routing and
affine term and the kernel gradient are contiguous passes, where the separate nodes
make about a dozen strided passes over the convolution output. Only an input
gradient needs the output gradient in the usual layout, one copy. A convolution that
`numpy_winograd` takes is computed there, in the usual layout, and copied to this
one; its gradients come from the output gradient in the usual layout (64 x 16x16x32
-> 64 filters at batch 64, the `convbn` workload's second block: step 34.0 / 36.4
-> 28.6 / 30.6 ms, minimum / median of 10 alternating epochs).

The normalization is handled as in `kerasx.ops.batch_norm_pool`: with the batch's
statistics it is a per-channel affine map `a y + b`, so the node pools `sign(a) y`
and applies `|a| p + b` (and the ReLU) to the pooled array.
"""

import math

import numpy as np

from kerasx.backends import numpy_winograd
from kerasx.backends.numpy_conv import conv_input_grad, conv_kernel_grad
from kerasx.backends.numpy_kernels import ones_vector, relu_in_place, wide
from kerasx.backends.numpy_normalization import batch_moments
from kerasx.backends.numpy_offset_major import (offset_major_cols, pool_blocks, route_blocks,
                                                tiled_grid, to_offset_major, to_standard)
from kerasx.backends.numpy_winograd import conv_winograd, conv_winograd_grads


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
    arrays = [a for a in (x, kernel, bias, scale, offset) if a is not None]
    tiling = tiled_grid(x.shape, window_shape, strides, dilation, pool_size)
    if (tiling is None or x.shape[-1] != cin or x.dtype.kind != "f"
            or any(a.dtype != x.dtype for a in arrays)):
        return None
    out_sizes, grid = tiling
    blocks, batch, cells = math.prod(pool_size), x.shape[0], math.prod(grid)
    # `y` is the convolution without its bias: the normalization subtracts it again
    # with the mean, so only the mean reported for the moving statistics takes it
    winograd = numpy_winograd.ENABLED and conv_winograd(x, kernel, strides, dilation, 1, keep,
                                                        keep)
    if winograd:
        standard, winograd_saved = winograd
        y = to_offset_major(standard, pool_size).reshape(-1, filters)
        cols = None
        del standard
    else:
        cols = offset_major_cols(x, window_shape, strides, dilation, pool_size, grid,
                                 out_sizes)
        y = cols @ kernel.reshape(-1, filters)
    mean, variance = batch_moments(y)
    rinv = 1.0 / np.sqrt(variance + epsilon)
    a = rinv if scale is None else scale * rinv
    shift = -mean * a if offset is None else offset - mean * a
    sign = np.where(a < 0, -1.0, 1.0).astype(x.dtype) if (a < 0).any() else None
    y4 = y.reshape(batch, blocks, cells, filters)
    pooled, winners = pool_blocks(y4, sign)
    out = np.empty_like(pooled)
    wide_out, (wide_scale, wide_shift) = wide(out, np.abs(a), shift)
    np.multiply(wide(pooled)[0], wide_scale, out=wide_out)
    wide_out += wide_shift
    if relu:
        relu_in_place(out)
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
        wide_xhat, (wide_sign, wide_mean, wide_rinv) = wide(
            xhat, np.ones_like(a) if sign is None else sign, mean, rinv)
        np.multiply(wide(pooled)[0], wide_sign, out=wide_xhat)
        wide_xhat -= wide_mean
        wide_xhat *= wide_rinv
        g2 = g.reshape(-1, filters)
        ones = ones_vector(g2.shape[0], g.dtype)
        g_offset = ones @ g2
        xhat *= g
        g_scale = ones @ xhat.reshape(-1, filters)
        slope = -a * rinv * g_scale / rows
        intercept = -a * g_offset / rows - mean * slope
        wide_g, (wide_a,) = wide(g, a)
        ga = np.multiply(wide_g, wide_a).reshape(g.shape)
        dy4 = route_blocks(winners, ga, blocks, (y4, slope, intercept))
        dy = dy4.reshape(rows, filters)
        # the output does not depend on the bias (the normalization removes it): the
        # separate layers' bias gradient is this zero plus rounding
        g_bias = np.zeros_like(bias) if bias is not None else None
        if winograd:
            standard = to_standard(dy4, batch, grid, pool_size, filters)
            g_x, g_kernel = conv_winograd_grads(standard, winograd_saved, x_shape, want_x,
                                                want_kernel)
            return (g_x, g_kernel, g_bias, None if scale is None else g_scale,
                    None if offset is None else g_offset)
        g_kernel = None
        if want_kernel:
            g_kernel = conv_kernel_grad(cols, dy, kernel.shape, 1)
            if g_kernel is None:
                g_kernel = (cols.T @ dy).reshape(kernel.shape)
        g_x = None
        if want_x:
            standard = to_standard(dy4, batch, grid, pool_size, filters)
            g_x = conv_input_grad(standard, kernel, x_shape, strides, dilation, 1)
        return (g_x, g_kernel, g_bias, None if scale is None else g_scale,
                None if offset is None else g_offset)

    return result, reported, variance, backward


KERNELS = {"conv_batch_norm_max_pool": conv_batch_norm_max_pool}
