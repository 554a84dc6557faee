"""`MaxNumBoundingBoxes`: pads or cuts the bounding boxes of each image to a fixed count."""

__all__ = ["MaxNumBoundingBoxes"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI


class MaxNumBoundingBoxes(ImagePreprocessingAPI, Layer):
    """Gives every image exactly `max_number` bounding boxes: the first
    `max_number` are kept and missing ones are added as boxes and labels of
    `fill_value`. Images, labels and segmentation masks pass through unchanged,
    in training and in inference.

    Call it on a dict `{"images": ..., "bounding_boxes": {"boxes": (batch, n,
    4), "labels": (batch, n)}}` (or one image's `(n, 4)` and `(n,)`), with
    `bounding_box_format` set as Keras requires; it returns the same dict with
    boxes of shape `(batch, max_number, 4)` and labels `(batch, max_number)`.
    Called on images alone it returns them unchanged.

    Args:
        max_number: the number of boxes per image.
        fill_value: the value of the boxes and labels added (an integer).
        bounding_box_format: the boxes' format (`"xyxy"`, ...); it does not
            change what this layer does.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    _float_output = False  # images pass through as they are

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (("max_number", max_number), ("fill_value", fill_value)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"MaxNumBoundingBoxes: {name} must be an integer, received "
                                 f"{name}={value!r}.")
        if max_number < 1:
            raise ValueError(f"MaxNumBoundingBoxes: max_number must be positive, received "
                             f"max_number={max_number!r}.")
        self.max_number, self.fill_value = max_number, fill_value
        self._set_bounding_box_format(bounding_box_format)
        self.data_format = image.data_format_of("MaxNumBoundingBoxes", data_format)

    def call(self, data, training=True):
        if not isinstance(data, dict) or "bounding_boxes" not in data:
            return data
        return {**data, "bounding_boxes": self._limited(data)}

    def _limited(self, inputs):
        """The `bounding_boxes` of the dict `inputs` cut or padded to `max_number`."""
        if self.bounding_box_format is None:
            raise ValueError(
                f"MaxNumBoundingBoxes layer {self.name!r} received 'bounding_boxes' but has no "
                "bounding_box_format. Pass one, e.g. "
                "MaxNumBoundingBoxes(max_number, bounding_box_format='xyxy').")
        boxes_in = inputs["bounding_boxes"]
        if not isinstance(boxes_in, dict) or set(boxes_in) != {"boxes", "labels"}:
            keys = sorted(boxes_in) if isinstance(boxes_in, dict) else type(boxes_in).__name__
            raise ValueError(f"MaxNumBoundingBoxes: bounding_boxes must be a dict with the keys "
                             f"'boxes' and 'labels', received {keys}.")
        images = inputs.get("images")
        single = len(ops.convert_to_tensor(boxes_in["boxes"]).shape) == 2 if images is None \
            else len(images.shape) == 3
        boxes, labels = dict_inputs.dense_boxes(boxes_in, batched=not single)
        if single:
            boxes, labels = ops.expand_dims(boxes, 0), ops.expand_dims(labels, 0)
        boxes, labels = self.limit(boxes), self.limit(labels)
        if single:
            boxes, labels = ops.squeeze(boxes, 0), ops.squeeze(labels, 0)
        return {"boxes": boxes, "labels": labels}

    def _apply(self, images, draws):
        return images

    def _apply_to_masks(self, masks, draws):
        return masks

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        """The batched `{"boxes": (batch, n, 4), "labels": (batch, n)}` with exactly
        `max_number` boxes per image."""
        boxes = ops.convert_to_tensor(bounding_boxes["boxes"]) \
            if isinstance(bounding_boxes, dict) and "boxes" in bounding_boxes else None
        if boxes is not None and len(boxes.shape) != 3:
            raise ValueError(f"MaxNumBoundingBoxes.transform_bounding_boxes takes batched boxes "
                             f"(batch, n, 4), received boxes of shape {tuple(boxes.shape)}; "
                             "use transform_single_bounding_box for one image's boxes.")
        return self._limited({"bounding_boxes": bounding_boxes})

    def limit(self, x):
        """`x` (batch first) cut or padded with `fill_value` to `max_number` along axis 1."""
        x = x[:, :min(self.max_number, x.shape[1]), ...]
        missing = self.max_number - x.shape[1]
        if missing:
            widths = [(0, 0), (0, missing)] + [(0, 0)] * (len(x.shape) - 2)
            x = ops.pad(x, widths, constant_values=self.fill_value)
        return x

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, dict) or "bounding_boxes" not in input_shape:
            return input_shape
        shapes = dict(input_shape["bounding_boxes"])
        axis = 1 if len(shapes["boxes"]) == 3 else 0  # batched, or one image's boxes
        for key in ("boxes", "labels"):
            shape = list(shapes[key])
            shape[axis] = self.max_number
            shapes[key] = tuple(shape)
        return {**input_shape, "bounding_boxes": shapes}

    def get_config(self):
        config = {**super().get_config(), "max_number": self.max_number,
                  "fill_value": self.fill_value, "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
