"""`RandomSharpness`: sharpens or softens each image by a random amount during
training."""

__all__ = ["RandomSharpness"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer

# the 3x3 smoothing kernel of PIL's ImageEnhance.Sharpness, normalized
_SIDE, _CENTER = 1.0 / 13.0, 5.0 / 13.0


class RandomSharpness(ImageAugmentationLayer):
    """Changes the sharpness of images by a random amount in training; identity in
    inference.

    Each image is blended with a smoothed copy (3x3 kernel, zero padding at
    the borders, as in Keras): `x + (1 - 2f) * (smooth - x)`, clipped to
    `value_range`, with `f` drawn uniformly from `factor`. `f = 0.5` leaves
    the image alone, smaller values blur it and larger ones sharpen it. A
    direct call counts as training; `predict` and `evaluate` leave images
    alone. The output has the layer's float dtype.

    Args:
        factor: a number `f` in [0, 1] (read as `(0, f)`) or a pair.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of factors.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _color.unit_pair("RandomSharpness", "factor", factor)
        self.value_range = _augment.value_range_of("RandomSharpness", value_range)
        self._set_seed_and_data_format("RandomSharpness", seed, data_format)

    def _transform(self, images, count):
        factors = _augment.uniform(self._seeds, count, *self.factor)
        return self.sharpen(images, factors)

    def sharpen(self, images, factors):
        """`images` with their sharpness set by `factors` (one per image, 0.5 = as is)."""
        smooth = self.smooth(images)
        weights = ops.subtract(1.0, ops.multiply(ops.convert_to_tensor(factors), 2.0))
        out = _color.blend(images, smooth, weights)
        return _color.clip_to(out, self.value_range)

    def smooth(self, images):
        """Each channel of `images` filtered by the smoothing kernel ("same" size)."""
        single = len(images.shape) == 3
        batch = ops.expand_dims(images, 0) if single else images
        channels = batch.shape[_color.channel_axis(4, self.data_format)]
        taps = [[_SIDE, _SIDE, _SIDE], [_SIDE, _CENTER, _SIDE], [_SIDE, _SIDE, _SIDE]]
        kernel = ops.cast(ops.convert_to_tensor(taps), value_of(images).dtype)
        kernel = ops.broadcast_to(ops.reshape(kernel, (3, 3, 1, 1)), (3, 3, channels, 1))
        out = ops.depthwise_conv(batch, kernel, padding="same", data_format=self.data_format)
        return ops.squeeze(out, 0) if single else out

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}
