"""The base of the image augmentation layers: their seed and data format, and the `call`
that checks and casts the images and leaves them alone in inference, for images or a
dict of images with labels, bounding boxes and segmentation masks."""

from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI
from kerasx.layers.regularization._seed import SeedStream


class ImageAugmentationLayer(ImagePreprocessingAPI, Layer):
    """A layer that changes images at random in training and returns them unchanged
    in inference.

    A subclass checks and sets its own arguments, then calls
    `_set_seed_and_data_format`, and implements `_transform(images, count)`.
    `call` checks the images (rank 3 or 4; 3 channels when the class sets
    `_rgb_only`), casts them to the layer's dtype, returns them when `training`
    is False and otherwise returns `_transform` of them and their number (1 for
    one image). Layers whose inference or inputs differ override `call`. Its
    transformation (Keras's `get_random_transformation`) is the seed its draws
    come from: `transform_images` makes the same draws again from it.

    A layer that moves pixels instead implements `_draw(images, count)` (the
    random draws) and `_apply(images, draws)`, and the hooks `_apply_to_boxes`
    and `_apply_to_masks` of `BoxesAndMasks`; `call` then goes through the public
    methods, so the same draws move the images, boxes and masks of a dict input,
    as does a subclass that replaces `get_random_transformation` or
    `transform_images`. A layer with only `_transform` changes the images'
    values alone: boxes and masks pass through it.
    """

    _rgb_only = False
    # `_transform` takes a batch only (one image gets a batch axis of 1)
    _transforms_batches = False
    # a layer with only `_transform` whose dict inputs keep their boxes and masks
    _keeps_boxes = True
    _applies_in_inference = False

    def __init__(self, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self._set_bounding_box_format(bounding_box_format)

    def _set_seed_and_data_format(self, name, seed, data_format):
        """Sets `seed`, the layer's stream of seeds and `data_format` (checked; errors
        name the layer `name`)."""
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.data_format = image.data_format_of(name, data_format)

    def call(self, data, training=True):
        if isinstance(data, dict):
            return self._call_on_dict(data, training)
        image.check_images(self, data.shape)
        if self._rgb_only:
            _color.check_rgb(self, data, self.data_format)
        images = as_dtype(data, self.dtype)
        if training is False:
            return images
        if self._public_route():
            return self._through_public_methods(images)
        return self._transform(images, _augment.batch_size(images))

    def _public_route(self):
        return self._moves_pixels() or self._overrides_public_methods()

    def _transform(self, images, count):
        """`images` (rank 3 or 4, in the layer's dtype) changed with new random draws
        for `count` images."""
        if not self._public_route():
            raise NotImplementedError(
                f"{type(self).__name__} must implement _transform, or _draw and _apply.")
        return self._through_public_methods(images)

    def _moves_pixels(self):
        return type(self)._draw is not ImageAugmentationLayer._draw

    def _passes_boxes(self):
        return not self._moves_pixels()

    def _draw(self, images, count):
        """(a layer with `_transform`) the seed its draws for `images` come from (None
        for a layer that draws nothing)."""
        if getattr(self, "_seeds", None) is None:
            return None
        seed = self._seeds.next()
        if seed is None:  # unseeded: a fresh seed from the global generator
            seed = current().to_numpy(current().rng.integers((2,), 0, 2 ** 31 - 1))
        return [int(s) for s in seed]

    def _apply(self, images, seed):
        """(a layer with `_transform`) `images` changed by the draws of `seed`."""
        if type(self)._transform is ImageAugmentationLayer._transform:
            raise NotImplementedError(
                f"{type(self).__name__} must implement _transform, or _draw and _apply.")
        with self._seeds_from(seed):
            return self._transform(images, _augment.batch_size(images))

    def _apply_to_masks(self, masks, draws):
        if self._moves_pixels():
            return super()._apply_to_masks(masks, draws)
        return masks  # a change of values alone: masks keep theirs

    def _call_on_dict(self, data, training):
        inputs = dict_inputs.images_of(self, data)
        image.check_images(self, inputs.shape)
        if self._rgb_only:
            _color.check_rgb(self, inputs, self.data_format)
        images = as_dtype(inputs, self.dtype)
        size = geometry.height_width(images, self.data_format)
        count = _augment.batch_size(images)
        transformation = None
        if training is not False and self._public_route():
            batch, unbatched = geometry.float_images(self, images)
            # positional: subclasses and tests may name the parameters as they wish
            transformation = self.get_random_transformation(data, True)
            images = geometry.unbatch(self.transform_images(batch, transformation, True),
                                      unbatched)
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

    def call(self, data, training=True):
        if isinstance(data, dict) and (self._public_route() or self._keeps_boxes):
            return self._call_on_dict(data, training)
        images, labels, is_dict = geometry.unpack(self, data)
        images, unbatched = geometry.float_images(self, images)
        if training is not False and self._overrides_public_methods():
            images = self._through_public_methods(images)
        elif training is not False:
            images = self._transform(images, images.shape[0])
        return geometry.pack(data, geometry.unbatch(images, unbatched), labels, is_dict)

    def compute_output_shape(self, input_shape):
        return input_shape
