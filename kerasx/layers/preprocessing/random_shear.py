"""`RandomShear`: shears images by random factors during training."""

__all__ = ["RandomShear"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._dict_inputs import resampled_masks
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

        bounding_box_format: the format of the boxes of a dict input.

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ..., "bounding_boxes": ..., "segmentation_masks": ...}`: labels
    pass through, each box edge moves with the shear of the corner that bounds
    it (Keras's rule) and is clipped to the image (a box left empty gets the
    label -1), masks are sheared with nearest sampling. Output: the same
    structure.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, data_format=None, seed=None, bounding_box_format=None,
                 **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        self.x_factor = _shear_range("x_factor", x_factor)
        self.y_factor = _shear_range("y_factor", y_factor)
        _augment.set_fill_arguments(self, fill_mode, interpolation, seed, fill_value, data_format)

    def _draw(self, images, count):
        """`(shear_x, shear_y)`, one signed factor of each per image (float64 backend
        arrays)."""
        sign = 1.0 - 2.0 * current().xp.astype(
            _augment.uniform(self._seeds, count, 0.0, 1.0) > 0.5, current().dtype("float64"))
        shear_y = _augment.uniform(self._seeds, count, *self.y_factor) * sign
        shear_x = _augment.uniform(self._seeds, count, *self.x_factor) * sign
        return shear_x, shear_y

    def _apply(self, images, transformation):
        return self.shear(images, *transformation)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        # Keras's bounds: each edge moves by the shear of the corner that bounds it
        sx, sy = (ops.reshape(ops.cast(ops.convert_to_tensor(s), boxes.dtype), (-1, 1))
                  for s in transformation)
        x1, y1, x2, y2 = (ops.squeeze(part, -1) for part in ops.split(boxes, 4, axis=-1))
        left = sx < 0
        x1, x2 = (ops.where(left, x1 - sx * y1, x1 - sx * y2),
                  ops.where(left, x2 - sx * y2, x2 - sx * y1))
        down = sy > 0
        y1, y2 = (ops.where(down, y1 - sy * x2, y1 - sy * x1),
                  ops.where(down, y2 - sy * x1, y2 - sy * x2))
        return ops.stack([x1, y1, x2, y2], axis=-1), height, width

    def _apply_to_masks(self, masks, transformation):
        return resampled_masks(masks, self.dtype,
                               lambda m: self.shear(m, *transformation, "nearest"))

    def shear(self, images, shear_x, shear_y, interpolation=None):
        """The batch `images` sheared by `shear_x` and `shear_y` (one signed factor
        per image each), sampled as `interpolation` says (default: the layer's)."""
        xp = current().xp
        sx, sy = geometry.as_float64(shear_x), geometry.as_float64(shear_y)
        one, zero = xp.ones_like(sx), xp.zeros_like(sx)
        transform = xp.stack([one, sx, zero, sy, one, zero, zero, zero], axis=-1)
        return ops.image.affine_transform(images, transform,
                                          interpolation or self.interpolation,
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
