"""A convolution, its bias and ReLU, and the max, global max or average pooling after
it, as one tape node.

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

The gradient of a tied window still goes to its first maximum (with global pooling it
is shared by the tied maxima, as `kerasx.ops.max`); the values compared are those
of the raw convolution, which differ from the unfused ones only where adding the
bias rounds two different values to the same one.

Average pooling (`conv_avg_pool`) does not commute with ReLU: the node applies the
bias and the activation to the whole convolution output, then averages.

A backend may register `conv_max_pool_blocked(x, kernel, strides, dilation,
pool_size, pool_sizes, forward_only)`, for non-overlapping "valid" pooling of an
input that takes no gradient, returning `(pooled, offsets, saved)` or None to
decline, and
`conv_max_pool_blocked_grad(g, offsets, saved, kernel_shape)` returning the
kernel gradient, and `conv_global_max_pool_grads(y, pooled, g, cols, kernel,
padded_shape, strides, dilation, groups, want_x, want_w)` returning the padded
input's and the kernel's gradients after global pooling (or None to decline). For
average pooling, `conv_avg_pool_blocked(x, kernel, bias, strides, dilation,
pool_size, pool_sizes, relu, forward_only)` returns `(pooled, saved)` (the bias and
ReLU applied; None to decline) and `conv_avg_pool_blocked_grad(g, saved,
kernel_shape)` the kernel's and the bias's gradients (None without a bias).
"""

from importlib import import_module

from kerasx.ops._helpers import (Tensor, current, input_like_weights, record, relu_of_fresh,
                                 tracked, value_of)
from kerasx.ops.conv import (add_bias, check_conv_arguments, check_window_fits,
                             conv_forward, conv_kernels, conv_relu_bias_grad, from_channels_last,
                             inference_chunks, inference_forward, interior, normalize_padding,
                             normalize_tuple, output_sizes, pad_for_conv, to_channels_last,
                             training_backward, training_forward)
from kerasx.ops.pooling import pool_channels_last


