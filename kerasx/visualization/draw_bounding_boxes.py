"""`draw_bounding_boxes`: box outlines, and optionally class labels, on a batch of images."""

import numbers

from kerasx.visualization import _common
from kerasx.visualization.rectangles import draw_rectangle
from kerasx.visualization.text_labels import draw_text, label_origin, pillow_image_draw

_CALLER = "draw_bounding_boxes()"


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draws bounding boxes on a batch of images.

    Each box is outlined in `color`; a box whose label is -1 is padding and is
    skipped. With a `class_mapping`, the class name of each box whose label is
    in it (and its confidence, when given) is written above the box, or inside
    it near the top of the image. Labels are drawn with Pillow (`pip install
    kerasx[image]`); boxes alone need nothing beyond kerasx.

    Float images whose largest value is at most 1 are taken as 0..1 and scaled
    to 0..255; other images are clipped to 0..255. The result is `uint8`.

    Args:
        images: a batch of images, `(batch, height, width, channels)` (or
            channels first, see `data_format`), with 1, 3 or 4 channels.
        bounding_boxes: a dict with `"boxes"`, `(batch, num_boxes, 4)` in
            `bounding_box_format`; `"labels"`, `(batch, num_boxes)` integer
            class ids; and optionally `"confidences"`, `(batch, num_boxes)`.
        bounding_box_format: the format of the boxes: `"xyxy"`, `"yxyx"`,
            `"xywh"`, `"center_xywh"`, `"center_yxhw"` or a `"rel_*"` one (see
            `keras.utils.bounding_boxes.convert_format`).
        class_mapping: a dict from class id to class name; `None` draws no text.
        color: the RGB colour of the boxes and labels, e.g. `(255, 0, 0)`.
        line_thickness: the width of the outlines in pixels, centred on the
            box's edges (an even width puts its extra pixel outside); a
            negative value fills the boxes.
        text_thickness: the stroke weight of the labels (`None` or 0:
            `line_thickness`).
        font_scale: the size of the labels; 1 gives letters about 22 pixels tall.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `keras.config.image_data_format()`).

    Returns:
        A NumPy `uint8` array of the same shape as `images`.
    """
    data_format = _common.check_data_format(data_format, _CALLER)
    images = _common.batched_images(images, _CALLER)
    images = _common.channels_last(images, data_format)
    images = _images_as_uint8(images)
    drawn = draw_boxes_on_uint8(images, bounding_boxes, bounding_box_format, class_mapping,
                                color, line_thickness, text_thickness, font_scale, _CALLER)
    return _common.from_channels_last(drawn, data_format)


def draw_boxes_on_uint8(images, bounding_boxes, bounding_box_format, class_mapping, color,
                        line_thickness, text_thickness, font_scale, caller):
    """`draw_bounding_boxes` on a channels-last NumPy `uint8` batch (not changed:
    the drawing is made on a copy)."""
    from kerasx.utils.bounding_boxes.converters import convert_format

    boxes, labels, confidences = _unpack(bounding_boxes, images.shape[0], caller)
    color = _common.check_color(color, "color", caller)
    line_thickness = _check_thickness(line_thickness, "line_thickness", caller)
    text_thickness = _check_thickness(text_thickness or line_thickness, "text_thickness", caller)
    class_mapping = dict(class_mapping or {})
    if not isinstance(font_scale, numbers.Real) or not font_scale > 0:
        raise ValueError(f"{caller}: `font_scale` must be a positive number. Received: "
                         f"font_scale={font_scale!r}.")
    if class_mapping:
        pillow_image_draw(caller)
    height, width, channels = images.shape[1:]
    pixel = _common.pixel_for(color, channels, "color", caller)
    corners = convert_format(boxes, bounding_box_format, "xyxy", height=height, width=width)
    corners = _common.host_array(corners).astype("int32")
    drawn = images.copy()
    for i in range(drawn.shape[0]):
        for j in range(corners.shape[1]):
            label = int(labels[i, j])
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in corners[i, j])
            draw_rectangle(drawn[i], x1, y1, x2, y2, pixel, line_thickness)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {float(confidences[i, j]):.2f}"
                origin = label_origin(x1, y1, font_scale, text_thickness)
                draw_text(drawn[i], text, origin, pixel, font_scale, text_thickness, caller)
    return drawn


def _images_as_uint8(images):
    if images.dtype.kind == "f" and images.size > 0:
        images = images.clip(0, 1) * 255 if images.max() <= 1.0 else images.clip(0, 255)
    elif images.dtype.kind in "iu":
        images = images.clip(0, 255)
    return images.astype("uint8")


def _unpack(bounding_boxes, batch_size, caller):
    """`(boxes, labels, confidences or None)`: boxes as given, the others as host arrays."""
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"{caller}: `bounding_boxes` should be a dict with 'boxes' and 'labels' "
                        "(and optionally 'confidences'). Received: "
                        f"{type(bounding_boxes).__name__}.")
    missing = [key for key in ("boxes", "labels") if key not in bounding_boxes]
    if missing:
        raise ValueError(f"{caller}: `bounding_boxes` should be a dict containing 'boxes' and "
                         f"'labels' keys; {missing} missing. Received keys: "
                         f"{sorted(bounding_boxes)}.")
    boxes = bounding_boxes["boxes"]
    shape = tuple(getattr(boxes, "shape", None) or _common.host_array(boxes).shape)
    if len(shape) != 3 or shape[0] != batch_size or shape[2] != 4:
        raise ValueError(f"{caller}: bounding_boxes['boxes'] must have shape (batch, num_boxes, 4)"
                         f" with batch={batch_size}, the batch size of `images`. Received: "
                         f"shape={shape}.")
    labels = _common.host_array(bounding_boxes["labels"])
    if labels.shape != shape[:2]:
        raise ValueError(f"{caller}: bounding_boxes['labels'] must have shape (batch, num_boxes) "
                         f"= {shape[:2]}, one class id per box. Received: shape={labels.shape}.")
    confidences = bounding_boxes.get("confidences")
    if confidences is not None:
        confidences = _common.host_array(confidences)
        if confidences.shape != shape[:2]:
            raise ValueError(f"{caller}: bounding_boxes['confidences'] must have shape "
                             f"(batch, num_boxes) = {shape[:2]}. Received: "
                             f"shape={confidences.shape}.")
    return boxes, labels, confidences


def _check_thickness(value, name, caller):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value == 0:
        raise ValueError(f"{caller}: `{name}` must be a nonzero integer number of pixels (a "
                         f"negative one fills the boxes). Received: {name}={value!r}.")
    return int(value)
