"""`AutoContrast`: stretches each channel of each image to the full value range."""

__all__ = ["AutoContrast"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI


class AutoContrast(ImagePreprocessingAPI, Layer):
    """Maps each channel of each image linearly so that its darkest pixel becomes
    `value_range[0]` and its brightest `value_range[1]`.

    Not random, so, as in Keras, it applies in training and inference alike.
    A constant channel, and NaN pixels, are returned unchanged. The output has the
    layer's float dtype.

    Args:
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input `{"images",
            "labels", "bounding_boxes", "segmentation_masks"}`; boxes, labels and
            masks pass through unchanged.
    """

    def __init__(self, value_range=(0, 255), data_format=None, bounding_box_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._set_bounding_box_format(bounding_box_format)
        self.value_range = _augment.value_range_of("AutoContrast", value_range)
        self.data_format = image.data_format_of("AutoContrast", data_format)

    def call(self, data, training=True):
        return self._call_not_random(data)

    def _passes_boxes(self):
        return True

    def _apply_to_masks(self, masks, draws):
        return masks

    def _apply(self, inputs, draws):
        image.check_images(self, inputs.shape)
        images = as_dtype(inputs, self.dtype)
        x = _augment.rescale(images, self.value_range, (0, 255))
        axes = image.spatial_axes(len(images.shape), self.data_format)
        low = ops.min(x, axis=axes, keepdims=True)
        high = ops.max(x, axis=axes, keepdims=True)
        spread = ops.subtract(high, low)
        flat = ops.equal(spread, 0.0)
        scale = ops.divide(255.0, ops.where(flat, 1.0, spread))
        x = ops.clip(ops.subtract(ops.multiply(x, scale), ops.multiply(low, scale)), 0.0, 255.0)
        out = _augment.rescale(x, (0, 255), self.value_range)
        # constant channels (Keras divides 0 by 0 there) and NaN pixels stay as they were
        return ops.where(ops.logical_or(flat, ops.isnan(out)), images, out)

    def compute_output_shape(self, input_shape):
        return dict(input_shape) if isinstance(input_shape, dict) else tuple(input_shape)

    def get_config(self):
        config = {**super().get_config(), "value_range": self.value_range,
                  "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
