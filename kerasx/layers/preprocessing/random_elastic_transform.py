"""`RandomElasticTransform`: displaces pixels by smooth random fields during training."""

__all__ = ["RandomElasticTransform"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dict_inputs import resampled_masks
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer

FILL_MODES = ("reflect", "wrap", "constant", "nearest", "mirror")


class RandomElasticTransform(LabeledImageAugmentationLayer):
    """Distorts images elastically in training; identity in inference.

    Each image draws a probability from `factor` and is distorted when a
    uniform draw falls below it. One strength `d` per call is drawn from
    `scale`; pixels move by Gaussian-smoothed noise fields (see
    `ops.image.elastic_transform`) with `alpha = 0.1 d max(h, w)` and
    `sigma = 0.05 d min(h, w)`. The result is clipped to `value_range`. A
    direct call counts as training, as in Keras. The output has the layer's
    float dtype; gradients pass to the images.

    Args:
        factor: the probability of distorting: a float `f` in [0, 1] (drawn
            from `[0, f]`) or a pair `(min, max)`.
        scale: the strength: a float `s` in [0, 1] (drawn from `[0, s]`) or
            a pair.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` (`fill_value`),
            `"nearest"` or `"mirror"`.
        fill_value: the value of `"constant"` filling.
        value_range: `(low, high)`, the range of the images' values.
        seed: an int for a repeatable sequence of distortions.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ..., "segmentation_masks": ...}`: labels pass through, masks are
    displaced by the same fields as their images with nearest sampling and
    keep their dtype and values (Keras 3 clips them to `value_range`, and its
    masks may get fields other than their images'). With the same seed, the
    images of a dict are those of a call on the images alone. Bounding boxes
    are refused, as in Keras. Output: the same structure.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = "RandomElasticTransform"
        self.factor = _augment.factor_pair(name, "factor", factor, 0.0, 1.0)
        self.scale = _augment.factor_pair(name, "scale", scale, 0.0, 1.0)
        _augment.check_choice(name, "interpolation", interpolation, image.INTERPOLATIONS)
        _augment.check_choice(name, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = _augment.value_range_of(name, value_range)
        self._set_seed_and_data_format(name, seed, data_format)

    def call(self, data, training=True):
        if isinstance(data, dict) and "bounding_boxes" in data:
            raise ValueError(
                "Bounding boxes are not supported by RandomElasticTransform (nor by "
                "Keras's): its displacements do not keep boxes rectangular. Layer "
                f"{self.name!r} received a 'bounding_boxes' key; drop it or transform the "
                "boxes separately.")
        return super().call(data, training=training)

    def _draw(self, images, count):
        """`(apply, strength, field_seed)`: whether to distort each image (booleans),
        the strength drawn from `scale` and the int seed of the fields; None when
        `factor` or `scale` allows no distortion."""
        if not (self.scale[1] > 0 and self.factor[1] > 0):
            return None
        apply = geometry.applied(self._seeds, count, self.factor)
        strength = float(_augment.uniform(self._seeds, 1, *self.scale)[0])
        # an int even unseeded: the masks then get the fields of their images
        field_seed = int(current().rng.integers((1,), 0, 2 ** 31 - 1,
                                                seed=self._seeds.next())[0])
        return apply, strength, field_seed

    def _apply(self, images, transformation):
        if transformation is None:
            return images
        apply, strength, field_seed = transformation
        return self.distort(images, strength, apply, field_seed)

    def _apply_to_masks(self, masks, transformation):
        apply, strength, field_seed = transformation
        return resampled_masks(masks, self.dtype, lambda m: self.displace(
            m, strength, apply, field_seed, "nearest"))

    def elastic_parameters(self, height, width, strength):
        """`(alpha, sigma)` of the fields for images of `height` x `width` and a
        strength drawn from `scale`."""
        return max(height, width) * 0.1 * strength, min(height, width) * 0.05 * strength

    def distort(self, images, strength, apply, seed=None):
        """The batch `images` distorted with `strength` where the boolean `apply` is
        True (fields drawn with `seed`: None or an int), clipped to `value_range`."""
        images = self.displace(images, strength, apply, seed)
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def displace(self, images, strength, apply, seed=None, interpolation=None):
        """The batch `images` displaced with `strength` where `apply` is True, sampled
        as `interpolation` says (default: the layer's); not clipped."""
        height, width = geometry.height_width(images, self.data_format)
        alpha, sigma = self.elastic_parameters(height, width, float(strength))
        if not sigma > 0:
            return images
        moved = ops.image.elastic_transform(images, alpha, sigma,
                                            interpolation or self.interpolation,
                                            self.fill_mode, self.fill_value, seed=seed,
                                            data_format=self.data_format)
        return ops.where(geometry.per_image_flags(apply), moved, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed, "data_format": self.data_format}
