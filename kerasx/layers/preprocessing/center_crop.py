"""`CenterCrop`: the central window of each image."""

__all__ = ["CenterCrop"]

from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI
from kerasx.layers.preprocessing import _image_resize as image


class CenterCrop(ImagePreprocessingAPI, Layer):
    """Crops the central `height` x `width` window of each image.

    An image smaller than the target on either side is instead cropped to the
    target aspect ratio and resized bilinearly (Keras's `smart_resize`). The
    output has the layer's float dtype; gradients pass through to the inputs.

    Args:
        height, width: the output size.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input.

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`
    (channels_last). Output shape: the same with `rows, cols = height, width`.
    A dict `{"images", "labels", "bounding_boxes", "segmentation_masks"}` gives
    the same dict: boxes are moved into the window (and scaled with it when the
    image is resized), clipped to it (a box left empty gets the label -1);
    masks are cropped like the images.
    """

    def __init__(self, height, width, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        image.check_size("CenterCrop", height, width)
        self.height, self.width = height, width
        self.data_format = image.data_format_of("CenterCrop", data_format)
        self._set_bounding_box_format(bounding_box_format)

    def call(self, data, training=True):
        return self._call_not_random(data)

    def _apply(self, inputs, draws):
        image.check_images(self, inputs.shape)
        images = as_dtype(inputs, self.dtype)
        axes = image.spatial_axes(len(images.shape), self.data_format)
        height, width = images.shape[axes[0]], images.shape[axes[1]]
        if height < self.height or width < self.width:
            return image.resize(images, self.height, self.width, "bilinear", self.data_format,
                                crop_to_aspect_ratio=True)
        top, left = (height - self.height) // 2, (width - self.width) // 2
        return image.crop(images, axes, top, left, self.height, self.width)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        if height < self.height or width < self.width:
            window = image.crop_box(height, width, self.height, self.width)
        else:
            window = ((height - self.height) // 2, (width - self.width) // 2, self.height,
                      self.width)
        boxes = dict_inputs.window_boxes(boxes, *window, self.height, self.width)
        return boxes, self.height, self.width

    def _apply_to_masks(self, masks, draws):
        return self._apply(masks, draws)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            shapes = dict(input_shape)
            for key in ("images", "segmentation_masks"):
                if key in shapes:
                    shapes[key] = self.compute_output_shape(shapes[key])
            return shapes
        image.check_images(self, input_shape)
        shape = list(input_shape)
        axes = image.spatial_axes(len(shape), self.data_format)
        shape[axes[0]], shape[axes[1]] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = {**super().get_config(), "height": self.height, "width": self.width,
                  "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
