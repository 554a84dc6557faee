"""`RandomPerspective`: warps images by random perspective transforms during training."""

__all__ = ["RandomPerspective"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer


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

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ...}` (labels pass through). Output: the same structure.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
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

    def _transform(self, images, count):
        apply = geometry.applied(self._seeds, count, self.factor)
        half = 0.5 * float(self.scale)
        displacements = current().xp.reshape(
            _augment.uniform(self._seeds, count * 8, -half, half), (count, 4, 2))
        return self.warp(images, displacements, apply)

    def warp(self, images, displacements, apply):
        """The batch `images` warped where the boolean `apply` is True: the corners
        `p` (`(x, y)`, in the order top-left, top-right, bottom-left,
        bottom-right) move to `p * (1 + displacements)` (shape `(batch, 4, 2)`)."""
        backend = current()
        xp = backend.xp
        height, width = geometry.height_width(images, self.data_format)
        start = backend.asarray([[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0],
                                 [width - 1.0, height - 1.0]], dtype="float64")
        start = xp.broadcast_to(start[None, ...], (images.shape[0], 4, 2))
        end = start + start * geometry.as_float64(displacements)
        warped = ops.image.perspective_transform(images, start, end, self.interpolation,
                                                 self.fill_value, self.data_format)
        return ops.where(geometry.per_image_flags(apply), warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value,
                "seed": self.seed, "data_format": self.data_format}