class _Conv:
    """A convolution's checked arguments and its padded channels_last input."""

    def __init__(self, inputs, kernel, bias, strides, padding, data_format, dilation_rate,
                 groups):
        self.backend = backend = current()
        self.xp = xp = backend.xp
        self.wv = value_of(kernel)
        xv = input_like_weights(value_of(inputs), self.wv)
        self.bv = None if bias is None else value_of(bias)
        (self.data_format, self.groups, self.strides, self.dilation,
         padding) = check_conv_arguments(xv, self.wv, strides, padding, data_format,
                                         dilation_rate, groups)
        self.n = len(self.wv.shape) - 2
        # the arguments of the unfused ops, for the differentiable rule (`fused_grads`)
        self.inputs, self.padding = value_of(inputs), padding
        x = to_channels_last(xp, xv, self.data_format)
        self.x_shape = tuple(x.shape)
        self.pads, self.xpad = pad_for_conv(backend, x, self.wv, self.strides, self.dilation,
                                            padding)
        self.padded_shape, self.kernel_shape = tuple(self.xpad.shape), tuple(self.wv.shape)
        self.windows = tuple((k - 1) * d + 1 for k, d in zip(self.wv.shape[:-2], self.dilation))
        self.sizes = output_sizes(self.padded_shape[1:-1], self.windows, self.strides,
                                  [(0, 0)] * self.n)
        self.im2col_fn, self.input_grad_fn = conv_kernels(backend)
        self.want_x, self.want_w, self.want_b = tracked(inputs), tracked(kernel), tracked(bias)

    def pooling(self, pool_size, pool_strides, pool_padding, what):
        """The normalized `(pool_size, pool_strides, pool_padding)` of the pooling after
        the convolution; with "valid" pooling the input is cropped to the region the
        windows read."""
        n = self.n
        pool_size = normalize_tuple(pool_size, n, "pool_size")
        pool_strides = pool_size if pool_strides is None else normalize_tuple(
            pool_strides, n, "pool_strides")
        pool_padding = normalize_padding(pool_padding)
        if pool_padding == "valid":
            check_window_fits(what, self.sizes, pool_size, [(0, 0)] * n, pool_padding)
            self.xpad = self.xpad[_read_region(self.sizes, self.windows, self.strides,
                                               pool_size, pool_strides)]
        self.pool = (pool_size, pool_strides, pool_padding)
        return pool_size, pool_strides, pool_padding

    def blocked_pool_sizes(self, pool_size, pool_strides, pool_padding):
        """The pooled output's spatial sizes when a backend's blocked kernel may run (an
        input without gradient, one group, non-overlapping "valid" windows), else None."""
        if self.want_x or self.groups != 1 or pool_padding != "valid" \
                or pool_strides != pool_size:
            return None
        return tuple((size - k) // s + 1 for size, k, s in zip(self.sizes, pool_size,
                                                               pool_strides))

    def forward(self):
        """`(y, saved)` of the convolution (no bias) of the (possibly cropped) input,
        `saved` for `backward`."""
        return training_forward(self.backend, self.xpad, self.wv, self.strides,
                                self.dilation, self.groups, self.im2col_fn, self.want_x,
                                self.want_w)

    def forward_im2col(self):
        """`(y, cols)` of the convolution (no bias) through im2col, with the im2col
        matrix for the kernel gradient (None when it takes none)."""
        y, cols = conv_forward(self.xpad, self.wv, self.strides, self.dilation, self.groups,
                               self.im2col_fn)
        return y, cols if self.want_w else None

    def bias_and_relu(self, pooled, relu):
        """`relu(pooled + bias)` in a new array (`pooled` may be kept for a backward)."""
        xp = self.xp
        out = pooled if self.bv is None else add_bias(self.backend, pooled, self.bv)
        if relu:
            out = xp.maximum(out, 0.0) if out is pooled else relu_of_fresh(self.backend, out)
        return out

    def bias_and_relu_grad(self, g, out, relu):
        """The gradient through `bias_and_relu`, and the bias gradient (or None)."""
        if relu or self.want_b:
            return (self.backend.kernel("conv_relu_bias_grad") or conv_relu_bias_grad)(
                g, out if relu else None, self.want_b)
        return g, None

    def backward(self, dy, saved):
        """`(input gradient, kernel gradient)` from the convolution output's gradient
        and `forward`'s `saved` (or `(None, cols)` after `forward_im2col`)."""
        # the positions no window read take no gradient: the zeros past `dy`'s extent
        gpad, gw = training_backward(dy, saved, self.wv, self.padded_shape, self.strides,
                                     self.dilation, self.groups, self.input_grad_fn,
                                     self.want_x, self.want_w)
        return (None if gpad is None else self.unpad(gpad)), gw

    def unpad(self, gpad):
        """The input's gradient from that of the padded channels_last input."""
        return from_channels_last(self.xp, gpad[interior(self.x_shape, self.pads)],
                                  self.data_format)


