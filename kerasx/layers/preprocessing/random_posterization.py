"""`RandomPosterization`: keeps a random number of bits of each colour value during
training."""

__all__ = ["RandomPosterization"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomPosterization(ImageAugmentationLayer):
    """Reduces each image to a random number of bits per colour value in training;
    identity in inference.

    Working in [0, 255] (images are mapped from `value_range` and back),
    values are clipped, truncated to integers and keep their `b` highest bits
    (`x - x mod 2**(8 - b)`). As in Keras 3.15.1, `b` is drawn from the
    integers in `[lower, upper)` (so `upper` itself is never drawn), or is
    `lower` when both ends are equal; a single number `f` reads as `(1, f)`.
    A direct call counts as training; `predict` and `evaluate` leave images
    alone. The output has the layer's float dtype.

    Args:
        factor: a number of bits in [1, 8] or a pair of them.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _bits_pair(factor)
        self.value_range = _augment.value_range_of("RandomPosterization", value_range)
        self._set_seed_and_data_format("RandomPosterization", seed, data_format)

    def _transform(self, images, count):
        low, high = (int(b) for b in self.factor)
        if low == high:
            return self.posterize(images, [low] * count)
        bits = current().rng.integers((count,), low, high, dtype="int32",
                                      seed=self._seeds.next())
        return self.posterize(images, bits)

    def posterize(self, images, bits):
        """`images` keeping `bits` (one number per image, 1 to 8) of each value."""
        steps = ops.power(2.0, ops.subtract(8.0, ops.cast(ops.convert_to_tensor(bits),
                                                           "float64")))
        steps = _augment.per_image(steps, images)
        x = ops.floor(ops.clip(_augment.rescale(images, self.value_range, (0, 255)), 0.0, 255.0))
        x = ops.multiply(ops.floor(ops.divide(x, steps)), steps)
        return _augment.rescale(x, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}


def _bits_pair(factor):
    message = ("RandomPosterization: factor must be a number of bits in [1, 8] or a pair of "
               f"them, received factor={factor!r}.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_augment._number(f) and 1 <= f <= 8 for f in factor):
            raise ValueError(message)
        return tuple(sorted(factor))
    if not _augment._number(factor) or not 1 <= factor <= 8:
        raise ValueError(message)
    return 1, factor
