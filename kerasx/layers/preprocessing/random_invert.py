"""`RandomInvert`: inverts images (`high - x`) at random during training."""

__all__ = ["RandomInvert"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomInvert(ImageAugmentationLayer):
    """Inverts each image, `value_range[1] - x`, at random in training; identity in
    inference.

    As in Keras, each image draws a probability uniformly from `factor` and a
    threshold uniformly from [0, 1), and is inverted when the threshold is
    below the probability (so the default `factor=1.0` inverts half of the
    images on average). A direct call counts as training; `predict` and
    `evaluate` leave images alone. The output has the layer's float dtype.

    Args:
        factor: a number `f` in [0, 1] (read as `(0, f)`) or a pair.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        seed: an int for a repeatable sequence of draws.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.factor = _augment.factor_pair("RandomInvert", "factor", factor, 0.0, 1.0)
        self.value_range = _augment.value_range_of("RandomInvert", value_range,
                                                   keep_order=True)
        self._set_seed_and_data_format("RandomInvert", seed, data_format)

    def _transform(self, images, count):
        probability = _augment.uniform(self._seeds, count, *self.factor)
        threshold = _augment.uniform(self._seeds, count, 0.0, 1.0)
        return self.invert(images, threshold < probability)

    def invert(self, images, apply):
        """`images` with those whose entry of the boolean `apply` is True inverted."""
        shape = (-1, 1, 1, 1) if len(images.shape) == 4 else (1, 1, 1)
        where = ops.reshape(ops.convert_to_tensor(current().asarray(apply)), shape)
        return ops.where(where, ops.subtract(float(self.value_range[1]), images), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
