"""`RandomHue`: rotates the hue of each image by a random amount during training."""

__all__ = ["RandomHue"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomHue(ImageAugmentationLayer):
    """Shifts the hue of RGB images by a random amount in training; identity in
    inference.

    Working in [0, 1] (images are mapped from `value_range` and back), each
    image's HSV hue moves by `±f / 2` turns, with `f` drawn uniformly from
    `factor` and the sign by a fair coin, wrapping around the colour circle;
    the result is clipped to the range. `factor=1.0` allows shifts of up to
    half a turn either way. A direct call counts as training; `predict` and
    `evaluate` leave images alone. The output has the layer's float dtype.

    Args:
        factor: a number `f` in [0, 1] (read as `(0, f)`) or a pair.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of shifts.
    """

    _rgb_only = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _color.unit_pair("RandomHue", "factor", factor)
        self.value_range = _augment.value_range_of("RandomHue", value_range, keep_order=True)
        self._set_seed_and_data_format("RandomHue", seed, data_format)

    def _transform(self, images, count):
        coins = _augment.uniform(self._seeds, count, 0.0, 1.0)
        amounts = _augment.uniform(self._seeds, count, *self.factor)
        halves = 0.5 - current().xp.astype(coins > 0.5, coins.dtype)  # -0.5 or 0.5
        return self.shift_hue(images, halves * amounts)

    def shift_hue(self, images, shifts):
        """`images` with their hue moved by `shifts` (one per image, in turns)."""
        x = _augment.rescale(images, self.value_range, (0, 1))
        axis = _color.channel_axis(len(images.shape), self.data_format)
        hue, saturation, value = _color.planes(
            ops.image.rgb_to_hsv(x, data_format=self.data_format), axis)
        hue = ops.add(hue, _color.per_plane(shifts, hue))
        hue = ops.where(ops.greater(hue, 1.0), ops.subtract(hue, 1.0), hue)
        hue = ops.where(ops.less(hue, 0.0), ops.add(hue, 1.0), hue)
        x = ops.image.hsv_to_rgb(ops.stack([hue, saturation, value], axis=axis),
                                 data_format=self.data_format)
        return _augment.rescale(ops.clip(x, 0.0, 1.0), (0, 1), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
