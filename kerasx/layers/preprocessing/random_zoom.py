"""`RandomZoom`: zooms images in or out by random factors during training."""

__all__ = ["RandomZoom"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dict_inputs import resampled_masks
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer
from kerasx.utils.bounding_boxes.geometry import clip_between


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
        bounding_box_format: the format of the boxes of a dict input.

    A dict input `{"images", "labels", "bounding_boxes", "segmentation_masks"}`
    has its boxes zoomed with the images and clipped to the window shown (a box
    left empty gets the label -1), and its masks zoomed with nearest sampling.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _zoom_range("height_factor", height_factor)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _zoom_range("width_factor", width_factor)
        _augment.set_fill_arguments(self, fill_mode, interpolation, seed, fill_value, data_format)

    def _draw(self, images, count):
        """`(height_zoom, width_zoom)`, one value of each per image (float64 backend
        arrays)."""
        height_zoom = _augment.uniform(self._seeds, count, 1.0 + self.height_lower,
                                       1.0 + self.height_upper)
        width_zoom = height_zoom if self.width_factor is None else _augment.uniform(
            self._seeds, count, 1.0 + self.width_lower, 1.0 + self.width_upper)
        return height_zoom, width_zoom

    def _apply(self, images, transformation):
        return self.zoom(images, *transformation)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        # the output shows the input window [start, start + zoom * size] of each axis
        zy, zx = (ops.reshape(ops.cast(ops.convert_to_tensor(z), boxes.dtype), (-1, 1))
                  for z in transformation)
        x_start, y_start = (width - 1) / 2.0 * (1.0 - zx), (height - 1) / 2.0 * (1.0 - zy)
        x_end, y_end = zx * width + x_start, zy * height + y_start
        x1, y1, x2, y2 = (ops.squeeze(part, -1) for part in ops.split(boxes, 4, axis=-1))
        moved = [(clip_between(x, x_start, x_end) - x_start) / zx for x in (x1, x2)]
        moved += [(clip_between(y, y_start, y_end) - y_start) / zy for y in (y1, y2)]
        return ops.stack([moved[0], moved[2], moved[1], moved[3]], axis=-1), height, width

    def _apply_to_masks(self, masks, transformation):
        return resampled_masks(masks, self.dtype,
                               lambda m: self.zoom(m, *transformation, "nearest"))

    def zoom(self, images, height_zoom, width_zoom, interpolation=None):
        """`images` zoomed by `height_zoom` and `width_zoom` (one value per image; above
        1 zooms out), sampled as `interpolation` says (default: the layer's)."""
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
        return ops.image.affine_transform(images, transform,
                                          interpolation or self.interpolation,
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
