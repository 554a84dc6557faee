"""The convolution's gradients as recorded ops, for gradients of gradients.

A convolution `y = conv(x, w)` (channels_last, one group, `pads` around `x`) is
bilinear, and so are its two gradients; each of the three is the VJP of the others:

    conv_output(x, w)            -> y
    conv_input_gradient(dy, w)   -> dx   (the transposed convolution, cropped)
    conv_kernel_gradient(x, dy)  -> dw

so their differentiable rules call one another, to any order. `conv`'s own
differentiable rule (registered here) builds on them; its first-order VJP stays the
fused one in `kerasx.ops.conv`.
"""

import math

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current, input_like_weights, record, tracked, value_of
from kerasx.ops.conv import (conv, conv_forward, conv_kernel_grad, conv_kernels, conv_transpose,
                             interior, pad_spatial)


def _padded(xv, pads):
    backend = current()
    return pad_spatial(backend.xp, xv, pads, 0.0, backend.device)


def _output(xv, wv, pads, strides, dilation):
    im2col_fn, _ = conv_kernels(current())
    return conv_forward(_padded(xv, pads), wv, strides, dilation, 1, im2col_fn)[0]


def _input_grad(dyv, wv, x_shape, pads, strides, dilation):
    _, input_grad_fn = conv_kernels(current())
    padded = ((x_shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(x_shape[1:-1], pads))
              + (x_shape[-1],))
    return input_grad_fn(dyv, wv, padded, strides, dilation, 1)[interior(x_shape, pads)]


def _kernel_grad(xv, dyv, kernel_shape, pads, strides, dilation):
    im2col_fn, _ = conv_kernels(current())
    xp = current().xp
    cols = im2col_fn(_padded(xv, pads), tuple(kernel_shape[:-2]), strides, dilation,
                     tuple(dyv.shape[1:-1]))
    cols = xp.reshape(cols, (math.prod(tuple(dyv.shape[:-1])), cols.shape[-1]))
    return conv_kernel_grad(cols, dyv, tuple(kernel_shape), 1)


def conv_output(x, kernel, pads, strides, dilation):
    """The convolution of the channels_last `x` padded by `pads`, as a recorded op."""
    xv, wv = value_of(x), value_of(kernel)
    out = _output(xv, wv, pads, strides, dilation)
    if not tracked(x, kernel):
        return Tensor(out)
    tx, tw = tracked(x), tracked(kernel)

    def vjp(g):
        gx = _input_grad(g, wv, tuple(xv.shape), pads, strides, dilation) if tx else None
        gw = _kernel_grad(xv, g, tuple(wv.shape), pads, strides, dilation) if tw else None
        return gx, gw

    return record(out, (x, kernel), vjp)


def conv_input_gradient(dy, kernel, x_shape, pads, strides, dilation):
    """The gradient of `conv_output` with respect to an input of shape `x_shape`."""
    dyv, wv = value_of(dy), value_of(kernel)
    out = _input_grad(dyv, wv, x_shape, pads, strides, dilation)
    if not tracked(dy, kernel):
        return Tensor(out)
    tdy, tw = tracked(dy), tracked(kernel)

    def vjp(h):
        gdy = _output(h, wv, pads, strides, dilation) if tdy else None
        gw = _kernel_grad(h, dyv, tuple(wv.shape), pads, strides, dilation) if tw else None
        return gdy, gw

    return record(out, (dy, kernel), vjp)


def conv_kernel_gradient(x, dy, kernel_shape, pads, strides, dilation):
    """The gradient of `conv_output` with respect to a kernel of shape `kernel_shape`."""
    xv, dyv = value_of(x), value_of(dy)
    out = _kernel_grad(xv, dyv, kernel_shape, pads, strides, dilation)
    if not tracked(x, dy):
        return Tensor(out)
    tx, tdy = tracked(x), tracked(dy)

    def vjp(k):
        gx = _input_grad(dyv, k, tuple(xv.shape), pads, strides, dilation) if tx else None
        gdy = _output(xv, k, pads, strides, dilation) if tdy else None
        return gx, gdy

    return record(out, (x, dy), vjp)


def _constant(parent, value):
    return value if parent is None else parent


@differentiable_vjp(conv_output)
def _conv_output_rule(g, parents, out, env):
    x, w = _constant(parents[0], env["xv"]), _constant(parents[1], env["wv"])
    args = (env["pads"], env["strides"], env["dilation"])
    gx = conv_input_gradient(g, w, tuple(env["xv"].shape), *args) if env["tx"] else None
    gw = conv_kernel_gradient(x, g, tuple(env["wv"].shape), *args) if env["tw"] else None
    return gx, gw


@differentiable_vjp(conv_input_gradient)
def _conv_input_gradient_rule(h, parents, out, env):
    dy, w = _constant(parents[0], env["dyv"]), _constant(parents[1], env["wv"])
    args = (env["pads"], env["strides"], env["dilation"])
    gdy = conv_output(h, w, *args) if env["tdy"] else None
    gw = conv_kernel_gradient(h, dy, tuple(env["wv"].shape), *args) if env["tw"] else None
    return gdy, gw


@differentiable_vjp(conv_kernel_gradient)
def _conv_kernel_gradient_rule(k, parents, out, env):
    x, dy = _constant(parents[0], env["xv"]), _constant(parents[1], env["dyv"])
    args = (env["pads"], env["strides"], env["dilation"])
    gx = conv_input_gradient(dy, k, tuple(env["xv"].shape), *args) if env["tx"] else None
    gdy = conv_output(x, k, *args) if env["tdy"] else None
    return gx, gdy


