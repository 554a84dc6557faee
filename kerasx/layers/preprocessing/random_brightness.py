"""`RandomBrightness`: adds a random offset to each image during training."""

__all__ = ["RandomBrightness"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomBrightness(ImageAugmentationLayer):
    """Brightens or darkens each image by a random offset in training; identity in
    inference.

    The offset is drawn uniformly from `factor` times the width of
    `value_range`, added to every pixel, and the result clipped to
    `value_range`. A direct call counts as training; `predict` and `evaluate`
    leave images alone. The output has the layer's float dtype.

    Args:
        factor: a number `f` in [-1, 1] (offsets in `[-|f|, |f|]` of the
            range) or a pair `(lower, upper)`.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        seed: an int for a repeatable sequence of offsets.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _augment.factor_pair("RandomBrightness", "factor", factor, -1.0, 1.0)
        self.value_range = _augment.value_range_of("RandomBrightness", value_range)
        self._set_seed_and_data_format("RandomBrightness", seed, data_format)

    def _transform(self, images, count):
        low, high = self.value_range
        deltas = _augment.uniform(self._seeds, count, *self.factor)
        return self.brighten(images, deltas * (high - low))

    def brighten(self, images, deltas):
        """`images` plus `deltas` (one per image, in image units), clipped."""
        out = ops.add(images, _augment.per_image(deltas, images))
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
