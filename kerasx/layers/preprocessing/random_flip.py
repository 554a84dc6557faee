"""`RandomFlip`: flips images at random during training."""

__all__ = ["RandomFlip"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(ImageAugmentationLayer):
    """Flips each image with probability 1/2 in training; identity in inference.

    As in Keras, one draw per image decides: with `"horizontal_and_vertical"`
    an image is either left alone or flipped both ways. A direct call
    (`layer(images)`) counts as training, as in Keras; `predict` and
    `evaluate` do not flip. The output has the layer's float dtype.

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (up-down) or
            `"horizontal_and_vertical"`.
        seed: an int for a repeatable sequence of flips.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input (see
            `keras.utils.bounding_boxes.convert_format`).

    Input shape: `(batch, rows, cols, channels)` or one image `(rows, cols,
    channels)` (channels_last), or a dict `{"images": ..., "labels": ...,
    "bounding_boxes": {"boxes": ..., "labels": ...}, "segmentation_masks":
    ...}` whose boxes and masks are flipped with their images. Output: the
    same.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None,
                 bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"RandomFlip: mode must be one of {list(_MODES)}, received "
                             f"mode={mode!r}.")
        self.mode = mode
        self._set_seed_and_data_format("RandomFlip", seed, data_format)

    def _draw(self, images, count):
        """One boolean per image: flip it."""
        uniform = current().rng.uniform((count,), dtype=self.dtype, seed=self._seeds.next())
        return uniform <= 0.5

    def _apply(self, images, transformation):
        return self.flip(images, transformation)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        flips = ops.reshape(ops.convert_to_tensor(transformation), (-1, 1, 1))
        x1, y1, x2, y2 = ops.split(boxes, 4, axis=-1)
        if self.mode != "vertical":
            x1, x2 = ops.where(flips, width - x2, x1), ops.where(flips, width - x1, x2)
        if self.mode != "horizontal":
            y1, y2 = ops.where(flips, height - y2, y1), ops.where(flips, height - y1, y2)
        return ops.concatenate([x1, y1, x2, y2], axis=-1), height, width

    def _apply_to_masks(self, masks, transformation):
        return self.flip(as_dtype(masks, self.dtype), transformation)

    def flip(self, images, flips):
        """`images` with those whose entry of the boolean `flips` (one per image) is
        True flipped as `mode` says."""
        axes = image.spatial_axes(len(images.shape), self.data_format)
        shape = (-1,) + (1,) * 3 if len(images.shape) == 4 else (1, 1, 1)
        where = ops.reshape(ops.convert_to_tensor(flips), shape)
        if self.mode != "vertical":
            images = ops.where(where, ops.flip(images, axis=axes[1]), images)
        if self.mode != "horizontal":
            images = ops.where(where, ops.flip(images, axis=axes[0]), images)
        return images

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "seed": self.seed,
                "mode": self.mode}