def conv_max_pool(inputs, kernel, bias=None, strides=1, padding="valid", data_format=None,
                  dilation_rate=1, groups=None, relu=False, pool_size=2, pool_strides=None,
                  pool_padding="valid"):
    """`max_pool(activation(conv(inputs, kernel) + bias))` with activation ReLU
    (`relu=True`) or none.

    The convolution arguments are those of `kerasx.ops.conv`; `pool_size`,
    `pool_strides` (default: `pool_size`) and `pool_padding` those of
    `kerasx.ops.max_pool`. Returns the pooled output in the input's layout.
    """
    c = _Conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups)
    backend, xp = c.backend, c.xp
    pool_size, pool_strides, pool_padding = c.pooling(pool_size, pool_strides, pool_padding,
                                                      "max_pool")
    want_grad = c.want_x or c.want_w or c.want_b

    blocked = None
    blocked_fn = backend.kernel("conv_max_pool_blocked")
    pool_sizes = c.blocked_pool_sizes(pool_size, pool_strides, pool_padding)
    if blocked_fn is not None and pool_sizes is not None:
        blocked = blocked_fn(c.xpad, c.wv, c.strides, c.dilation, pool_size, pool_sizes,
                             not want_grad)
    if blocked is not None:
        pooled, offsets, saved = blocked
        conv_saved = pool_vjp = None
    elif not want_grad:
        pooled = _inference_chunks(c, lambda y: pool_channels_last(
            backend, y, pool_size, pool_strides, pool_padding, "max", False)[0])
    else:
        y, conv_saved = c.forward()
        pooled, pool_vjp = pool_channels_last(backend, y, pool_size, pool_strides,
                                              pool_padding, "max", want_grad)
        del y
    c.xpad = None
    out = c.bias_and_relu(pooled, relu)
    result = from_channels_last(xp, out, c.data_format)
    if not want_grad:
        return Tensor(result)
    if not c.want_w:
        saved = None

    def vjp(g):
        g, gb = c.bias_and_relu_grad(to_channels_last(xp, g, c.data_format), out, relu)
        if blocked is not None:
            gw = None
            if c.want_w:
                gw = backend.kernel("conv_max_pool_blocked_grad")(g, offsets, saved,
                                                                  c.kernel_shape)
            return None, gw, gb
        return (*c.backward(pool_vjp(g), conv_saved), gb)

    return record(result, (inputs, kernel, bias), vjp)


def conv_avg_pool(inputs, kernel, bias=None, strides=1, padding="valid", data_format=None,
                  dilation_rate=1, groups=None, relu=False, pool_size=2, pool_strides=None,
                  pool_padding="valid"):
    """`avg_pool(activation(conv(inputs, kernel) + bias))` with activation ReLU
    (`relu=True`) or none, as one node.

    Average pooling does not commute with ReLU, so the activation runs on every
    convolution position before the windows are averaged; what the node saves is
    the passes over the convolution output between separate nodes. With "valid"
    pooling the convolution computes only the positions some window reads. The
    arguments are those of `conv_max_pool`; returns the pooled output in the
    input's layout.
    """
    c = _Conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups)
    backend, xp = c.backend, c.xp
    pool_size, pool_strides, pool_padding = c.pooling(pool_size, pool_strides, pool_padding,
                                                      "average_pool")
    want_grad = c.want_x or c.want_w or c.want_b

    def pool(y, want):
        return pool_channels_last(backend, y, pool_size, pool_strides, pool_padding, "average",
                                  want)

    blocked = None
    blocked_fn = backend.kernel("conv_avg_pool_blocked")
    pool_sizes = c.blocked_pool_sizes(pool_size, pool_strides, pool_padding)
    if blocked_fn is not None and pool_sizes is not None:
        blocked = blocked_fn(c.xpad, c.wv, c.bv, c.strides, c.dilation, pool_size, pool_sizes,
                             relu, not want_grad)
    if blocked is not None:
        out, saved = blocked
    elif not want_grad:
        out = _inference_chunks(c, lambda y: pool(c.bias_and_relu(y, relu), False)[0])
    else:
        y, conv_saved = c.forward()
        act = c.bias_and_relu(y, relu)
        del y
        out, pool_vjp = pool(act, True)
        if not relu:
            act = None
    c.xpad = None
    result = from_channels_last(xp, out, c.data_format)
    if not want_grad:
        return Tensor(result)

    def vjp(g):
        g = to_channels_last(xp, g, c.data_format)
        if blocked is not None:
            gw, gb = backend.kernel("conv_avg_pool_blocked_grad")(g, saved, c.kernel_shape)
            return None, gw if c.want_w else None, gb if c.want_b else None
        dy, gb = c.bias_and_relu_grad(pool_vjp(g), act, relu)
        return (*c.backward(dy, conv_saved), gb)

    return record(result, (inputs, kernel, bias), vjp)


