"""`RandomPerspective`: warps images by random perspective transforms during training."""

__all__ = ["RandomPerspective"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dict_inputs import resampled_masks
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer
from kerasx.ops.image.warps import homography


class RandomPerspective(LabeledImageAugmentationLayer):
    """Warps each image by a random perspective transform in training; identity in
    inference.

    Each image draws a probability from `factor` and is warped when a uniform
    draw falls below it. The corners `(0, 0)`, `(w-1, 0)`, `(0, h-1)`,
    `(w-1, h-1)` move to `p * (1 + d)` with every `d` drawn from
    `[-scale/2, scale/2]` (so, as in Keras, the corner at the origin stays);
    the image is resampled by the homography between them, and the uncovered
    area takes `fill_value`. A direct call counts as training, as in Keras.
    The output has the layer's float dtype; gradients pass to the images.

    Args:
        factor: the probability of warping: a float `f` in [0, 1] (drawn
            from `[0, f]`) or a pair `(min, max)`.
        scale: a float in [0, 1], the size of the corners' displacements.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_value: the value outside the warped image.
        seed: an int for a repeatable sequence of warps.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

        bounding_box_format: the format of the boxes of a dict input.

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ..., "bounding_boxes": ..., "segmentation_masks": ...}`: labels
    pass through, each box becomes the bounding box of its warped corners,
    clipped to the image (a box left empty gets the label -1), and masks are
    warped with nearest sampling. Output: the same structure.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        self.factor = _augment.factor_pair("RandomPerspective", "factor", factor, 0.0, 1.0)
        if not _augment._number(scale) or not 0.0 <= scale <= 1.0:
            raise ValueError(f"RandomPerspective: scale must be a number in [0, 1], received "
                             f"scale={scale!r}.")
        self.scale = scale
        _augment.check_choice("RandomPerspective", "interpolation", interpolation,
                              image.INTERPOLATIONS)
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._set_seed_and_data_format("RandomPerspective", seed, data_format)

    def _draw(self, images, count):
        """`(displacements, apply)`: the corners' displacements `(batch, 4, 2)` and
        whether each image is warped."""
        apply = geometry.applied(self._seeds, count, self.factor)
        half = 0.5 * float(self.scale)
        displacements = current().xp.reshape(
            _augment.uniform(self._seeds, count * 8, -half, half), (count, 4, 2))
        return displacements, apply

    def _apply(self, images, transformation):
        return self.warp(images, *transformation)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        backend = current()
        start, end = self._corners(height, width, boxes.shape[0], transformation[0])
        forward = backend.xp.astype(homography(backend.xp, backend, end, start),
                                    backend.dtype("float32"))
        a0, a1, a2, b0, b1, b2, c0, c1 = (ops.reshape(ops.convert_to_tensor(forward[:, i]),
                                                      (-1, 1, 1)) for i in range(8))
        x1, y1, x2, y2 = ops.split(boxes, 4, axis=-1)
        xs = ops.concatenate([x1, x2, x1, x2], axis=-1)  # the four corners of each box
        ys = ops.concatenate([y1, y2, y2, y1], axis=-1)
        denominator = c0 * xs + c1 * ys + 1.0
        new_x = (a0 * xs + a1 * ys + a2) / denominator
        new_y = (b0 * xs + b1 * ys + b2) / denominator
        warped = ops.stack([ops.min(new_x, axis=-1), ops.min(new_y, axis=-1),
                            ops.max(new_x, axis=-1), ops.max(new_y, axis=-1)], axis=-1)
        apply = ops.reshape(ops.convert_to_tensor(transformation[1]), (-1, 1, 1))
        return ops.where(apply, warped, boxes), height, width

    def _apply_to_masks(self, masks, transformation):
        return resampled_masks(masks, self.dtype,
                               lambda m: self.warp(m, *transformation, "nearest"))

    def _corners(self, height, width, count, displacements):
        """`(start, end)`: the image corners and where they move, `(count, 4, 2)`."""
        backend = current()
        start = backend.asarray([[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0],
                                 [width - 1.0, height - 1.0]], dtype="float64")
        start = backend.xp.broadcast_to(start[None, ...], (count, 4, 2))
        return start, start + start * geometry.as_float64(displacements)

    def warp(self, images, displacements, apply, interpolation=None):
        """The batch `images` warped where the boolean `apply` is True: the corners
        `p` (`(x, y)`, in the order top-left, top-right, bottom-left,
        bottom-right) move to `p * (1 + displacements)` (shape `(batch, 4, 2)`),
        sampled as `interpolation` says (default: the layer's)."""
        height, width = geometry.height_width(images, self.data_format)
        start, end = self._corners(height, width, images.shape[0], displacements)
        warped = ops.image.perspective_transform(images, start, end,
                                                 interpolation or self.interpolation,
                                                 self.fill_value, self.data_format)
        return ops.where(geometry.per_image_flags(apply), warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value,
                "seed": self.seed, "data_format": self.data_format}
