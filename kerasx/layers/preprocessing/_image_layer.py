"""The base of the image augmentation layers: their seed and data format, and the `call`
that checks and casts the images and leaves them alone in inference, for images or a
dict of images with labels, bounding boxes and segmentation masks."""

from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.regularization._seed import SeedStream


class ImageAugmentationLayer(dict_inputs.BoxesAndMasks, Layer):
    """A layer that changes images at random in training and returns them unchanged
    in inference.

    A subclass checks and sets its own arguments, then calls
    `_set_seed_and_data_format`, and implements `_transform(images, count)`.
    `call` checks the images (rank 3 or 4; 3 channels when the class sets
    `_rgb_only`), casts them to the layer's dtype, returns them when `training`
    is False and otherwise returns `_transform` of them and their number (1 for
    one image). Layers whose inference or inputs differ override `call`.

    A layer that moves pixels instead implements `get_random_transformation(images,
    count)` (the random draws) and `transform_images(images, transformation)`, and
    the hooks `transform_bounding_boxes` and `transform_segmentation_masks` of
    `BoxesAndMasks`; the same draws then move the images, boxes and masks of a dict
    input. A layer with only `_transform` changes the images' values alone: boxes
    and masks pass through it.
    """

    _rgb_only = False
    # `_transform` takes a batch only (one image gets a batch axis of 1)
    _transforms_batches = False
    # a layer with only `_transform` whose dict inputs keep their boxes and masks
    _keeps_boxes = True

    def __init__(self, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self._set_bounding_box_format(bounding_box_format)

    def _set_seed_and_data_format(self, name, seed, data_format):
        """Sets `seed`, the layer's stream of seeds and `data_format` (checked; errors
        name the layer `name`), and marks the layer built: it has no weights."""
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.data_format = image.data_format_of(name, data_format)
        self.built = True

    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            return self._call_on_dict(inputs, training)
        image.check_images(self, inputs.shape)
        if self._rgb_only:
            _color.check_rgb(self, inputs, self.data_format)
        images = as_dtype(inputs, self.dtype)
        if training is False:
            return images
        return self._transform(images, _augment.batch_size(images))

    def _transform(self, images, count):
        """`images` (rank 3 or 4, in the layer's dtype) changed with new random draws
        for `count` images."""
        if not self._moves_pixels():
            raise NotImplementedError(f"{type(self).__name__} must implement _transform.")
        return self.transform_images(images, self.get_random_transformation(images, count))

    def _moves_pixels(self):
        return type(self).transform_images is not ImageAugmentationLayer.transform_images

    def get_random_transformation(self, images, count):
        """The random draws that move `count` images (rank 3 or 4)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_random_transformation.")

    def transform_images(self, images, transformation):
        """`images` (rank 3 or 4, in the layer's dtype) moved by `transformation`."""
        raise NotImplementedError(f"{type(self).__name__} must implement transform_images.")

    def _call_on_dict(self, data, training):
        inputs = dict_inputs.images_of(self, data)
        image.check_images(self, inputs.shape)
        if self._rgb_only:
            _color.check_rgb(self, inputs, self.data_format)
        images = as_dtype(inputs, self.dtype)
        size = geometry.height_width(images, self.data_format)
        count = _augment.batch_size(images)
        transformation = None
        if training is not False and self._moves_pixels():
            batch, unbatched = geometry.float_images(self, images)
            transformation = self.get_random_transformation(batch, count)
            images = geometry.unbatch(self.transform_images(batch, transformation), unbatched)
        elif training is not False and self._transforms_batches:
            batch, unbatched = geometry.float_images(self, images)
            images = geometry.unbatch(self._transform(batch, count), unbatched)
        elif training is not False:
            images = self._transform(images, count)
        return self._dict_output(data, images, transformation, size)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return dict(input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class LabeledImageAugmentationLayer(ImageAugmentationLayer):
    """An `ImageAugmentationLayer` that also takes a dict `{"images": ...,
    "labels": ...}` and returns the same structure, the labels unchanged.
    `_transform` always receives a batch (one image gets a batch axis of 1).
    Boxes and masks are taken by the layers that move them, and by those that set
    `_keeps_boxes` (they pass through unchanged)."""

    _transforms_batches = True
    _keeps_boxes = False

    def call(self, inputs, training=None):
        if isinstance(inputs, dict) and (self._moves_pixels() or self._keeps_boxes):
            return self._call_on_dict(inputs, training)
        images, labels, is_dict = geometry.unpack(self, inputs)
        images, unbatched = geometry.float_images(self, images)
        if training is not False:
            images = self._transform(images, images.shape[0])
        return geometry.pack(inputs, geometry.unbatch(images, unbatched), labels, is_dict)

    def compute_output_shape(self, input_shape):
        return input_shape
