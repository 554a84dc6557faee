"""Boxes as offsets from anchor boxes (the regression targets of detectors):
`encode_box_to_deltas` and its inverse `decode_deltas_to_boxes`."""

from kerasx import ops
from kerasx import config
from kerasx.utils.bounding_boxes.converters import convert_format, float_dtype_of, tensor_of

__all__ = ["decode_deltas_to_boxes", "encode_box_to_deltas"]

_CENTER_FORMATS = ("center_xywh", "center_yxhw")


def _variance_of(variance, dtype):
    if variance is None:
        return None
    variance = tensor_of(variance, dtype)
    if len(variance.shape) == 0 or variance.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance.numpy()!r}. Pass four "
                         "scales, one per box coordinate, or None.")
    return variance


def _center_format(name, value):
    if value not in _CENTER_FORMATS:
        raise ValueError(f"`{name}` should be one of 'center_xywh' or 'center_yxhw', got "
                         f"{value!r}.")


def _height_width(image_shape):
    if image_shape is None:
        return None, None
    if len(image_shape) != 3:
        raise ValueError("`image_shape` must be (height, width, channels), received "
                         f"image_shape={image_shape!r}.")
    return image_shape[0], image_shape[1]


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """The offsets of `boxes` from `anchors`.

    Both are converted to `encoding_format` (center, then size); the deltas
    are the center offset divided by the anchor size and the log of the size
    ratio, each divided by `variance` when given.

    Args:
        anchors: `(N, 4)` anchor boxes in `anchor_format`.
        boxes: `(N, 4)` or `(batch, N, 4)` boxes in `box_format`.
        encoding_format: `"center_yxhw"` (default) or `"center_xywh"`.
        variance: four scales or None.
        image_shape: `(height, width, channels)`, for relative formats.

    Returns:
        Deltas of the shape of `boxes`, float32 (float64 for float64 inputs).
    """
    dtype = float_dtype_of(anchors, boxes)
    variance = _variance_of(variance, dtype)
    _center_format("encoding_format", encoding_format)
    height, width = _height_width(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height,
                             width=width, dtype=dtype)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width,
                           dtype=dtype)
    anchor_size = ops.maximum(anchors[..., 2:], config.epsilon())
    box_size = ops.maximum(boxes[..., 2:], config.epsilon())
    deltas = ops.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                              ops.log(box_size / anchor_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """The boxes that `boxes_delta` encode relative to `anchors` (the inverse of
    `encode_box_to_deltas`), in `box_format`.

    `anchors` and `boxes_delta` are arrays (`(N, 4)`, and `(N, 4)` or
    `(batch, N, 4)`), or dicts with the same keys (one entry per feature
    level), which give a dict of boxes.
    """
    _variance_of(variance, "float32")
    _center_format("encoded_format", encoded_format)
    height, width = _height_width(image_shape)

    def decode(anchor, delta):
        dtype = float_dtype_of(anchor, delta)
        factors = _variance_of(variance, dtype)
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height,
                                width=width, dtype=dtype)
        delta = tensor_of(delta, dtype)
        if factors is not None:
            delta = delta * factors
        box = ops.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                               ops.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, encoded_format, box_format, height=height, width=width,
                              dtype=dtype)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        missing = sorted(set(anchors) - set(boxes_delta), key=str)
        if missing:
            raise ValueError(f"decode_deltas_to_boxes(): boxes_delta has no entries for the "
                             f"anchor levels {missing}. Give one delta array per level.")
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
