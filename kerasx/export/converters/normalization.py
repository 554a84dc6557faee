"""BatchNormalization (with its moving statistics, as at inference), LayerNormalization,
GroupNormalization, RMSNormalization and UnitNormalization."""

from kerasx import ops
from kerasx.export.converters import register
from kerasx.layers import (BatchNormalization, GroupNormalization, LayerNormalization,
                           RMSNormalization, UnitNormalization)


def _trailing_shape(size, axis, rank):
    """A per-feature vector's shape that broadcasts along `axis` of a rank-`rank` tensor."""
    return (size,) + (1,) * (rank - 1 - axis)


@register(BatchNormalization)
def convert_batch_normalization(g, layer, call):
    rank = len(call.shapes[0])
    axis = layer._feature_axis(call.shapes[0])
    # y = x * inv + shift, the form kerasx and Keras compute at inference
    inv = 1.0 / ops.sqrt(ops.add(layer.moving_variance, layer.epsilon))
    if layer.gamma is not None:
        inv = ops.multiply(inv, layer.gamma)
    shift = ops.negative(ops.multiply(layer.moving_mean, inv))
    if layer.beta is not None:
        shift = ops.add(layer.beta, shift)
    shape = _trailing_shape(int(inv.shape[0]), axis, rank)
    hint = call.hint
    y = g.node("Mul", [call.inputs[0], g.weight(ops.reshape(inv, shape), f"{hint}/scale")], hint)
    return g.node("Add", [y, g.weight(ops.reshape(shift, shape), f"{hint}/shift")], hint)


def _standardized(g, x, axes, epsilon, hint, dtype, center=True):
    """`(x - mean) / sqrt(variance + epsilon)` over `axes` (`x / sqrt(...)` without
    `center`, the deviation still measured around the mean)."""
    mean = g.reduce("ReduceMean", x, axes, hint)
    centered = g.node("Sub", [x, mean], hint)
    variance = g.reduce("ReduceMean", g.node("Mul", [centered, centered], hint), axes, hint)
    std = g.node("Sqrt", [g.node("Add", [variance, g.constant(float(epsilon), dtype,
                                                                f"{hint}/epsilon")], hint)], hint)
    return g.node("Div", [centered if center else x, std], hint)


@register(LayerNormalization)
def convert_layer_normalization(g, layer, call):
    shape = call.shapes[0]
    rank = len(shape)
    axes = _axes(layer.axis, rank)
    hint = call.hint
    # rms_scaling divides the uncentered input by the same deviation (kerasx, Keras)
    y = _standardized(g, call.inputs[0], axes, layer.epsilon, hint, call.dtypes[0],
                      center=not layer.rms_scaling)
    broadcast = tuple(shape[i] if i in axes else 1 for i in range(axes[0], rank))
    if layer.gamma is not None:
        gamma = g.weight(ops.reshape(layer.gamma, broadcast), f"{hint}/gamma")
        y = g.node("Mul", [y, gamma], hint)
    if layer.beta is not None and not layer.rms_scaling:
        y = g.node("Add", [y, g.weight(ops.reshape(layer.beta, broadcast), f"{hint}/beta")], hint)
    return y


@register(GroupNormalization)
def convert_group_normalization(g, layer, call):
    """Channels moved last and split in groups, `(batch, steps, groups, channels / groups)`,
    each sample's group standardized over its steps and channels, then put back."""
    shape = call.shapes[0]
    rank, hint = len(shape), call.hint
    axis = layer._channel_axis(shape)
    if axis == 0:
        from kerasx.export.converters import UnsupportedLayerError

        raise UnsupportedLayerError(
            f"GroupNormalization layer {layer.name!r} groups the batch axis (axis=0), which "
            "the ONNX export does not support.")
    to_last = [i for i in range(rank) if i != axis] + [axis]
    x = g.transpose(call.inputs[0], to_last, hint)
    channels = int(shape[axis])
    grouped = g.reshape(x, [0, -1, layer.groups, channels // layer.groups], hint)
    y = _standardized(g, grouped, [1, 3], layer.epsilon, hint, call.dtypes[0])
    y = g.node("Reshape", [y, g.node("Shape", [x], hint)], hint)
    y = g.transpose(y, [to_last.index(i) for i in range(rank)], hint)
    param_shape = _trailing_shape(channels, axis, rank)
    if layer.gamma is not None:
        y = g.node("Mul", [y, g.weight(ops.reshape(layer.gamma, param_shape),
                                       f"{hint}/gamma")], hint)
    if layer.beta is not None:
        y = g.node("Add", [y, g.weight(ops.reshape(layer.beta, param_shape),
                                       f"{hint}/beta")], hint)
    return y


def _axes(axis, rank):
    return sorted(a % rank for a in ([axis] if isinstance(axis, int) else axis))


@register(RMSNormalization)
def convert_rms_normalization(g, layer, call):
    shape = call.shapes[0]
    axes = _axes(layer.axis, len(shape))
    hint, dtype, x = call.hint, call.dtypes[0], call.inputs[0]
    mean_square = g.reduce("ReduceMean", g.node("Mul", [x, x], hint), axes, hint)
    root = g.node("Sqrt", [g.node("Add", [mean_square, g.constant(
        float(layer.epsilon), dtype, f"{hint}/epsilon")], hint)], hint)
    broadcast = tuple(shape[i] if i in axes else 1 for i in range(axes[0], len(shape)))
    scale = g.weight(ops.reshape(layer.scale, broadcast), f"{hint}/scale")
    return g.node("Mul", [g.node("Div", [x, root], hint), scale], hint)


@register(UnitNormalization)
def convert_unit_normalization(g, layer, call):
    axes = _axes(layer.axis, len(call.shapes[0]))
    hint, x = call.hint, call.inputs[0]
    norm = g.node("Sqrt", [g.reduce("ReduceSumSquare", x, axes, hint)], hint)
    floor = g.constant(1e-12, call.dtypes[0], f"{hint}/epsilon")
    return g.node("Div", [x, g.node("Max", [norm, floor], hint)], hint)
