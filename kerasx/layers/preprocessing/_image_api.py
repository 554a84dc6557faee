"""Keras's public methods of the image preprocessing layers, in one place:
`get_random_transformation`, `transform_images`, `transform_labels`,
`transform_bounding_boxes`, `transform_segmentation_masks` and their `transform_single_*`
forms for one sample.

They wrap the private hooks each layer implements (see `BoxesAndMasks` and
`ImageAugmentationLayer`): `_draw(images, count)` makes the random draws,
`_apply(images, draws)` changes the images, `_apply_to_boxes`, `_apply_to_masks`
and `_apply_to_labels` move the rest. A transformation is a `Transformation`
holding the draws and the shape of the images they were drawn for; the
`transform_*` methods also take a layer's bare draws.
"""

import contextlib

from kerasx import ops
from kerasx.autodiff.tensor import Tensor
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._data_layer import DataLayer
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._transformation import Transformation, draws_of


class FixedSeeds:
    """A stream of seeds that all derive from one seed: `[*seed, 1]`, `[*seed, 2]`, ...
    (the same sequence every time it is made from the same seed)."""

    def __init__(self, seed):
        values = list(seed) if isinstance(seed, (list, tuple)) else [seed]
        try:
            self.base = [int(v) for v in values]
        except (TypeError, ValueError):
            raise ValueError(f"Expected a seed given as an int, a list of ints or a "
                             f"SeedGenerator, received seed={seed!r}.") from None
        self.calls = 0

    def next(self):
        self.calls += 1
        return self.base + [self.calls]


def seed_stream(seed):
    """The stream of seeds a `seed` argument names: a `SeedGenerator` (anything with
    `next()`) is used as it is; an int or a list of ints starts a `FixedSeeds`."""
    return seed if hasattr(seed, "next") else FixedSeeds(seed)


