"""`RandomGrayscale`: turns images grey with a given probability during training."""

__all__ = ["RandomGrayscale"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomGrayscale(ImageAugmentationLayer):
    """Replaces each image by its luma (`ops.image.rgb_to_grayscale`, repeated over
    the channels) with probability `factor` in training; identity in inference.

    A direct call counts as training; `predict` and `evaluate` leave images
    alone. The output keeps the input's shape and has the layer's float dtype.

    Args:
        factor: the probability, in [0, 1] (default 0.5).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of draws.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not _augment._number(factor) or not 0.0 <= factor <= 1.0:
            raise ValueError(f"RandomGrayscale: factor must be a probability in [0, 1], "
                             f"received factor={factor!r}.")
        self.factor = factor
        self._set_seed_and_data_format("RandomGrayscale", seed, data_format)

    def _transform(self, images, count):
        draws = _augment.uniform(self._seeds, count, 0.0, 1.0)
        return self.grayscale(images, draws < self.factor)

    def grayscale(self, images, apply):
        """`images` with those whose entry of the boolean `apply` is True turned grey."""
        shape = (-1, 1, 1, 1) if len(images.shape) == 4 else (1, 1, 1)
        where = ops.reshape(ops.convert_to_tensor(current().asarray(apply)), shape)
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(where, ops.broadcast_to(gray, tuple(images.shape)), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "data_format": self.data_format}
