"""Max and average pooling (1D/2D/3D) and their global forms."""

from kerasx.export.converters import register
from kerasx.export.converters.conv import channels_first, window_padding
from kerasx.layers import (AveragePooling1D, AveragePooling2D, AveragePooling3D,
                           GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                           GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
                           MaxPooling1D, MaxPooling2D, MaxPooling3D)


@register(MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D,
          AveragePooling3D)
def convert_pooling(g, layer, call):
    op = "MaxPool" if layer.pool_mode == "max" else "AveragePool"
    # AveragePool leaves padded cells out of the mean (count_include_pad=0), as Keras does
    padding = window_padding(layer, call.shapes[0])
    return channels_first(g, call.inputs[0], len(call.shapes[0]), layer.data_format, call.hint,
                          lambda x: g.node(op, [x], call.hint, kernel_shape=list(layer.pool_size),
                                           strides=list(layer.strides), **padding))


@register(GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAveragePooling1D,
          GlobalAveragePooling2D, GlobalAveragePooling3D)
def convert_global_pooling(g, layer, call):
    if len(call.node.input_tensors()) > 1 or call.node.kwargs.get("mask") is not None:
        from kerasx.export.converters import UnsupportedLayerError

        raise UnsupportedLayerError(
            f"{type(layer).__name__} layer {layer.name!r} is called with a mask, which the ONNX "
            "export does not support. Export a model without masks.")
    axes = list(layer._axes(call.shapes[0]))
    op = "ReduceMax" if layer.pool_mode == "max" else "ReduceMean"
    return g.reduce(op, call.inputs[0], axes, call.hint, keepdims=layer.keepdims)
