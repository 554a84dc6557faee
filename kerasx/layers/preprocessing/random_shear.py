"""`RandomShear`: shears images by random factors during training."""

__all__ = ["RandomShear"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer


class RandomShear(LabeledImageAugmentationLayer):
    """Shears each image by random factors in training; identity in inference.

    Output pixel `(x, y)` takes the input at `(x + sx * y, y + sy * x)` (the
    shear is about the top-left corner, as in Keras). `sx` and `sy` are drawn
    from `x_factor` and `y_factor`, and both change sign together with
    probability 1/2. The uncovered area is filled as `fill_mode` says. A
    direct call counts as training, as in Keras. The output has the layer's
    float dtype; gradients pass to the images.

    Args:
        x_factor: a float `f` in [0, 1] (`sx` in `[-f, f]`) or a pair of
            values in [-1, 1] (`sx` between them, then the random sign).
        y_factor: the same for `sy`.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` (`fill_value`) or
            `"nearest"`.
        fill_value: the value of `"constant"` filling.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of shears.

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ...}` (labels pass through). Output: the same structure.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.x_factor = _shear_range("x_factor", x_factor)
        self.y_factor = _shear_range("y_factor", y_factor)
        _augment.set_fill_arguments(self, fill_mode, interpolation, seed, fill_value, data_format)

    def _transform(self, images, count):
        sign = 1.0 - 2.0 * current().xp.astype(
            _augment.uniform(self._seeds, count, 0.0, 1.0) > 0.5, current().dtype("float64"))
        shear_y = _augment.uniform(self._seeds, count, *self.y_factor) * sign
        shear_x = _augment.uniform(self._seeds, count, *self.x_factor) * sign
        return self.shear(images, shear_x, shear_y)

    def shear(self, images, shear_x, shear_y):
        """The batch `images` sheared by `shear_x` and `shear_y` (one signed factor
        per image each)."""
        xp = current().xp
        sx, sy = geometry.as_float64(shear_x), geometry.as_float64(shear_y)
        one, zero = xp.ones_like(sx), xp.zeros_like(sx)
        transform = xp.stack([one, sx, zero, sy, one, zero, zero, zero], axis=-1)
        return ops.image.affine_transform(images, transform, self.interpolation,
                                          self.fill_mode, self.fill_value, self.data_format)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value,
                "data_format": self.data_format}


def _shear_range(name, factor):
    """`(lower, upper)`: a number `f` in [0, 1] gives `(-f, f)`, a pair its sorted
    values. Pair values may lie in [-1, 1] (Keras asks for [0, 1] but writes
    `(-f, f)` into its configs, which must load again)."""
    message = (f"RandomShear: {name} must be a number in [0, 1] or a pair of numbers in "
               f"[-1, 1], received {name}={factor!r}.")
    pair = isinstance(factor, (tuple, list))
    values = list(factor) if pair else [factor]
    low = -1.0 if pair else 0.0
    if pair and len(values) != 2 or not all(_augment._number(v) and low <= v <= 1.0
                                            for v in values):
        raise ValueError(message)
    if pair:
        return tuple(sorted(float(v) for v in values))
    return -abs(float(factor)), abs(float(factor))
