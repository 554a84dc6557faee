"""`RandomColorDegeneration`: blends each image with its grey version by a random
factor during training."""

__all__ = ["RandomColorDegeneration"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomColorDegeneration(ImageAugmentationLayer):
    """Dulls the colours of RGB images by a random amount in training; identity in
    inference.

    Each image becomes `x + f * (gray - x)` (`gray` its luma from
    `ops.image.rgb_to_grayscale`), clipped to `value_range`, with `f` drawn
    uniformly from `factor`: 0 leaves the image alone, 1 makes it grey. As in
    Keras 3.15.1, a single number `f` reads as `(-f, f)`, and negative draws
    push colours away from grey (more saturated); give `(0, f)` to only dull
    them. A direct call counts as training; `predict` and `evaluate` leave
    images alone. The output has the layer's float dtype.

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
        name = "RandomColorDegeneration"
        self.factor = _augment.factor_pair(name, "factor", factor, -1.0, 1.0)
        self.value_range = _augment.value_range_of(name, value_range)
        self._set_seed_and_data_format(name, seed, data_format)

    def _transform(self, images, count):
        factors = _augment.uniform(self._seeds, count, *self.factor)
        return self.degenerate(images, factors)

    def degenerate(self, images, factors):
        """`images` moved towards their grey version by `factors` (one per image)."""
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return _color.clip_to(_color.blend(images, gray, factors), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
