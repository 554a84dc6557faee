"""Overlap of bounding boxes: the pairwise intersection over union
(`compute_iou`) and the complete IoU of matched pairs (`compute_ciou`)."""

import math

from kerasx import ops
from kerasx import config
from kerasx.utils.bounding_boxes.converters import (convert_format, float_dtype_of, split_box,
                                                    tensor_of)

__all__ = ["compute_ciou", "compute_iou"]


def _check_rank(name, boxes):
    rank = len(boxes.shape)
    if rank not in (2, 3):
        raise ValueError(f"compute_iou() expects {name} to be batched, or to be unbatched. "
                         f"Received len({name}.shape)={rank} ({name}.shape="
                         f"{tuple(boxes.shape)}). Expected (num_boxes, 4) or (batch, "
                         "num_boxes, 4).")
    return rank


def _swap_last(x):
    """The last two axes swapped: `(..., N, 1) -> (..., 1, N)`."""
    return ops.swapaxes(x, -1, -2)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """The intersection over union of every box of `boxes1` with every box of
    `boxes2`.

    Args:
        boxes1: `(M, 4)` or `(batch, M, 4)`.
        boxes2: `(N, 4)` or `(batch, N, 4)`.
        bounding_box_format: the format of both (see `convert_format`).
        use_masking: when True, pairs where either box has all coordinates
            negative (padding) get `mask_val`.
        mask_val: the value of masked pairs (default -1).
        image_shape: `(height, width, channels)`, required for relative
            formats.

    Returns:
        `(M, N)`, or `(batch, M, N)` when either is batched; float32 (float64
        for float64 boxes).
    """
    boxes1, boxes2 = tensor_of(boxes1), tensor_of(boxes2)
    _check_rank("boxes1", boxes1)
    _check_rank("boxes2", boxes2)
    if "rel" in str(bounding_box_format).lower() and image_shape is None:
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         f"`image_shape` argument must be provided. Received `image_shape`: "
                         f"{image_shape}")
    height, width = (None, None) if image_shape is None else image_shape[:2]
    dtype = float_dtype_of(boxes1, boxes2)
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height=height, width=width,
                            dtype=dtype)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height=height, width=width,
                            dtype=dtype)
    top1, left1, bottom1, right1 = split_box(boxes1)
    top2, left2, bottom2, right2 = (_swap_last(part) for part in split_box(boxes2))
    overlap_h = ops.maximum(ops.minimum(bottom1, bottom2) - ops.maximum(top1, top2), 0.0)
    overlap_w = ops.maximum(ops.minimum(right1, right2) - ops.maximum(left1, left2), 0.0)
    intersection = overlap_h * overlap_w
    union = (bottom1 - top1) * (right1 - left1) + (bottom2 - top2) * (right2 - left2) \
        - intersection
    iou = intersection / (union + config.epsilon())
    if not use_masking:
        return iou
    padding = ops.logical_or(ops.max(boxes1, axis=-1, keepdims=True) < 0.0,
                             _swap_last(ops.max(boxes2, axis=-1, keepdims=True) < 0.0))
    return ops.where(padding, ops.cast(tensor_of(mask_val), iou.dtype), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The complete IoU of each box of `boxes1` with the matching box of
    `boxes2` (shapes `(..., 4)` that broadcast): the IoU less the squared
    distance of the centers over the squared diagonal of the enclosing box,
    less an aspect-ratio term. Shape `(...)`, float32 (float64 for float64
    boxes).

    Relative formats are refused, as in Keras.
    """
    if "rel" in str(bounding_box_format).lower():
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the "
                         "`image_shape` argument must be provided. Received `image_shape`: "
                         f"{image_shape}. compute_ciou() takes absolute formats only: "
                         "convert the boxes with convert_format() first.")
    eps = config.epsilon()
    dtype = float_dtype_of(boxes1, boxes2)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", dtype=dtype)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", dtype=dtype)
    left1, top1, right1, bottom1 = split_box(boxes1)
    left2, top2, right2, bottom2 = split_box(boxes2)
    width1, height1 = right1 - left1, bottom1 - top1 + eps
    width2, height2 = right2 - left2, bottom2 - top2 + eps
    intersection = ops.maximum(ops.minimum(right1, right2) - ops.maximum(left1, left2), 0.0) \
        * ops.maximum(ops.minimum(bottom1, bottom2) - ops.maximum(top1, top2), 0.0)
    union = width1 * height1 + width2 * height2 - intersection + eps
    iou = ops.squeeze(intersection / (union + eps), axis=-1)
    enclosing_w = ops.maximum(right1, right2) - ops.minimum(left1, left2)
    enclosing_h = ops.maximum(bottom1, bottom2) - ops.minimum(top1, top2)
    diagonal = ops.squeeze(enclosing_w ** 2 + enclosing_h ** 2 + eps, axis=-1)
    center_distance = ops.squeeze(((left1 + right1) / 2 - (left2 + right2) / 2) ** 2
                                  + ((top1 + bottom1) / 2 - (top2 + bottom2) / 2) ** 2, axis=-1)
    aspect = ops.squeeze((4 / math.pi ** 2) * (ops.arctan(width2 / height2)
                                               - ops.arctan(width1 / height1)) ** 2, axis=-1)
    alpha = aspect / (aspect - iou + (1 + eps))
    return iou - (center_distance / diagonal + aspect * alpha)
