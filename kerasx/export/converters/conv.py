"""Convolutions: Conv1D/2D/3D, DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1D/2D/3DTranspose.

ONNX convolutions read channels-first tensors and `(out, in, *window)`
kernels: channels-last inputs are transposed around the operator, and the
kernels are transposed once, when they are written.
"""

from kerasx import ops
from kerasx.export.converters import UnsupportedLayerError, register
from kerasx.export.converters.activation_layers import apply_activation
from kerasx.layers import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                           Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                           SeparableConv2D)
from kerasx.ops.conv import transpose_padding


def channels_first(g, x, rank, data_format, hint, compute):
    """`compute(x)` on channels-first `x`, transposing a channels-last `x` in and out."""
    if data_format == "channels_first":
        return compute(x)
    x = g.transpose(x, [0, rank - 1] + list(range(1, rank - 1)), hint)
    return g.transpose(compute(x), [0] + list(range(2, rank)) + [1], hint)


def window_padding(layer, input_shape):
    """The `pads` (or `auto_pad`) attribute of a convolution or pooling layer's padding."""
    windows = layer.kernel_size if hasattr(layer, "kernel_size") else layer.pool_size
    dilations = getattr(layer, "dilation_rate", (1,) * len(windows))
    windows = [(k - 1) * d + 1 for k, d in zip(windows, dilations)]
    n = len(windows)
    if layer.padding == "causal":
        return {"pads": [w - 1 for w in windows] + [0] * n}
    if layer.padding != "same":
        return {"pads": [0] * (2 * n)}
    sizes = input_shape[1:-1] if layer.data_format == "channels_last" else input_shape[2:]
    before, after = [], []
    for size, w, s in zip(sizes, windows, layer.strides):
        if size is None and s != 1:
            if any(d != 1 for d in dilations):
                raise UnsupportedLayerError(
                    f"{type(layer).__name__} layer {layer.name!r} has padding='same' with both "
                    "strides and dilation on a spatial axis of unknown size, which ONNX Runtime "
                    "cannot run. Give the Input a fixed spatial size to export it.")
            return {"auto_pad": "SAME_UPPER"}
        # TensorFlow's "same": the output has ceil(size / stride) steps, extra padding after
        total = w - 1 if size is None else max((-(-size // s) - 1) * s + w - size, 0)
        before.append(total // 2)
        after.append(total - total // 2)
    return {"pads": before + after}


def onnx_kernel(kernel):
    """A Keras `(*window, in, out)` kernel as ONNX's `(out, in, *window)` (or, for a
    transposed convolution's `(*window, out, in)`, as `(in, out, *window)`)."""
    n = len(kernel.shape) - 2
    return ops.transpose(kernel, (n + 1, n) + tuple(range(n)))


def _conv(g, layer, call, kernel, groups, bias, activation=True):
    hint, rank = call.hint, len(call.shapes[0])
    w = g.weight(onnx_kernel(kernel), f"{hint}/kernel")
    b = [] if bias is None else [g.weight(bias, f"{hint}/bias")]
    y = channels_first(g, call.inputs[0], rank, layer.data_format, hint, lambda x: g.node(
        "Conv", [x, w] + b, hint, group=int(groups), strides=list(layer.strides),
        dilations=list(layer.dilation_rate), **window_padding(layer, call.shapes[0])))
    if not activation:
        return y
    return apply_activation(g, layer.activation, y, hint, call.out_dtypes[0], layer.name)


@register(Conv1D, Conv2D, Conv3D)
def convert_conv(g, layer, call):
    return _conv(g, layer, call, layer.kernel, layer.groups, layer.bias)


def _grouped(kernel):
    """A depthwise `(*window, channels, multiplier)` kernel as the equivalent grouped
    convolution's `(*window, 1, channels * multiplier)`."""
    shape = tuple(kernel.shape)
    return ops.reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1])), shape[-2]


@register(DepthwiseConv1D, DepthwiseConv2D)
def convert_depthwise_conv(g, layer, call):
    kernel, channels = _grouped(layer.kernel)
    return _conv(g, layer, call, kernel, channels, layer.bias)


@register(SeparableConv1D, SeparableConv2D)
def convert_separable_conv(g, layer, call):
    kernel, channels = _grouped(layer.depthwise_kernel)
    hint, rank = call.hint, len(call.shapes[0])
    depthwise = g.weight(onnx_kernel(kernel), f"{hint}/depthwise_kernel")
    pointwise = g.weight(onnx_kernel(layer.pointwise_kernel), f"{hint}/pointwise_kernel")
    bias = [] if layer.bias is None else [g.weight(layer.bias, f"{hint}/bias")]

    def compute(x):
        x = g.node("Conv", [x, depthwise], hint, group=int(channels),
                   strides=list(layer.strides), dilations=list(layer.dilation_rate),
                   **window_padding(layer, call.shapes[0]))
        return g.node("Conv", [x, pointwise] + bias, hint)

    y = channels_first(g, call.inputs[0], rank, layer.data_format, hint, compute)
    return apply_activation(g, layer.activation, y, hint, call.out_dtypes[0], layer.name)


@register(Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)
def convert_conv_transpose(g, layer, call):
    hint, rank = call.hint, len(call.shapes[0])
    n = rank - 2
    outpad = layer.output_padding or (None,) * n
    begin, end, extra = [], [], []
    for k, s, d, op in zip(layer.kernel_size, layer.strides, layer.dilation_rate, outpad):
        window = (k - 1) * d + 1
        lo, hi = transpose_padding(window, s, layer.padding, op)
        # kerasx crops the full transposed output from `window - 1 - lo` to
        # `window - 1 - hi` before its end; a negative crop grows the output instead
        begin.append(window - 1 - lo)
        end.append(max(window - 1 - hi, 0))
        extra.append(max(hi - (window - 1), 0))
    w = g.weight(onnx_kernel(layer.kernel), f"{hint}/kernel")
    b = [] if layer.bias is None else [g.weight(layer.bias, f"{hint}/bias")]
    y = channels_first(g, call.inputs[0], rank, layer.data_format, hint, lambda x: g.node(
        "ConvTranspose", [x, w] + b, hint, strides=list(layer.strides),
        dilations=list(layer.dilation_rate), pads=begin + end,
        output_padding=extra if any(extra) else None))
    return apply_activation(g, layer.activation, y, hint, call.out_dtypes[0], layer.name)
