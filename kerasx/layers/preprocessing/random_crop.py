"""`RandomCrop`: a random window of each batch during training, the central one else."""

__all__ = ["RandomCrop"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer
from kerasx.layers.preprocessing._transformation import Transformation


class RandomCrop(ImageAugmentationLayer):
    """Crops a random `height` x `width` window in training.

    As in Keras, one window position is drawn per call and used for every image
    of the batch. In training, images that are not larger than the target on
    both sides are cut, as Keras 3.15.1 does, at the corner of the largest
    central window with the target's aspect ratio, to at most the target size,
    and resized bilinearly to it. In inference (`predict`, `evaluate`,
    `training=False`) that central window itself is resized to the target
    (Keras's documented behaviour; Keras 3.15.1 returns inference inputs
    uncropped). A direct call counts as training. The output has the layer's
    float dtype; gradients pass to the images.

    Args:
        height, width: the output size.
        seed: an int for a repeatable sequence of windows.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input.

    A dict `{"images", "labels", "bounding_boxes", "segmentation_masks"}` gives
    the same dict: boxes are moved into the window (scaled with it when it is
    resized) and clipped to it (a box left empty gets the label -1), in
    training and in inference alike; masks are cropped like the images.
    """

    # in inference it crops the center (the transformation says which)
    _applies_in_inference = True

    def __init__(self, height, width, seed=None, data_format=None, bounding_box_format=None,
                 **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        image.check_size("RandomCrop", height, width)
        self.height, self.width = height, width
        self._set_seed_and_data_format("RandomCrop", seed, data_format)

    def call(self, data, training=True):
        inputs = dict_inputs.images_of(self, data) if isinstance(data, dict) else data
        image.check_images(self, inputs.shape)
        images = as_dtype(inputs, self.dtype)
        rows, cols = geometry.height_width(images, self.data_format)
        transformation = self._window(rows, cols, training)
        out = self._apply(images, transformation)
        if not isinstance(data, dict):
            return out
        return self._dict_output(data, out, transformation, (rows, cols))

    def get_random_transformation(self, data, training=True, seed=None):
        """`(window, inference)`: the `(top, left, rows, cols)` crop drawn in
        training, the central one (then resized) in inference."""
        if training is None or training:
            return super().get_random_transformation(data, training, seed)
        images = dict_inputs.images_of(self, data) if isinstance(data, dict) else data
        images = ops.convert_to_tensor(images)
        rows, cols = geometry.height_width(images, self.data_format)
        return Transformation(input_shape=tuple(images.shape),
                              draws=self._window(rows, cols, training))

    def _window(self, rows, cols, training):
        if training is False:
            return image.crop_box(rows, cols, self.height, self.width), True
        return self._draw_window(rows, cols), False

    def _draw(self, images, count):
        return self._window(*geometry.height_width(images, self.data_format), True)

    def _apply(self, images, transformation):
        (top, left, _, _), inference = transformation
        if inference:
            return image.resize(images, self.height, self.width, "bilinear", self.data_format,
                                crop_to_aspect_ratio=True)
        return self.crop(images, top, left)

    def _draw_window(self, rows, cols):
        """`(top, left, window_rows, window_cols)` of the training crop."""
        if rows <= self.height or cols <= self.width:
            top, left, _, _ = image.crop_box(rows, cols, self.height, self.width)
        else:
            top = int(float(_augment.uniform(self._seeds, 1, 0, rows - self.height + 1)[0]))
            left = int(float(_augment.uniform(self._seeds, 1, 0, cols - self.width + 1)[0]))
        return top, left, min(self.height, rows - top), min(self.width, cols - left)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        boxes = dict_inputs.window_boxes(boxes, *transformation[0], self.height, self.width)
        return boxes, self.height, self.width

    def _apply_to_masks(self, masks, transformation):
        return self._apply(as_dtype(masks, self.dtype), transformation)

    def crop(self, images, top, left):
        """The `height` x `width` window of `images` whose corner is at row `top`,
        column `left`; where the image ends first, the part inside it resized to
        `height` x `width`."""
        axes = image.spatial_axes(len(images.shape), self.data_format)
        top, left = int(top), int(left)
        rows = min(self.height, images.shape[axes[0]] - top)
        cols = min(self.width, images.shape[axes[1]] - left)
        window = image.crop(images, axes, top, left, rows, cols)
        return image.resize(window, self.height, self.width, "bilinear", self.data_format)

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
        return {**super().get_config(), "height": self.height, "width": self.width,
                "seed": self.seed, "data_format": self.data_format}
