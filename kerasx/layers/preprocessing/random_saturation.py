"""`RandomSaturation`: scales the saturation of each image by a random factor during
training."""

__all__ = ["RandomSaturation"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer

_EPSILON = 1e-7  # Keras's backend epsilon, in its factor / (1 - factor + epsilon)


class RandomSaturation(ImageAugmentationLayer):
    """Raises or lowers the saturation of RGB images by a random amount in training;
    identity in inference.

    A draw `f` from `factor` multiplies each pixel's HSV saturation by
    `f / (1 - f)`: 0.5 leaves the image alone, 0 makes it grey, values near 1
    saturate it. As in Keras 3.15.1, a single number `f` reads as `(-f, f)`
    (so about half of the draws turn the image grey; give `(lower, upper)` in
    [0, 1] for the documented behaviour), and the scaled saturation is
    clipped to `value_range` rather than to [0, 1], so with the default range
    a draw above 0.5 can push pixels outside it. A direct call counts as
    training; `predict` and `evaluate` leave images alone. The output has the
    layer's float dtype.

    Args:
        factor: a number in [-1, 1] or a pair `(lower, upper)`.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of factors.
    """

    _rgb_only = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        name = "RandomSaturation"
        self.factor = _augment.factor_pair(name, "factor", factor, -1.0, 1.0)
        self.value_range = _augment.value_range_of(name, value_range)
        self._set_seed_and_data_format(name, seed, data_format)

    def _transform(self, images, count):
        draws = _augment.uniform(self._seeds, count, *self.factor)
        return self.saturate(images, draws / (1.0 - draws + _EPSILON))

    def saturate(self, images, scales):
        """`images` with their HSV saturation multiplied by `scales` (one per image)."""
        axis = _color.channel_axis(len(images.shape), self.data_format)
        hsv = ops.image.rgb_to_hsv(images, data_format=self.data_format)
        hue, saturation, value = _color.planes(hsv, axis)
        saturation = _color.clip_to(ops.multiply(saturation, _color.per_plane(scales, hue)),
                                    self.value_range)
        return ops.image.hsv_to_rgb(ops.stack([hue, saturation, value], axis=axis),
                                    data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