def _channels_last(x, data_format):
    from kerasx.ops.shape import transpose

    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return transpose(x, (0, *range(2, nd), 1))


def _channels_first(x, data_format):
    from kerasx.ops.shape import transpose

    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return transpose(x, (0, nd - 1, *range(1, nd - 1)))


@differentiable_vjp(conv)
def _conv_rule(g, parents, out, env):
    from kerasx.ops.linalg import matmul
    from kerasx.ops.math import _mask
    from kerasx.ops.reduction import sum as reduce_sum
    from kerasx.ops.shape import reshape, transpose

    inputs, kernel, _ = parents
    data_format, wv = env["data_format"], env["wv"]
    g = _channels_last(g, data_format)
    if env["relu"]:
        g = g * _mask(env["y"] > 0, g)
    gb = reduce_sum(g, axis=tuple(range(len(g.shape) - 1))) if env["want_bias"] else None
    args = (env["pads"], env["strides"], env["dilation"])
    if env["want_w"] and inputs is None and "constant_input" in env:
        # kept for this rule by the op, in the type the convolution computed in
        inputs = Tensor(input_like_weights(env["constant_input"], env["wv"]))
    if env["groups"] != 1:
        if env["want_w"] and inputs is None:
            return None  # declined: no copy of the constant input was kept
        gx, gw = _grouped_conv_grads(g, inputs, kernel, env, args)
        return gx, gw, gb
    gx = gw = None
    if env["want_x"]:
        gx = conv_input_gradient(g, _constant(kernel, wv), env["x_shape"], *args)
        gx = _channels_first(gx, data_format)
    if env["want_w"]:
        if inputs is not None:
            gw = conv_kernel_gradient(_channels_last(inputs, data_format), g, tuple(wv.shape),
                                      *args)
        elif env["saved"][0] is None:  # the input's im2col matrix, kept by the forward
            cols = env["saved"][1]
            g2 = reshape(g, (cols.shape[0], wv.shape[-1]))
            gw = reshape(matmul(transpose(cols, (1, 0)), g2), tuple(wv.shape))
        else:  # a backend kernel kept its own state: declined
            return None
    return gx, gw, gb


def _grouped_conv_grads(g, inputs, kernel, env, args):
    """`(input gradient, kernel gradient)` of a grouped (or depthwise) convolution from
    its channels_last output gradient `g`: one convolution's gradients per group,
    joined along the channels."""
    from kerasx.ops.shape import concatenate, getitem

    groups, wv, data_format = env["groups"], env["wv"], env["data_format"]
    per_in, per_out = wv.shape[-2], wv.shape[-1] // groups
    x_shape = tuple(env["x_shape"][:-1]) + (per_in,)
    w = _constant(kernel, wv)
    x = None if inputs is None else _channels_last(inputs, data_format)
    gxs, gws = [], []
    for i in range(groups):
        outs = (Ellipsis, slice(i * per_out, (i + 1) * per_out))
        g_i, w_i = getitem(g, outs), getitem(w, outs)
        if env["want_x"]:
            gxs.append(conv_input_gradient(g_i, w_i, x_shape, *args))
        if env["want_w"]:
            x_i = getitem(x, (Ellipsis, slice(i * per_in, (i + 1) * per_in)))
            gws.append(conv_kernel_gradient(x_i, g_i, tuple(w_i.shape), *args))
    gx = _channels_first(concatenate(gxs, axis=-1), data_format) if gxs else None
    gw = concatenate(gws, axis=-1) if gws else None
    return gx, gw


@differentiable_vjp(conv_transpose)
def _conv_transpose_rule(g, parents, out, env):
    """A transposed convolution is `conv_input_gradient` of its input: its gradients
    are the convolution of `g` (input) and `conv_kernel_gradient` (kernel)."""
    from kerasx.ops.reduction import sum as reduce_sum
    from kerasx.ops.shape import getitem

    inputs, kernel, bias = parents
    data_format = env["data_format"]
    spatial = env["crop"][1:-1]
    starts = tuple(c.start for c in spatial)
    sizes = tuple(c.stop - c.start for c in spatial)
    full = tuple(c.stop for c in env["conv_region"][1:-1])
    # an output reaching past the transposed convolution (output_padding, or strides
    # above the window) ends in zeros that take no gradient
    core = tuple(min(a + n, f) - a for a, f, n in zip(starts, full, sizes))
    pads = tuple((a, f - a - n) for a, f, n in zip(starts, full, core))
    args = (pads, env["strides"], env["dilation"])
    g = _channels_last(g, data_format)
    gb = None
    if bias is not None:
        gb = reduce_sum(g, axis=tuple(range(len(g.shape) - 1)))
    if core != sizes:
        g = getitem(g, (slice(None),) + tuple(slice(0, n) for n in core) + (slice(None),))
    gx = gw = None
    if inputs is not None:
        gx = _channels_first(conv_output(g, _constant(kernel, env["wv"]), *args), data_format)
    if kernel is not None:
        x = _channels_last(inputs, data_format) if inputs is not None else env["x"]
        gw = conv_kernel_gradient(g, x, env["kernel_shape"], *args)
    return gx, gw, gb
