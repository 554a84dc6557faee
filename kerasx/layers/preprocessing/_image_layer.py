"""The base of the image augmentation layers: their seed and data format, and the `call`
that checks and casts the images and leaves them alone in inference."""

from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.regularization._seed import SeedStream


class ImageAugmentationLayer(Layer):
    """A layer that changes images at random in training and returns them unchanged
    in inference.

    A subclass checks and sets its own arguments, then calls
    `_set_seed_and_data_format`, and implements `_transform(images, count)`.
    `call` checks the images (rank 3 or 4; 3 channels when the class sets
    `_rgb_only`), casts them to the layer's dtype, returns them when `training`
    is False and otherwise returns `_transform` of them and their number (1 for
    one image). Layers whose inference or inputs differ override `call`.
    """

    _rgb_only = False

    def _set_seed_and_data_format(self, name, seed, data_format):
        """Sets `seed`, the layer's stream of seeds and `data_format` (checked; errors
        name the layer `name`), and marks the layer built: it has no weights."""
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.data_format = image.data_format_of(name, data_format)
        self.built = True

    def call(self, inputs, training=None):
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
        raise NotImplementedError(f"{type(self).__name__} must implement _transform.")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class LabeledImageAugmentationLayer(ImageAugmentationLayer):
    """An `ImageAugmentationLayer` that also takes a dict `{"images": ...,
    "labels": ...}` and returns the same structure, the labels unchanged.
    `_transform` always receives a batch (one image gets a batch axis of 1)."""

    def call(self, inputs, training=None):
        images, labels, is_dict = geometry.unpack(self, inputs)
        images, unbatched = geometry.float_images(self, images)
        if training is not False:
            images = self._transform(images, images.shape[0])
        return geometry.pack(inputs, geometry.unbatch(images, unbatched), labels, is_dict)

    def compute_output_shape(self, input_shape):
        return input_shape