class ImagePreprocessingAPI(DataLayer, dict_inputs.BoxesAndMasks):
    """Keras's `BaseImagePreprocessingLayer` methods over the layer's hooks.

    In inference (`training=False`) a random layer draws nothing
    (`get_random_transformation` returns None) and its `transform_*` methods
    return their input (images in the layer's dtype); a layer that is not random
    (`_applies_in_inference`) transforms in inference too.
    """

    # images come out in the layer's float dtype (Resizing keeps integer images)
    _float_output = True

    def _active(self, training):
        return training is None or bool(training) or self._applies_in_inference

    def get_random_transformation(self, data, training=True, seed=None):
        """The random draws for the images of `data` (images, batched or one image,
        or a dict with an "images" key): a `Transformation`, or None in inference.
        `seed` (an int, a list of ints or a `SeedGenerator`) replaces the layer's own
        stream of seeds for these draws."""
        images = dict_inputs.images_of(self, data) if isinstance(data, dict) else data
        images = images if isinstance(images, Tensor) else ops.convert_to_tensor(images)
        image.check_images(self, images.shape)
        if not self._active(training):
            return None
        batch = as_dtype(images, self.dtype)
        if len(batch.shape) == 3:
            batch = ops.expand_dims(batch, 0)
        with self._seeds_from(seed):
            draws = self._draw(batch, batch.shape[0])
        return Transformation(input_shape=tuple(images.shape), draws=draws)

    def _draw(self, images, count):
        """The draws for the batch `images` of `count` (None: the layer draws nothing)."""
        return None

    @contextlib.contextmanager
    def _seeds_from(self, seed):
        """Within it, the layer (and the steps that share its stream) draws from
        `seed` instead of its own stream (`seed=None`: no change)."""
        own = getattr(self, "_seeds", None)
        if seed is None or own is None:  # no seed given, or a layer that draws nothing
            yield
            return
        stream = seed_stream(seed)
        swaps = {id(self): (self, own, stream)}
        for value in vars(self).values():
            step_seeds = getattr(value, "__dict__", {}).get("_seeds")
            if step_seeds is None or id(value) in swaps:
                continue
            # a step sharing the layer's stream keeps sharing it; a step with a stream
            # of its own (RandAugment's) gets one derived from `seed`
            swaps[id(value)] = (value, step_seeds, stream if step_seeds is own
                                else FixedSeeds(list(stream.next())))
        for layer, _, new in swaps.values():
            # set untracked: the stream is no state of the layer
            object.__setattr__(layer, "_seeds", new)
        try:
            yield
        finally:
            for layer, old, _ in swaps.values():
                object.__setattr__(layer, "_seeds", old)

    def transform_images(self, images, transformation, training=True):
        """The batch `images` changed by `transformation` (in training, or always for
        a layer that is not random)."""
        images = ops.convert_to_tensor(images)
        image.check_images(self, images.shape)
        if self._float_output:
            images = as_dtype(images, self.dtype)
        if not self._active(training):
            return images
        if transformation is None and self._draws_randomly():
            raise ValueError(
                f"{type(self).__name__}.transform_images received transformation=None in "
                "training. Pass the transformation returned by "
                "get_random_transformation(images), or training=False to leave the images "
                "unchanged.")
        return self._apply(images, draws_of(transformation))

    def _draws_randomly(self):
        return type(self)._draw is not ImagePreprocessingAPI._draw and \
            getattr(self, "_seeds", None) is not None

    def _apply(self, images, draws):
        raise NotImplementedError(f"{type(self).__name__} must implement _apply.")

    def transform_labels(self, labels, transformation, training=True):
        """The batch `labels` as `transformation` leaves them (the same object,
        except for the layers that mix images)."""
        if not self._active(training):
            return labels
        return self._apply_to_labels(labels, draws_of(transformation))

    def _apply_to_labels(self, labels, draws):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """The batched `bounding_boxes` dict (`{"boxes": (batch, N, 4), "labels":
        (batch, N)}` in the layer's `bounding_box_format`) moved with the images by
        `transformation` (it must come from `get_random_transformation`, which
        knows the images' size) and clipped to the output images."""
        if not self._active(training) or self._passes_boxes():
            return bounding_boxes
        if not isinstance(transformation, Transformation):
            raise ValueError(
                f"{type(self).__name__}.transform_bounding_boxes needs the size of the images: "
                "pass the transformation returned by get_random_transformation, received "
                f"{type(transformation).__name__}.")
        shape = transformation["input_shape"]
        axes = image.spatial_axes(len(shape), self.data_format)
        return self._moved_boxes(bounding_boxes, transformation,
                                 (shape[axes[0]], shape[axes[1]]), batched=True, public=False)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """The batch of masks moved with the images by `transformation`."""
        masks = ops.convert_to_tensor(segmentation_masks)
        if not self._active(training):
            return masks
        return self._apply_to_masks(masks, draws_of(transformation))

    def transform_single_image(self, image, transformation, training=True):
        """`transform_images` of one image (no batch axis)."""
        images = ops.expand_dims(ops.convert_to_tensor(image), 0)
        return ops.squeeze(self.transform_images(images, transformation, training), 0)

    def transform_single_label(self, label, transformation, training=True):
        """`transform_labels` of one sample's label (no batch axis)."""
        labels = ops.expand_dims(ops.convert_to_tensor(label), 0)
        return ops.squeeze(ops.convert_to_tensor(
            self.transform_labels(labels, transformation, training)), 0)

    def transform_single_bounding_box(self, bounding_box, transformation, training=True):
        """`transform_bounding_boxes` of one image's `{"boxes": (N, 4), "labels": (N,)}`."""
        batched = {key: ops.expand_dims(ops.convert_to_tensor(value), 0)
                   if key in ("boxes", "labels") else value
                   for key, value in bounding_box.items()}
        out = self.transform_bounding_boxes(batched, transformation, training)
        return {key: ops.squeeze(ops.convert_to_tensor(value), 0)
                if key in ("boxes", "labels") else value for key, value in out.items()}

    def transform_single_segmentation_mask(self, segmentation_mask, transformation,
                                           training=True):
        """`transform_segmentation_masks` of one image's mask (no batch axis)."""
        masks = ops.expand_dims(ops.convert_to_tensor(segmentation_mask), 0)
        return ops.squeeze(self.transform_segmentation_masks(masks, transformation, training), 0)

    def _overrides_public_methods(self):
        """Whether a subclass (or the instance) replaces how the draws are made or
        applied: `call` then goes through the public methods."""
        cls = type(self)
        return (cls.get_random_transformation is not ImagePreprocessingAPI.get_random_transformation
                or cls.transform_images is not ImagePreprocessingAPI.transform_images
                or "get_random_transformation" in vars(self)
                or "transform_images" in vars(self))

    def _through_public_methods(self, images):
        """The images (a batch, or one image) changed in training by the public
        methods, as Keras's `call` does."""
        # positional: subclasses and tests may name the parameters as they wish
        transformation = self.get_random_transformation(images, True)
        if len(images.shape) == 4:
            return self.transform_images(images, transformation, True)
        return self.transform_single_image(images, transformation, True)

    def _call_not_random(self, data):
        """`call` of a layer that is not random (images, or a dict of images with
        labels, boxes and masks)."""
        if isinstance(data, dict):
            images = ops.convert_to_tensor(dict_inputs.images_of(self, data))
            image.check_images(self, images.shape)
            axes = image.spatial_axes(len(images.shape), self.data_format)
            size = images.shape[axes[0]], images.shape[axes[1]]
            transformation = Transformation(input_shape=tuple(images.shape), draws=None)
            return self._dict_output(data, self._call_not_random(images), transformation, size)
        image.check_images(self, data.shape)
        return self._apply(data, None)
