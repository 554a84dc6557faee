"""`RandomErasing`: replaces a random rectangle of each image during training."""

__all__ = ["RandomErasing"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer


class RandomErasing(LabeledImageAugmentationLayer):
    """Erases a random rectangle of each image in training (Random Erasing); identity
    in inference.

    Each image draws a probability from `factor` and is erased when a uniform
    draw falls below it. The rectangle's sides are `sqrt(s) * width` and
    `sqrt(s') * height` with `s`, `s'` drawn from `scale`, placed uniformly
    inside the image. Its pixels become `fill_value` (clipped to
    `value_range`), or with `fill_value=None` normal noise times the top of
    `value_range` (clipped). A direct call counts as training, as in Keras.
    The output has the layer's float dtype; gradients pass to the pixels kept.

    Args:
        factor: the probability of erasing: a float `f` in [0, 1] (drawn from
            `[0, f]`) or a pair `(min, max)`.
        scale: a float or a pair in [0, 1]: the range of the squared fraction
            of each side that is erased.
        fill_value: None (noise), a number, or three numbers (one per channel).
        value_range: `(low, high)`, the range of the images' values.
        seed: an int for a repeatable sequence of rectangles.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Input: images of shape `(batch, rows, cols, channels)` or one image, or a
    dict `{"images": ..., "labels": ..., "bounding_boxes": ...,
    "segmentation_masks": ...}` (all but the images pass through unchanged, as
    in Keras; boxes need `bounding_box_format`). Output: the same structure
    and shapes.
    """

    _keeps_boxes = True

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _augment.factor_pair("RandomErasing", "factor", factor, 0.0, 1.0)
        self.scale = _augment.factor_pair("RandomErasing", "scale", scale, 0.0, 1.0)
        self.fill_value = _fill_value(fill_value)
        self.value_range = _augment.value_range_of("RandomErasing", value_range)
        self._set_seed_and_data_format("RandomErasing", seed, data_format)

    def _transform(self, images, count):
        height, width = geometry.height_width(images, self.data_format)
        xp = current().xp
        ratio = xp.sqrt(_augment.uniform(self._seeds, 2 * count, *self.scale))
        x0, x1 = geometry.crop_bounds(self._seeds, count, width, ratio[:count])
        y0, y1 = geometry.crop_bounds(self._seeds, count, height, ratio[count:])
        apply = geometry.applied(self._seeds, count, self.factor)
        return self.erase(images, (x0, x1, y0, y1), apply)

    def erase(self, images, boxes, apply, noise=None):
        """The batch `images` with the box `boxes = (x0, x1, y0, y1)` (pixel bounds,
        one per image: `x0 <= x < x1`, `y0 <= y < y1`) filled where the boolean
        `apply` is True. With `fill_value=None` the fill is `noise` (drawn as
        standard normal values when not given) times the top of `value_range`."""
        low, high = self.value_range
        if self.fill_value is None:
            if noise is None:
                noise = self._noise(images)
            fill = ops.multiply(ops.cast(ops.convert_to_tensor(noise), images.dtype),
                                float(high))
        elif isinstance(self.fill_value, list):
            shape = (1, 1, 1, 3) if self.data_format == "channels_last" else (1, 3, 1, 1)
            fill = ops.reshape(ops.convert_to_tensor(self.fill_value, dtype=images.dtype), shape)
        else:
            fill = ops.convert_to_tensor(float(self.fill_value), dtype=images.dtype)
        fill = ops.clip(fill, low, high)
        where = ops.logical_and(geometry.box_mask(images, self.data_format, boxes),
                                geometry.per_image_flags(apply))
        return ops.where(where, fill, images)

    def _noise(self, images):
        """Standard normal values of the shape of `images`, drawn channels last (the
        same values in either data format)."""
        batch, a, b, c = images.shape
        shape = (batch, a, b, c) if self.data_format == "channels_last" else (batch, b, c, a)
        noise = current().rng.normal(shape, dtype=images.dtype, seed=self._seeds.next())
        if self.data_format == "channels_first":
            noise = current().xp.permute_dims(noise, (0, 3, 1, 2))
        return noise

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed, "data_format": self.data_format}


def _fill_value(value):
    if value is None or _augment._number(value):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 3 and \
            all(_augment._number(v) for v in value):
        return [float(v) for v in value]
    raise ValueError("RandomErasing: fill_value must be None (noise), a number or three "
                     f"numbers (one per channel), received fill_value={value!r}.")
