"""Dense, Embedding, the layers that are the identity at inference, and preprocessing scales."""

from kerasx import ops
from kerasx.export.converters import UnsupportedLayerError, register
from kerasx.export.converters.activation_layers import apply_activation
from kerasx.layers import (ActivityRegularization, AlphaDropout, Dense, Dropout, Embedding,
                           GaussianDropout, GaussianNoise, Identity, Masking, Normalization,
                           Rescaling, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)


@register(Dense)
def convert_dense(g, layer, call):
    hint = call.hint
    y = g.node("MatMul", [call.inputs[0], g.weight(layer.kernel, f"{hint}/kernel")], hint)
    if layer.bias is not None:
        y = g.node("Add", [y, g.weight(layer.bias, f"{hint}/bias")], hint)
    return apply_activation(g, layer.activation, y, hint, call.out_dtypes[0], layer.name)


@register(Embedding)
def convert_embedding(g, layer, call):
    if layer.mask_zero:
        raise UnsupportedLayerError(
            f"Embedding layer {layer.name!r} has mask_zero=True: ONNX export does not carry "
            "masks from layer to layer, so the exported model would compute something else. "
            "Export a model built with mask_zero=False.")
    ids = call.inputs[0]
    if not call.dtypes[0].startswith(("int", "uint")):
        ids = g.node("Cast", [ids], call.hint, to=_int64())
    return g.node("Gather", [g.weight(layer.embeddings, f"{call.hint}/embeddings"), ids],
                  call.hint, axis=0)


@register(Masking)
def convert_masking(g, layer, call):
    raise UnsupportedLayerError(
        f"Masking layer {layer.name!r}: ONNX export does not carry masks from layer to layer, "
        "so the layers after it would compute something else. Export a model without masks.")


convert_masking.refuses = True


def _int64():
    from onnx import TensorProto

    return TensorProto.INT64


@register(Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, GaussianNoise,
          GaussianDropout, AlphaDropout, ActivityRegularization, Identity)
def convert_inference_identity(g, layer, call):
    """Noise and dropout layers do nothing at inference, which is what an export serves."""
    return call.inputs[0]


@register(Rescaling)
def convert_rescaling(g, layer, call):
    from kerasx.config import image_data_format

    dtype = layer.dtype
    scale = ops.convert_to_tensor(layer.scale, dtype=dtype)
    offset = ops.convert_to_tensor(layer.offset, dtype=dtype)
    if len(scale.shape) and image_data_format() == "channels_first":
        scale = ops.reshape(scale, tuple(scale.shape) + (1,) * (3 - len(scale.shape)))
    x = call.inputs[0]
    if call.dtypes[0] != dtype:
        from kerasx.export.onnx_graph import element_type

        x = g.node("Cast", [x], call.hint, to=element_type(dtype))
    y = g.node("Mul", [x, g.weight(scale, f"{call.hint}/scale")], call.hint)
    return g.node("Add", [y, g.weight(offset, f"{call.hint}/offset")], call.hint)


@register(Normalization)
def convert_normalization(g, layer, call):
    from kerasx.config import epsilon

    dtype = layer.dtype
    mean, variance = layer.mean, layer.variance
    if mean is None:
        mean = ops.reshape(ops.cast(layer.adapt_mean, dtype), layer._broadcast_shape)
        variance = ops.reshape(ops.cast(layer.adapt_variance, dtype), layer._broadcast_shape)
    scale = ops.maximum(ops.sqrt(variance), epsilon())
    x, hint = call.inputs[0], call.hint
    if call.dtypes[0] != dtype:
        from kerasx.export.onnx_graph import element_type

        x = g.node("Cast", [x], hint, to=element_type(dtype))
    mean, scale = g.weight(mean, f"{hint}/mean"), g.weight(scale, f"{hint}/scale")
    if layer.invert:
        return g.node("Add", [mean, g.node("Mul", [x, scale], hint)], hint)
    return g.node("Div", [g.node("Sub", [x, mean], hint), scale], hint)
