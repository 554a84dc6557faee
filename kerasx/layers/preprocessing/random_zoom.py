"""`RandomZoom`: zooms images in or out by random factors during training."""

__all__ = ["RandomZoom"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomZoom(ImageAugmentationLayer):
    """Zooms each image about its center by random factors in training; identity in
    inference.

    The zoom of each axis is `1 + z` with `z` drawn uniformly from its factor
    range: a positive `z` zooms out (the image shrinks, the border is filled as
    `fill_mode` says), a negative one zooms in. Without `width_factor` both
    axes take the vertical zoom (the aspect ratio is kept). A direct call
    counts as training, as in Keras; `predict` and `evaluate` do not zoom. The
    output has the layer's float dtype; gradients pass to the images.

    Args:
        height_factor: a float `f` in (-1, 1] (zoom in `[1 - |f|, 1 + |f|]`)
            or a pair `(lower, upper)` of such values.
        width_factor: the same for the width, or None.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` (`fill_value`) or
            `"nearest"`.
        interpolation: `"bilinear"` or `"nearest"`.
        seed: an int for a repeatable sequence of zooms.
        fill_value: the value of `"constant"` filling.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _zoom_range("height_factor", height_factor)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _zoom_range("width_factor", width_factor)
        _augment.set_fill_arguments(self, fill_mode, interpolation, seed, fill_value, data_format)

    def _transform(self, images, count):
        height_zoom = _augment.uniform(self._seeds, count, 1.0 + self.height_lower,
                                       1.0 + self.height_upper)
        width_zoom = height_zoom if self.width_factor is None else _augment.uniform(
            self._seeds, count, 1.0 + self.width_lower, 1.0 + self.width_upper)
        return self.zoom(images, height_zoom, width_zoom)

    def zoom(self, images, height_zoom, width_zoom):
        """`images` zoomed by `height_zoom` and `width_zoom` (one value per image; above
        1 zooms out)."""
        backend = current()
        xp = backend.xp
        f64 = backend.dtype("float64")
        zy = xp.astype(backend.asarray(height_zoom), f64)
        zx = xp.astype(backend.asarray(width_zoom), f64)
        axes = image.spatial_axes(len(images.shape), self.data_format)
        height, width = images.shape[axes[0]], images.shape[axes[1]]
        zero = xp.zeros_like(zx)
        transform = xp.stack([zx, zero, (width - 1) / 2.0 * (1.0 - zx), zero, zy,
                              (height - 1) / 2.0 * (1.0 - zy), zero, zero], axis=-1)
        if len(images.shape) == 3:
            transform = transform[0, ...]
        return ops.image.affine_transform(images, transform, self.interpolation,
                                          self.fill_mode, self.fill_value, self.data_format)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor, "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value, "data_format": self.data_format}


def _zoom_range(name, factor):
    """`(lower, upper)` of a zoom factor; each value must lie in (-1, 1] (a zoom of
    `1 + value` must stay positive)."""
    message = (f"RandomZoom: {name} must be a number in (-1, 1] or a pair of such numbers, "
               f"received {name}={factor!r}.")
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if len(values) not in (1, 2) or isinstance(factor, (tuple, list)) and len(values) != 2:
        raise ValueError(message)
    if not all(_augment._number(v) and -1.0 < v <= 1.0 for v in values):
        raise ValueError(message)
    if len(values) == 1:
        return -abs(float(factor)), abs(float(factor))
    return tuple(sorted(float(v) for v in values))
