"""`RandomContrast`: scales each image's deviation from its mean by a random factor."""

__all__ = ["RandomContrast"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomContrast(ImageAugmentationLayer):
    """Adjusts the contrast of each image by a random factor in training; identity
    in inference.

    Each channel of an image becomes `(x - mean) * c + mean` (mean over the
    image's pixels), clipped to `value_range`, with `c` drawn uniformly from
    `[1 - lower, 1 + upper]`. As in Keras 3.15.1, a single number `f` reads as
    `(lower, upper) = (0, f)`, so it only raises contrast; give a pair for
    both directions. A direct call counts as training; `predict` and
    `evaluate` leave images alone. The output has the layer's float dtype.

    Args:
        factor: a number in [0, 1] or a pair `(lower, upper)`.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        seed: an int for a repeatable sequence of factors.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _augment.factor_pair("RandomContrast", "factor", factor, 0.0, 1.0)
        self.value_range = _augment.value_range_of("RandomContrast", value_range,
                                                   keep_order=True)
        self._set_seed_and_data_format("RandomContrast", seed, data_format)

    def _transform(self, images, count):
        lower, upper = self.factor
        factors = _augment.uniform(self._seeds, count, 1.0 - lower, 1.0 + upper)
        return self.adjust(images, factors)

    def adjust(self, images, factors):
        """`images` with their contrast scaled by `factors` (one per image)."""
        axes = image.spatial_axes(len(images.shape), self.data_format)
        mean = ops.mean(images, axis=axes, keepdims=True)
        factors = _augment.per_image(factors, images)
        out = ops.add(ops.multiply(ops.subtract(images, mean), factors), mean)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
