"""`convert_format`: bounding boxes between Keras's nine coordinate formats.

Every conversion goes through absolute corners `xyxy`: the source format is read
into corners, and the corners are written in the target format. Each box is the
last axis of length 4, so one box `(4,)`, a list of boxes `(N, 4)` and a batch
`(batch, N, 4)` are all handled alike.
"""

from kerasx import ops
from kerasx.autodiff.tensor import TensorOps, value_of
from kerasx.backends import current

__all__ = ["SUPPORTED_FORMATS", "check_format", "convert_format", "float_dtype_of",
           "tensor_of"]

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                     "rel_yxyx", "rel_xywh", "rel_center_xywh")


def check_format(name, value, caller="convert_format()"):
    """`value` lower-cased, checked to be one of `SUPPORTED_FORMATS`."""
    if not isinstance(value, str) or value.lower() not in SUPPORTED_FORMATS:
        raise ValueError(f"{caller}: invalid {name}={value!r}. Supported formats: "
                         f"{SUPPORTED_FORMATS} (case-insensitive).")
    return value.lower()


def tensor_of(x, dtype=None):
    """`x` as a tensor (in `dtype` when given); a tensor or variable already of that
    dtype is returned itself, so that a tape still follows it."""
    if not isinstance(x, TensorOps):
        x = ops.convert_to_tensor(x)
    if dtype is None or value_of(x).dtype == current().dtype(dtype):
        return x
    return ops.cast(x, dtype)


def float_dtype_of(*arrays):
    """"float64" when any of `arrays` is float64, else "float32" (Keras's box dtype)."""
    for x in arrays:
        if "float64" in str(getattr(x, "dtype", "")):
            return "float64"
    return "float32"


def split_box(boxes):
    """The four coordinates of each box, each of shape `(..., 1)`."""
    return ops.split(boxes, 4, axis=-1)


def join_box(parts):
    return ops.concatenate(list(parts), axis=-1)


def _to_corners(fmt, boxes, height, width):
    a, b, c, d = split_box(boxes)
    if fmt == "xyxy":
        return a, b, c, d
    if fmt == "yxyx":
        return b, a, d, c
    if fmt == "xywh":
        return a, b, a + c, b + d
    if fmt == "center_xywh":
        return a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    if fmt == "center_yxhw":
        return b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0
    x1, y1, x2, y2 = _to_corners(fmt[len("rel_"):], boxes, None, None)
    return x1 * width, y1 * height, x2 * width, y2 * height


def _from_corners(fmt, corners, height, width):
    if fmt.startswith("rel_"):
        parts = _from_corners(fmt[len("rel_"):], corners, None, None)
        scales = (height, width) * 2 if fmt == "rel_yxyx" else (width, height) * 2
        return tuple(part / scale for part, scale in zip(parts, scales))
    x1, y1, x2, y2 = corners
    if fmt == "xyxy":
        return x1, y1, x2, y2
    if fmt == "yxyx":
        return y1, x1, y2, x2
    w, h = x2 - x1, y2 - y1
    if fmt == "xywh":
        return x1, y1, w, h
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    if fmt == "center_xywh":
        return cx, cy, w, h
    return cy, cx, h, w


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts bounding boxes from the format `source` to the format `target`.

    Formats (case-insensitive), each box being four numbers on the last axis:
    `"xyxy"` (left, top, right, bottom), `"yxyx"` (top, left, bottom, right),
    `"xywh"` (left, top, width, height), `"center_xywh"` (center x, center y,
    width, height), `"center_yxhw"` (center y, center x, height, width), and
    `"rel_xyxy"`, `"rel_yxyx"`, `"rel_xywh"`, `"rel_center_xywh"`: the same
    with x divided by the image width and y by the image height.

    Args:
        boxes: an array or tensor of shape `(..., 4)` (one box, `(N, 4)` or
            `(batch, N, 4)`), or a dict whose `"boxes"` entry is one; a dict
            gives a copy of it with `"boxes"` converted.
        source: the format of `boxes`.
        target: the format wanted.
        height, width: the image size; required when either format is
            relative.
        dtype: the dtype of the result (default `"float32"`).

    Returns:
        The converted boxes, in `dtype` (or the dict with them).

    Example:

    >>> convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh")
    # [[10., 20., 20., 20.]]
    """
    if isinstance(boxes, dict):
        if "boxes" not in boxes:
            raise ValueError("convert_format() received a dict without a 'boxes' key (keys: "
                             f"{sorted(boxes)}). Pass an array of boxes or a dict "
                             "{'boxes': ..., 'labels': ...}.")
        out = dict(boxes)
        out["boxes"] = convert_format(boxes["boxes"], source, target, height=height,
                                      width=width, dtype=dtype)
        return out
    boxes = tensor_of(boxes)
    if len(boxes.shape) == 0 or boxes.shape[-1] != 4:
        raise ValueError("`boxes` must be a tensor with the last dimension of 4. Received: "
                         f"boxes.shape={tuple(boxes.shape)}. Give each box as four numbers "
                         "on the last axis: (4,), (num_boxes, 4) or (batch, num_boxes, 4).")
    source = check_format("source", source)
    target = check_format("target", target)
    relative = source.startswith("rel_") or target.startswith("rel_")
    if relative and (height is None or width is None):
        raise ValueError("convert_format() must receive `height` and `width` to transform "
                         f"between relative and absolute formats. Received source={source!r}, "
                         f"target={target!r}, height={height}, width={width}. Pass the image "
                         "size as `height=` and `width=`.")
    boxes = tensor_of(boxes, dtype)
    if source == target:
        return boxes
    if width is not None:
        width = tensor_of(width, dtype)
    if height is not None:
        height = tensor_of(height, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[len("rel_"):], target[len("rel_"):]
    corners = _to_corners(source, boxes, height, width)
    return join_box(_from_corners(target, corners, height, width))
