"""`RandomRotation`: rotates images by random angles during training."""

__all__ = ["RandomRotation"]

import math

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dict_inputs import resampled_masks
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer
from kerasx.utils.bounding_boxes.geometry import affine_transform


class RandomRotation(ImageAugmentationLayer):
    """Rotates each image about its center by a random angle in training; identity
    in inference.

    The angle is drawn uniformly from `factor * 360` degrees (positive turns
    counter-clockwise as Keras does). Pixels are sampled bilinearly (or from
    the nearest input); the corners uncovered are filled as `fill_mode` says.
    A direct call counts as training, as in Keras; `predict` and `evaluate`
    do not rotate. The output has the layer's float dtype; gradients pass to
    the images.

    Args:
        factor: a float `f` in [-1, 1] (angles in `[-|f|, |f|] * 360`) or a
            pair `(lower, upper)` of fractions of a full turn.
        fill_mode: `"reflect"` (d c b a | a b c d | d c b a), `"wrap"`,
            `"constant"` (`fill_value`) or `"nearest"`.
        interpolation: `"bilinear"` or `"nearest"`.
        seed: an int for a repeatable sequence of angles.
        fill_value: the value of `"constant"` filling.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input.

    Input shape: `(batch, rows, cols, channels)` or one image (channels_last),
    or a dict of `"images"`, `"labels"`, `"bounding_boxes"` and
    `"segmentation_masks"`: each box becomes the bounding box of its rotated
    corners, clipped to the image (a box left empty gets the label -1); masks
    are rotated with nearest sampling. Output: the same.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        self.factor = _augment.factor_pair("RandomRotation", "factor", factor, -1.0, 1.0)
        _augment.set_fill_arguments(self, fill_mode, interpolation, seed, fill_value, data_format)

    def _draw(self, images, count):
        """The angles in degrees, one per image (a float64 backend array)."""
        lower, upper = self.factor
        return _augment.uniform(self._seeds, count, lower * 360.0, upper * 360.0)

    def _apply(self, images, transformation):
        return self.rotate(images, transformation)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        angles = ops.cast(ops.convert_to_tensor(transformation), "float32")
        zeros, ones = ops.zeros_like(angles), ops.ones_like(angles)
        boxes = affine_transform(boxes, angles, zeros, zeros, ones, zeros, zeros, height, width)
        return boxes, height, width

    def _apply_to_masks(self, masks, transformation):
        return resampled_masks(masks, self.dtype,
                               lambda m: self.rotate(m, transformation, "nearest"))

    def rotate(self, images, angles, interpolation=None):
        """`images` rotated by `angles` (degrees, one per image), sampled as
        `interpolation` says (default: the layer's)."""
        backend = current()
        xp = backend.xp
        angles = xp.astype(backend.asarray(angles), backend.dtype("float64"))
        axes = image.spatial_axes(len(images.shape), self.data_format)
        height, width = images.shape[axes[0]], images.shape[axes[1]]
        radians = angles * (math.pi / 180.0)
        cos, sin = xp.cos(radians), xp.sin(radians)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        zero = xp.zeros_like(cos)
        transform = xp.stack([cos, -sin, cx - cx * cos + cy * sin,
                              sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=-1)
        if len(images.shape) == 3:
            transform = transform[0, ...]
        return ops.image.affine_transform(images, transform,
                                          interpolation or self.interpolation,
                                          self.fill_mode, self.fill_value, self.data_format)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "data_format": self.data_format,
                "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "interpolation": self.interpolation, "seed": self.seed}