def conv_global_max_pool(inputs, kernel, bias=None, strides=1, padding="valid",
                         data_format=None, dilation_rate=1, groups=None, relu=False,
                         keepdims=False):
    """`max(activation(conv(inputs, kernel) + bias))` over every spatial axis (the
    global max pooling layers), with activation ReLU (`relu=True`) or none.

    Tied maxima share the gradient equally, as `kerasx.ops.max`. Returns
    `(batch, filters)`, or with `keepdims` the spatial axes kept with size 1 in the
    input's layout.
    """
    c = _Conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups)
    xp, n = c.xp, c.n
    axes = tuple(range(1, n + 1))
    if not (c.want_x or c.want_w or c.want_b):
        pooled = _inference_chunks(c, lambda y: xp.max(y, axis=axes, keepdims=True))
        return Tensor(_pooled_result(c, c.bias_and_relu(pooled, relu), keepdims))
    # im2col: a backend's sparse gradient below reads the im2col matrix
    y, cols = c.forward_im2col()
    c.xpad = None
    pooled = xp.max(y, axis=axes, keepdims=True)
    out = c.bias_and_relu(pooled, relu)
    kept_shape = tuple(out.shape)
    result = _pooled_result(c, out, keepdims)

    def vjp(g):
        g = to_channels_last(xp, g, c.data_format) if keepdims else xp.reshape(g, kept_shape)
        g, gb = c.bias_and_relu_grad(g, out, relu)
        gb = None if gb is None else xp.reshape(gb, (kept_shape[-1],))
        if not (c.want_x or c.want_w):
            return None, None, gb
        sparse = c.backend.kernel("conv_global_max_pool_grads")
        if sparse is not None:
            grads = sparse(y, pooled, g, cols, c.wv, c.padded_shape, c.strides, c.dilation,
                           c.groups, c.want_x, c.want_w)
            if grads is not None:
                return None if grads[0] is None else c.unpad(grads[0]), grads[1], gb
        hits = xp.astype(y == pooled, y.dtype)
        # the division happens on the pooled shape; one pass over the output remains
        dy = hits * (g / xp.sum(hits, axis=axes, keepdims=True))
        return (*c.backward(dy, (None, cols)), gb)

    return record(result, (inputs, kernel, bias), vjp)


def _pooled_result(c, out, keepdims):
    """The globally pooled `out` `(batch, 1, ..., filters)` as the layer returns it."""
    if keepdims:
        return from_channels_last(c.xp, out, c.data_format)
    return c.xp.reshape(out, (out.shape[0], out.shape[-1]))


def _inference_chunks(c, pool):
    """`pool` of the convolution without bias, computed in batch chunks (`conv.
    inference_chunks`: on NumPy the convolution output is pooled while in cache);
    nothing is kept for a backward."""
    parts = []
    for rows in inference_chunks(c.xpad, c.wv, c.sizes):
        y = inference_forward(c.backend, c.xpad[rows, ...], c.wv, c.strides, c.dilation,
                              c.groups, c.im2col_fn)
        parts.append(pool(y))
    c.xpad = None
    return parts[0] if len(parts) == 1 else c.xp.concat(parts, axis=0)


def _read_region(conv_sizes, windows, strides, pool_size, pool_strides):
    """The index of the padded input that the convolution positions read by "valid"
    pooling windows depend on."""
    region = [slice(None)]
    for c, w, s, k, ps in zip(conv_sizes, windows, strides, pool_size, pool_strides):
        used = ((c - k) // ps) * ps + k  # convolution positions under some window
        region.append(slice(0, (used - 1) * s + w))
    return tuple(region) + (slice(None),)


# registers the differentiable rules of the fused nodes
import_module("kerasx.ops.fused_grads")
