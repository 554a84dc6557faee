"""Moving bounding boxes with their image: clipping to the image, cropping,
padding and affine transforms (rotation, translation, scale and shear)."""

import math

from kerasx import ops
from kerasx.utils.bounding_boxes.converters import check_format, join_box, split_box, tensor_of

__all__ = ["affine_transform", "clip_to_image_size", "crop", "pad"]


def _xyxy_only(caller, bounding_box_format, allowed=("xyxy",)):
    fmt = check_format("bounding_box_format", bounding_box_format, caller)
    if fmt not in allowed:
        raise NotImplementedError(
            f"{caller} supports bounding_box_format in {list(allowed)}, received "
            f"bounding_box_format={bounding_box_format!r}. Convert the boxes first with "
            "`keras.utils.bounding_boxes.convert_format(boxes, source, 'xyxy')`.")
    return fmt


def clip_between(values, low, high):
    """`values` clipped to `[low, high]`, bounds that may be tensors."""
    return ops.minimum(ops.maximum(values, low), high)


def box_areas(boxes):
    """The area of each `xyxy` box, shape `boxes.shape[:-1]`."""
    x1, y1, x2, y2 = split_box(boxes)
    return ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clips boxes to the image and marks the boxes left empty.

    Args:
        bounding_boxes: a dict with `"boxes"` of shape `(N, 4)` or `(batch, N,
            4)` and optionally `"labels"` of shape `(N,)` or `(batch, N)`.
        height, width: the image size (required for `"xyxy"`).
        bounding_box_format: `"xyxy"` (clipped to `[0, width] x [0,
            height]`) or `"rel_xyxy"` (clipped to `[0, 1]`).

    Returns:
        A copy of the dict with the boxes clipped, and the label of every box
        whose clipped area is not positive set to -1.
    """
    caller = "clip_to_image_size()"
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ValueError(f"{caller} expects a dict with 'boxes' (and optionally 'labels'), "
                         f"received {type(bounding_boxes).__name__}. Pass "
                         "{'boxes': boxes, 'labels': labels}.")
    fmt = _xyxy_only(caller, bounding_box_format, ("xyxy", "rel_xyxy"))
    if fmt == "xyxy" and (height is None or width is None):
        raise ValueError(f"{caller}: `height` and `width` must be set if format='xyxy', "
                         f"received height={height}, width={width}.")
    boxes = tensor_of(bounding_boxes["boxes"])
    if fmt == "rel_xyxy":
        height = width = 1.0
    x1, y1, x2, y2 = split_box(boxes)
    high_x = ops.cast(tensor_of(width), boxes.dtype)
    high_y = ops.cast(tensor_of(height), boxes.dtype)
    boxes = join_box((clip_between(x1, 0, high_x), clip_between(y1, 0, high_y),
                      clip_between(x2, 0, high_x), clip_between(y2, 0, high_y)))
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    labels = bounding_boxes.get("labels")
    if labels is not None:
        labels = tensor_of(labels)
        kept = box_areas(boxes) > 0
        if len(labels.shape) > len(kept.shape):  # one-hot labels: (..., N, classes)
            kept = ops.expand_dims(kept, -1)
        result["labels"] = ops.where(kept, labels,
                                     ops.cast(tensor_of(-1), labels.dtype))
    return result


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """`xyxy` boxes moved into the crop of the image whose top-left corner is
    `(left, top)` and size `height x width`, clipped to it (a `None` size
    leaves that side unclipped)."""
    _xyxy_only("crop()", bounding_box_format)
    x1, y1, x2, y2 = split_box(tensor_of(boxes))
    x1, x2 = _clip(x1 - left, width), _clip(x2 - left, width)
    y1, y2 = _clip(y1 - top, height), _clip(y2 - top, height)
    return join_box((x1, y1, x2, y2))


def _clip(values, high):
    return ops.maximum(values, 0) if high is None else ops.clip(values, 0, high)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """`xyxy` boxes moved by the padding `top` rows and `left` columns added
    before the image (`height` and `width`, the padded size, are not needed)."""
    _xyxy_only("pad()", bounding_box_format)
    x1, y1, x2, y2 = split_box(tensor_of(boxes))
    return join_box((x1 + left, y1 + top, x2 + left, y2 + top))


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y,
                     height, width, center_x=None, center_y=None,
                     bounding_box_format="xyxy"):
    """`xyxy` boxes moved by the affine transform of their image.

    The transform is the one the image layers apply (rotation by `angle`
    degrees, shear by `shear_x`/`shear_y` degrees, scaling by `scale` and
    translation by `translate_x`/`translate_y` fractions of the size, about
    the center `(center_x, center_y)`, fractions of the size, default 0.5).
    The four corners of each box are carried from input to output positions
    (the inverse of the image's sampling map); the result is their bounding
    box, not clipped to the image.

    Args:
        boxes: `(N, 4)` or `(batch, N, 4)`.
        angle, translate_x, translate_y, scale, shear_x, shear_y: numbers or
            arrays of shape `(batch,)`, one per image.
        height, width: the image size.

    Returns:
        The boxes, the shape of `boxes`, in the dtype of `angle` (float32 for
        Python numbers).
    """
    _xyxy_only("affine_transform()", bounding_box_format)
    boxes = tensor_of(boxes)
    if len(boxes.shape) not in (2, 3) or boxes.shape[-1] != 4:
        raise ValueError("affine_transform() expects boxes of shape (num_boxes, 4) or (batch, "
                         f"num_boxes, 4), received boxes.shape={tuple(boxes.shape)}.")
    unbatched = len(boxes.shape) == 2
    if unbatched:
        boxes = ops.expand_dims(boxes, 0)
    matrix = inverse_affine_matrix(
        0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
        angle, translate_x, translate_y, scale, shear_x, shear_y, height, width)
    boxes = ops.cast(boxes, matrix.dtype)
    x1, y1, x2, y2 = (ops.squeeze(part, -1) for part in split_box(boxes))
    xs = ops.stack([x1, x2, x2, x1], axis=-1)  # (batch, N, 4 corners)
    ys = ops.stack([y1, y1, y2, y2], axis=-1)
    row = [ops.reshape(matrix[:, i], (-1, 1, 1)) for i in range(6)]
    new_x = row[0] * xs + row[1] * ys + row[2]
    new_y = row[3] * xs + row[4] * ys + row[5]
    out = ops.stack([ops.min(new_x, axis=-1), ops.min(new_y, axis=-1),
                     ops.max(new_x, axis=-1), ops.max(new_y, axis=-1)], axis=-1)
    return ops.squeeze(out, 0) if unbatched else out


def inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale,
                          shear_x, shear_y, height, width):
    """The six entries `(a0, a1, a2, b0, b1, b2)` per image, shape `(batch, 6)`, of the
    map from output to input pixels of an affine image transform (torchvision's
    convention): `x' = a0 x + a1 y + a2`, `y' = b0 x + b1 y + b2`."""
    given_as_array = hasattr(angle, "shape")
    angle = tensor_of(angle)
    if not given_as_array or "float" not in str(angle.dtype):
        angle = ops.cast(angle, "float32")
    if len(angle.shape) == 0:
        angle = ops.reshape(angle, (1,))
    dtype = angle.dtype

    def per_image(value):
        return ops.cast(tensor_of(value), dtype)

    degrees = math.pi / 180.0
    cx = per_image(center_x) * (width - 1)
    cy = per_image(center_y) * (height - 1)
    rot = -angle * degrees
    tx = -per_image(translate_x) * (width - 1)
    ty = -per_image(translate_y) * (height - 1)
    sx = -per_image(shear_x) * degrees
    sy = -per_image(shear_y) * degrees
    scale = per_image(scale)
    cos_sy, tan_sx = ops.cos(sy), ops.tan(sx)
    a = ops.cos(rot - sy) / cos_sy
    b = a * tan_sx + ops.sin(rot)
    c = -ops.sin(rot - sy) / cos_sy
    d = ops.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    entries = [a0, a1, a2, b0, b1, b2]
    count = max(e.shape[0] if len(e.shape) else 1 for e in entries)
    return ops.stack([ops.broadcast_to(e, (count,)) for e in entries], axis=-1)
