"""Flatten, Reshape, Permute, RepeatVector, ZeroPadding, Cropping and UpSampling."""

from kerasx.export.converters import register
from kerasx.layers import (Cropping1D, Cropping2D, Cropping3D, Flatten, Permute, RepeatVector,
                           Reshape, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
                           ZeroPadding2D, ZeroPadding3D)

_INT64_MAX = 2 ** 63 - 1


@register(Flatten)
def convert_flatten(g, layer, call):
    x, rank = call.inputs[0], len(call.shapes[0])
    if layer.data_format == "channels_first" and rank > 2:
        x = g.transpose(x, [0] + list(range(2, rank)) + [1], call.hint)
    return g.node("Flatten", [x], call.hint, axis=1)


@register(Reshape)
def convert_reshape(g, layer, call):
    # 0 keeps the (run-time) batch size; -1 is inferred as in the layer
    return g.reshape(call.inputs[0], [0] + [int(d) for d in layer.target_shape], call.hint)


@register(Permute)
def convert_permute(g, layer, call):
    return g.transpose(call.inputs[0], [0] + [int(d) for d in layer.dims], call.hint)


@register(RepeatVector)
def convert_repeat_vector(g, layer, call):
    x = g.unsqueeze(call.inputs[0], [1], call.hint)
    return g.node("Tile", [x, g.ints([1, layer.n, 1], f"{call.hint}/repeats")], call.hint)


def _first_spatial_axis(layer):
    return 1 if layer.data_format == "channels_last" else 2


@register(ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
def convert_zero_padding(g, layer, call):
    rank = len(call.shapes[0])
    before, after = [0] * rank, [0] * rank
    start = _first_spatial_axis(layer)
    for i, (lo, hi) in enumerate(layer._pairs):
        before[start + i], after[start + i] = int(lo), int(hi)
    return g.node("Pad", [call.inputs[0], g.ints(before + after, f"{call.hint}/pads")],
                  call.hint, mode="constant")


@register(Cropping1D, Cropping2D, Cropping3D)
def convert_cropping(g, layer, call):
    start = _first_spatial_axis(layer)
    axes = [start + i for i in range(len(layer._pairs))]
    starts = [int(lo) for lo, _ in layer._pairs]
    ends = [-int(hi) if hi else _INT64_MAX for _, hi in layer._pairs]
    hint = call.hint
    return g.node("Slice", [call.inputs[0], g.ints(starts, f"{hint}/starts"),
                            g.ints(ends, f"{hint}/ends"), g.ints(axes, f"{hint}/axes")], hint)


@register(UpSampling1D, UpSampling2D, UpSampling3D)
def convert_up_sampling(g, layer, call):
    rank = len(call.shapes[0])
    sizes = [layer.size] if isinstance(layer.size, int) else list(layer.size)
    start = 1 if isinstance(layer, UpSampling1D) else _first_spatial_axis(layer)
    scales = [1.0] * rank
    for i, factor in enumerate(sizes):
        scales[start + i] = float(factor)
    hint = call.hint
    scales_list = scales
    scales = g.constant(scales_list, "float32", f"{hint}/scales")
    if getattr(layer, "interpolation", "nearest") == "nearest":
        return g.node("Resize", [call.inputs[0], "", scales], hint, mode="nearest",
                      coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    # half-pixel linear interpolation with clamped edges, as `linear_resize_matrix`; ONNX
    # Runtime interpolates the innermost axes, so channels go to axis 1 first
    x = call.inputs[0]
    if start == 1:
        x = g.transpose(x, [0, rank - 1] + list(range(1, rank - 1)), hint)
        first = [scales_list[0], scales_list[-1]] + scales_list[1:-1]
        scales = g.constant(first, "float32", f"{hint}/scales")
    y = g.node("Resize", [x, "", scales], hint, mode="linear",
               coordinate_transformation_mode="half_pixel")
    return g.transpose(y, [0] + list(range(2, rank)) + [1], hint) if start == 1 else y
