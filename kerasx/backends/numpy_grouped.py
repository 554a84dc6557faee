"""Grouped convolutions (`groups` between 1 and the channel count) on NumPy, registered
by the NumPy backend: one ungrouped convolution per group, on the group's channel slice.

The portable path builds one im2col matrix for all groups and reorders it (and the
output gradient) into a group-major layout with transposing copies of the whole
matrix, forward and backward. Here each group's im2col matrix is built straight from
its channel slice, its product is written into the group's columns of the output,
and the backward runs the ungrouped NumPy kernels (`numpy_conv`) per group: the
kernel gradient reads the group's columns of the output gradient in place, the input
gradient is written into the group's channels. The matrices hold the same values as
the portable one, so results agree to rounding. Forward and both gradients / forward
alone at batch 64, 16x16, 3x3 (minimum ms, here against the portable path): 32 -> 32
channels in 4 groups 8.8 / 3.8 against 23.3 / 6.1 (the ungrouped convolution 7.9 /
3.0), in 16 groups 13.1 / 3.2 against 42.1 / 16.3; 64 -> 64 in 2 groups 17.0 / 5.9
against 47.0 / 7.3 (before `_group_major`, which took the first to 8.2 ms). Each
group's im2col copy moves runs of only its own channels, so a grouped convolution is
not faster than the ungrouped one of the same width.

Depthwise convolutions (one input channel per group) go to `numpy_depthwise`.
"""

import math

import numpy as np

from kerasx.backends.numpy_conv import conv_im2col, conv_input_grad, conv_kernel_grad
from kerasx.backends.numpy_trace_array import recordable_helper

# One input channel per group is a depthwise convolution: `numpy_depthwise` takes it, or
# the portable path (one product per channel here would cost more than its reordering)
MIN_GROUP_CHANNELS = 2


class Saved:
    """What the backward needs from a grouped forward."""

    __slots__ = ("cols", "kernel", "kernel_shape", "strides", "dilation", "groups")

    def __init__(self, cols, kernel, kernel_shape, strides, dilation, groups):
        self.cols, self.kernel, self.kernel_shape = cols, kernel, kernel_shape
        self.strides, self.dilation, self.groups = strides, dilation, groups


def _takes(x, kernel, groups):
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    return (1 < groups and x.shape[-1] == cin * groups and filters % groups == 0
            and cin >= MIN_GROUP_CHANNELS and x.dtype == kernel.dtype and x.dtype.kind == "f")


def _group_kernel(kernel, g, groups):
    """The kernel of group `g`: `(*window, cin, filters // groups)`, contiguous."""
    fg = kernel.shape[-1] // groups
    return np.ascontiguousarray(kernel[..., g * fg:(g + 1) * fg])


def _group_major(x, groups):
    """`x` copied to `(groups, batch, *spatial, channels // groups)`.

    In `x` a group's channels are runs of a few floats between the other groups'; in its
    own contiguous array, the channels of neighbouring window columns are one run, which
    the im2col copy moves in one piece (3 times longer runs for a 3-wide window).
    `_forward` makes it for 8 to 31 channels per group. With 8 and 16 it took the forward
    at 64 x 18x18 from 8.4 to 5.4 ms (32 channels in 4 groups), 20.7 to 10.3 (64 in 8),
    16.5 to 11.5 (64 in 4) and, at 10x10, 12.3 to 7.7 (128 in 8); with 32 channels per
    group it changed nothing (11.0 against 11.1 ms), and below 8 im2col makes its own
    channels-first copy (7.2 against 5.9 ms with 2 per group)."""
    return np.ascontiguousarray(np.moveaxis(x.reshape(x.shape[:-1] + (groups, -1)), -2, 0))


def _forward(x, kernel, strides, dilation, groups, keep_cols):
    window_shape = tuple(kernel.shape[:-2])
    windows = tuple((k - 1) * d + 1 for k, d in zip(window_shape, dilation))
    out_sizes = tuple((n - w) // s + 1 for n, w, s in zip(x.shape[1:-1], windows, strides))
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    fg = filters // groups
    rows = math.prod((x.shape[0],) + out_sizes)
    y = np.empty((rows, filters), dtype=x.dtype)
    major = _group_major(x, groups) if 8 <= cin < 32 else None
    kept = []
    for g in range(groups):
        part = major[g] if major is not None else x[..., g * cin:(g + 1) * cin]
        cols = conv_im2col(part, window_shape, strides, dilation, out_sizes)
        cols = cols.reshape(rows, cols.shape[-1])
        np.matmul(cols, _group_kernel(kernel, g, groups).reshape(-1, fg),
                  out=y[:, g * fg:(g + 1) * fg])
        if keep_cols:
            kept.append(cols)
    return y.reshape((x.shape[0],) + out_sizes + (filters,)), kept


@recordable_helper
def conv_grouped(x, kernel, strides, dilation, groups, want_x, want_w):
    """The valid grouped convolution of the padded channels_last `x`, as `(y, saved)` for
    `conv_grouped_grads`; None for a convolution it does not take (one group, one
    channel per group, mixed or non-float dtypes).
    `want_x` / `want_w` say which gradients will be asked for."""
    if not _takes(x, kernel, groups):
        return None
    y, cols = _forward(x, kernel, strides, dilation, groups, want_w)
    return y, Saved(cols, kernel if want_x else None, tuple(kernel.shape), strides, dilation,
                    groups)


@recordable_helper
def conv_grouped_grads(dy, saved, x_shape, want_x, want_w):
    """`(input gradient, kernel gradient)` of `conv_grouped` from the output's gradient
    `dy` (None for the one not wanted); the input gradient has `x_shape`."""
    groups = saved.groups
    filters = dy.shape[-1]
    fg = filters // groups
    rows = math.prod(dy.shape[:-1])
    dy2 = dy.reshape(rows, filters)
    dx = dw = None
    if want_x:
        kernel = saved.kernel
        cin = kernel.shape[-2]
        dx = np.empty(tuple(x_shape), dtype=dy.dtype)
        group_shape = tuple(x_shape[:-1]) + (cin,)
        for g in range(groups):
            dy_g = np.ascontiguousarray(dy[..., g * fg:(g + 1) * fg])
            dx[..., g * cin:(g + 1) * cin] = conv_input_grad(
                dy_g, _group_kernel(kernel, g, groups), group_shape, saved.strides,
                saved.dilation, 1)
    if want_w:
        window_cin = math.prod(saved.kernel_shape[:-1])
        dw = np.empty((window_cin, filters), dtype=dy.dtype)
        for g, cols in enumerate(saved.cols):
            part = dy2[:, g * fg:(g + 1) * fg]
            done = conv_kernel_grad(cols, part, (window_cin, fg), 1)
            dw[:, g * fg:(g + 1) * fg] = done if done is not None else cols.T @ part
        dw = dw.reshape(saved.kernel_shape)
    return dx, dw


@recordable_helper
def grouped_inference(x, kernel, strides, dilation, groups):
    """The forward alone, or None where `conv_grouped` declines."""
    if not _takes(x, kernel, groups):
        return None
    return _forward(x, kernel, strides, dilation, groups, False)[0]


KERNELS = {"conv_grouped": conv_grouped, "conv_grouped_grads": conv_grouped_grads,
           "conv_grouped_inference": grouped_inference}
