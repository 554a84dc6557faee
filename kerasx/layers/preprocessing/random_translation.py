"""`RandomTranslation`: shifts images by random fractions of their size during training."""

__all__ = ["RandomTranslation"]

from kerasx import ops
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dict_inputs import resampled_masks
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer
from kerasx.layers.preprocessing._translate import translate


class RandomTranslation(ImageAugmentationLayer):
    """Shifts each image by a random offset in training; identity in inference.

    The vertical shift is drawn uniformly from `height_factor` times the
    height, the horizontal one from `width_factor` times the width (positive:
    down and right). Pixels are sampled bilinearly (or from the nearest
    input), and the area uncovered is filled as `fill_mode` says. A direct
    call counts as training, as in Keras; `predict` and `evaluate` do not
    shift. The output has the layer's float dtype.

    Args:
        height_factor, width_factor: a float `f` in [-1, 1] (shifts in
            `[-|f|, |f|]`) or a pair `(lower, upper)`.
        fill_mode: `"reflect"` (d c b a | a b c d | d c b a), `"wrap"`,
            `"constant"` (`fill_value`) or `"nearest"` (edge pixels repeated).
        interpolation: `"bilinear"` or `"nearest"`.
        seed: an int for a repeatable sequence of shifts.
        fill_value: the value of `"constant"` filling.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input.

    Input shape: `(batch, rows, cols, channels)` or one image `(rows, cols,
    channels)` (channels_last), or a dict of `"images"`, `"labels"`,
    `"bounding_boxes"` and `"segmentation_masks"`: the boxes are shifted with
    their images and clipped to them (a box left empty gets the label -1), the
    masks are shifted with nearest sampling. Output: the same.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_range("height_factor", height_factor)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _factor_range("width_factor", width_factor)
        _augment.set_fill_arguments(self, fill_mode, interpolation, seed, fill_value, data_format)

    def _draw(self, images, count):
        """`(dy, dx)`: the shifts in pixels, one per image (float64 backend arrays)."""
        height, width = geometry.height_width(images, self.data_format)
        dy = _augment.uniform(self._seeds, count, self.height_lower, self.height_upper) * height
        dx = _augment.uniform(self._seeds, count, self.width_lower, self.width_upper) * width
        return dy, dx

    def _apply(self, images, transformation):
        unbatched = len(images.shape) == 3
        if unbatched:
            images = ops.expand_dims(images, 0)
        out = self.translate(images, *transformation)
        return ops.squeeze(out, 0) if unbatched else out

    def _apply_to_boxes(self, boxes, transformation, height, width):
        dy, dx = (ops.reshape(ops.cast(ops.convert_to_tensor(d), boxes.dtype), (-1, 1, 1))
                  for d in transformation)
        return ops.concatenate([dx, dy, dx, dy], axis=-1) + boxes, height, width

    def _apply_to_masks(self, masks, transformation):
        axes = image.spatial_axes(4, self.data_format)
        return resampled_masks(masks, self.dtype, lambda m: translate(
            m, *transformation, "nearest", self.fill_mode, self.fill_value, axes))

    def translate(self, images, dy, dx):
        """A batch of `images` shifted by `dy` rows and `dx` columns (float64 backend
        arrays, one value per image)."""
        axes = image.spatial_axes(len(images.shape), self.data_format)
        return translate(images, dy, dx, self.interpolation, self.fill_mode, self.fill_value,
                         axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "height_factor": self.height_factor, "width_factor": self.width_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value}


def _factor_range(name, factor):
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(f"RandomTranslation: {name} must be a float or a pair of floats, "
                             f"received {name}={factor!r}.")
        bounds = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        bounds = [-abs(float(factor)), abs(float(factor))]
    else:
        raise ValueError(f"RandomTranslation: {name} must be a float or a pair of floats, "
                         f"received {name}={factor!r}.")
    if any(not -1.0 <= f <= 1.0 for f in bounds):
        raise ValueError(f"RandomTranslation: {name} values must be in [-1, 1], received "
                         f"{name}={factor!r}.")
    return bounds
