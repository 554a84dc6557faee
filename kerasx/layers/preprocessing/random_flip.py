"""`RandomFlip`: flips images at random during training."""

__all__ = ["RandomFlip"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _image_resize as image
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

    Input shape: `(batch, rows, cols, channels)` or one image `(rows, cols,
    channels)` (channels_last). Output shape: the same.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in _MODES:
            raise ValueError(f"RandomFlip: mode must be one of {list(_MODES)}, received "
                             f"mode={mode!r}.")
        self.mode = mode
        self._set_seed_and_data_format("RandomFlip", seed, data_format)

    def _transform(self, images, count):
        return self.flip(images, self._draw(count))

    def _draw(self, count):
        uniform = current().rng.uniform((count,), dtype=self.dtype, seed=self._seeds.next())
        return uniform <= 0.5

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
