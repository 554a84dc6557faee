"""`keras.utils.bounding_boxes`: converting, clipping, cropping, padding and
transforming bounding boxes, box-to-anchor deltas and intersection over union."""

from kerasx.utils.bounding_boxes.converters import convert_format
from kerasx.utils.bounding_boxes.deltas import decode_deltas_to_boxes, encode_box_to_deltas
from kerasx.utils.bounding_boxes.geometry import (affine_transform, clip_to_image_size, crop,
                                                  pad)
from kerasx.utils.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou",
           "convert_format", "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]
