"""A convolution, its bias and ReLU, and the max pooling after it, as one tape node.

Max pooling commutes with adding a per-channel bias and with ReLU (both are
non-decreasing, and so is their floating-point rounding), so
`max_pool(relu(conv(x) + b)) == relu(max_pool(conv(x)) + b)` exactly. The node
pools the raw convolution and adds the bias and the ReLU on the pooled output,
a quarter of the size for 2x2 pooling. With "valid" pooling the convolution
computes only the positions some window reads (the MNIST convnet's second
convolution: 10x10 of its 11x11). Sequential and functional models run a
convolution layer and the max pooling layer after it through here
(`kerasx.models.fusion`), applying any other activation that commutes with max
to the pooled result.

The gradient of a tied window still goes to its first maximum; the positions
compared are those of the raw convolution, which differ from the unfused
order only where adding the bias rounds two different values to the same one.

A backend may register `conv_max_pool_blocked(x, kernel, strides, dilation,
pool_size, pool_sizes)`, for non-overlapping "valid" pooling of an input that
takes no gradient, returning `(pooled, offsets, saved)` or None to decline, and
`conv_max_pool_blocked_grad(g, offsets, saved, kernel_shape)` returning the
kernel gradient.
"""

from kerasx.ops._helpers import Tensor, current, record, tracked, value_of
from kerasx.ops.conv import (apply_relu, check_conv_arguments, check_window_fits, conv_forward,
                             conv_kernel_grad, conv_kernels, conv_relu_bias_grad,
                             from_channels_last, interior, normalize_padding, normalize_tuple,
                             output_sizes, pad_for_conv, to_channels_last)
from kerasx.ops.pooling import pool_channels_last


def conv_max_pool(inputs, kernel, bias=None, strides=1, padding="valid", data_format=None,
                  dilation_rate=1, groups=None, relu=False, pool_size=2, pool_strides=None,
                  pool_padding="valid"):
    """`max_pool(activation(conv(inputs, kernel) + bias))` with activation ReLU
    (`relu=True`) or none.

    The convolution arguments are those of `kerasx.ops.conv`; `pool_size`,
    `pool_strides` (default: `pool_size`) and `pool_padding` those of
    `kerasx.ops.max_pool`. Returns the pooled output in the input's layout.
    """
    backend = current()
    xp = backend.xp
    xv, wv = value_of(inputs), value_of(kernel)
    bv = None if bias is None else value_of(bias)
    data_format, groups, strides, dilation, padding = check_conv_arguments(
        xv, wv, strides, padding, data_format, dilation_rate, groups)
    n = len(wv.shape) - 2
    pool_size = normalize_tuple(pool_size, n, "pool_size")
    pool_strides = pool_size if pool_strides is None else normalize_tuple(
        pool_strides, n, "pool_strides")
    pool_padding = normalize_padding(pool_padding)
    im2col_fn, input_grad_fn = conv_kernels(backend)

    x = to_channels_last(xp, xv, data_format)
    pads, xpad = pad_for_conv(backend, x, wv, strides, dilation, padding)
    padded_shape, x_shape, kernel_shape = tuple(xpad.shape), tuple(x.shape), tuple(wv.shape)
    windows = tuple((k - 1) * d + 1 for k, d in zip(wv.shape[:-2], dilation))
    conv_sizes = output_sizes(padded_shape[1:-1], windows, strides, [(0, 0)] * n)
    if pool_padding == "valid":
        check_window_fits("max_pool", conv_sizes, pool_size, [(0, 0)] * n, pool_padding)
        xpad = xpad[_read_region(conv_sizes, windows, strides, pool_size, pool_strides)]
    want_x, want_w = tracked(inputs), tracked(kernel)
    want_grad = want_x or want_w or tracked(bias)

    blocked = None
    blocked_fn = backend.kernel("conv_max_pool_blocked")
    if (blocked_fn is not None and not want_x and groups == 1 and pool_padding == "valid"
            and pool_strides == pool_size):
        pool_sizes = tuple((c - k) // s + 1
                           for c, k, s in zip(conv_sizes, pool_size, pool_strides))
        blocked = blocked_fn(xpad, wv, strides, dilation, pool_size, pool_sizes)
    if blocked is not None:
        pooled, offsets, saved = blocked
        cols = pool_vjp = None
    else:
        y, cols = conv_forward(xpad, wv, strides, dilation, groups, im2col_fn)
        pooled, pool_vjp = pool_channels_last(backend, y, pool_size, pool_strides,
                                              pool_padding, "max", want_grad)
        del y
    del x, xpad
    # `pooled` may be kept by the pooling backward, so the bias makes a new array
    out = pooled if bv is None else pooled + bv
    if relu:
        out = apply_relu(xp, out) if out is pooled else (
            backend.kernel("relu_inplace") or apply_relu)(xp, out)
    result = from_channels_last(xp, out, data_format)
    if not want_grad:
        return Tensor(result)
    if not want_w:
        cols = saved = None
    want_b = tracked(bias)

    def vjp(g):
        g = to_channels_last(xp, g, data_format)
        gx = gw = gb = None
        if relu or want_b:
            g, gb = (backend.kernel("conv_relu_bias_grad") or conv_relu_bias_grad)(
                g, out if relu else None, want_b)
        if blocked is not None:
            if want_w:
                gw = backend.kernel("conv_max_pool_blocked_grad")(g, offsets, saved,
                                                                  kernel_shape)
            return gx, gw, gb
        dy = pool_vjp(g)
        if want_x:
            # the positions no window read take no gradient: the zeros past `dy`'s extent
            gpad = input_grad_fn(dy, wv, padded_shape, strides, dilation, groups)
            gx = from_channels_last(xp, gpad[interior(x_shape, pads)], data_format)
        if want_w:
            gw = conv_kernel_grad(cols, dy, kernel_shape, groups)
        return gx, gw, gb

    return record(result, (inputs, kernel, bias), vjp)


def _read_region(conv_sizes, windows, strides, pool_size, pool_strides):
    """The index of the padded input that the convolution positions read by "valid"
    pooling windows depend on."""
    region = [slice(None)]
    for c, w, s, k, ps in zip(conv_sizes, windows, strides, pool_size, pool_strides):
        used = ((c - k) // ps) * ps + k  # convolution positions under some window
        region.append(slice(0, (used - 1) * s + w))
    return tuple(region) + (slice(None),)
