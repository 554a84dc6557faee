"""`Solarization`: inverts the pixels above a random threshold during training."""

__all__ = ["Solarization"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class Solarization(ImageAugmentationLayer):
    """Solarizes images in training; identity in inference.

    Working in [0, 255] (images are mapped from `value_range` and back), each
    image gets a random `addition` (clipped sum), then every pixel at or above
    a random `threshold` becomes `255 - x`. As in Keras 3.15.1, the addition is
    drawn from `[addition_factor[0], addition_factor[1] * 255)` and the
    threshold from `[threshold_factor[0], threshold_factor[1] * 255)`; with
    the defaults (0, 0) every pixel is inverted. A direct call counts as
    training; `predict` and `evaluate` leave images alone. The output has the
    layer's float dtype.

    Args:
        addition_factor, threshold_factor: a number `f` in [0, 1] (read as
            `(0, f)`) or a pair of them.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        seed: an int for a repeatable sequence of draws.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.addition_factor = _unit_pair("addition_factor", addition_factor)
        self.threshold_factor = _unit_pair("threshold_factor", threshold_factor)
        self.value_range = _augment.value_range_of("Solarization", value_range)
        self._set_seed_and_data_format("Solarization", seed, data_format)

    def _transform(self, images, count):
        additions = _augment.uniform(self._seeds, count, self.addition_factor[0],
                                     self.addition_factor[1] * 255.0)
        thresholds = _augment.uniform(self._seeds, count, self.threshold_factor[0],
                                      self.threshold_factor[1] * 255.0)
        return self.solarize(images, additions, thresholds)

    def solarize(self, images, additions, thresholds):
        """`images` solarized with the given `additions` and `thresholds` (one per
        image, on the [0, 255] scale)."""
        x = _augment.rescale(images, self.value_range, (0, 255))
        x = ops.clip(ops.add(x, _augment.per_image(additions, images)), 0.0, 255.0)
        below = ops.less(x, _augment.per_image(thresholds, images))
        x = ops.where(below, x, ops.subtract(255.0, x))
        return _augment.rescale(x, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "seed": self.seed,
                "data_format": self.data_format}


def _unit_pair(name, factor):
    message = (f"Solarization: {name} must be a number in [0, 1] or a pair of them, "
               f"received {name}={factor!r}.")
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if isinstance(factor, (tuple, list)) and len(values) != 2 or \
            not all(_augment._number(v) and 0.0 <= v <= 1.0 for v in values):
        raise ValueError(message)
    return (0.0, float(factor)) if len(values) == 1 else tuple(sorted(float(v) for v in values))
