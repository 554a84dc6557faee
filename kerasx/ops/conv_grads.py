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
from kerasx.ops._helpers import Tensor, current, record, tracked, value_of
from kerasx.ops.conv import (conv, conv_forward, conv_kernel_grad, conv_kernels, interior,
                             pad_spatial)


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

    if env["groups"] != 1:
        return None  # declined: grouped convolutions have no recorded gradients yet
    inputs, kernel, _ = parents
    data_format, wv = env["data_format"], env["wv"]
    g = _channels_last(g, data_format)
    if env["relu"]:
        g = g * _mask(env["y"] > 0, g)
    gb = reduce_sum(g, axis=tuple(range(len(g.shape) - 1))) if env["want_bias"] else None
    args = (env["pads"], env["strides"], env["dilation"])
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
