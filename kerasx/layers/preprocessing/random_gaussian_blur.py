"""`RandomGaussianBlur`: blurs images with a random Gaussian kernel during training."""

__all__ = ["RandomGaussianBlur"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class RandomGaussianBlur(ImageAugmentationLayer):
    """Blurs some images with a Gaussian kernel in training; identity in inference.

    As in Keras 3.15.1, each image draws a probability uniformly from
    `factor` and a threshold from [0, 1), and is blurred when the threshold is
    below the probability (so the default `factor=1.0` blurs half of the
    images on average); one pair of standard deviations, drawn uniformly from
    `sigma` (plus 1e-6), serves the whole batch. The blur is
    `ops.image.gaussian_blur` with `kernel_size` (zero padding at the
    borders), and the result is clipped to `value_range`. A direct call
    counts as training; `predict` and `evaluate` leave images alone. The
    output has the layer's float dtype.

    Args:
        factor: a number `f` in [0, 1] (read as `(0, f)`) or a pair.
        kernel_size: an odd kernel size, or a pair of them (across the width,
            then down the height, as `ops.image.gaussian_blur` reads them).
        sigma: a number `s` in [0, 1] (read as `(0, s)`) or a pair: the range
            of the standard deviations.
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of draws.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        name = "RandomGaussianBlur"
        self.factor = _color.unit_pair(name, "factor", factor)
        self.kernel_size = _odd_pair(kernel_size)
        self.sigma = _color.unit_pair(name, "sigma", sigma)
        self.value_range = _augment.value_range_of(name, value_range, keep_order=True)
        self._set_seed_and_data_format(name, seed, data_format)

    def _transform(self, images, count):
        probability = _augment.uniform(self._seeds, count, *self.factor)
        threshold = _augment.uniform(self._seeds, count, 0.0, 1.0)
        sigmas = current().to_numpy(_augment.uniform(self._seeds, 2, *self.sigma))
        return self.blur(images, threshold < probability, [float(s) + 1e-6 for s in sigmas])

    def blur(self, images, apply, sigma):
        """`images` with those whose entry of the boolean `apply` is True blurred with
        the standard deviations `sigma` (a pair, as `ops.image.gaussian_blur` takes)."""
        blurred = ops.image.gaussian_blur(images, kernel_size=self.kernel_size,
                                          sigma=tuple(sigma), data_format=self.data_format)
        return _color.clip_to(_color.choose(apply, blurred, images), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": self.value_range, "seed": self.seed,
                "data_format": self.data_format}


def _odd_pair(kernel_size):
    sizes = list(kernel_size) if isinstance(kernel_size, (tuple, list)) else \
        [kernel_size, kernel_size]
    if len(sizes) != 2 or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0
                                  and k % 2 == 1 for k in sizes):
        raise ValueError("RandomGaussianBlur: kernel_size must be a positive odd integer or a "
                         f"pair of them, received kernel_size={kernel_size!r}.")
    return tuple(sizes)
