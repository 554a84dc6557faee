"""`RandomColorJitter`: random brightness, contrast, saturation and hue changes in
one layer."""

__all__ = ["RandomColorJitter"]

from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer
from kerasx.layers.preprocessing.random_brightness import RandomBrightness
from kerasx.layers.preprocessing.random_contrast import RandomContrast
from kerasx.layers.preprocessing.random_hue import RandomHue
from kerasx.layers.preprocessing.random_saturation import RandomSaturation

# (argument, class, the attribute holding the step: Keras's name, so weight files match)
_STEPS = (("brightness_factor", RandomBrightness, "random_brightness"),
          ("contrast_factor", RandomContrast, "random_contrast"),
          ("saturation_factor", RandomSaturation, "random_saturation"),
          ("hue_factor", RandomHue, "random_hue"))


class RandomColorJitter(ImageAugmentationLayer):
    """Applies `RandomBrightness`, `RandomContrast`, `RandomSaturation` and
    `RandomHue`, in that order, in training; identity in inference.

    Each step runs only when its factor is given, with the layer's
    `value_range` and `data_format`; its factor reads as that layer's does.
    The steps draw from the layer's one stream of seeds, so a seeded layer
    repeats its sequence of draws. A direct call counts as training;
    `predict` and `evaluate` leave images alone. The output has the layer's
    float dtype.

    Args:
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the
            `factor` of each step, or None (default) to skip it.
        seed: an int for a repeatable sequence of draws.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        _augment.value_range_of("RandomColorJitter", value_range)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._set_seed_and_data_format("RandomColorJitter", seed, data_format)
        for argument, cls, attribute in _STEPS:
            factor = getattr(self, argument)
            if factor is None:
                continue
            try:
                step = cls(factor, value_range=value_range, seed=seed,
                           data_format=self.data_format, dtype=self.dtype)
            except ValueError as error:
                raise ValueError(f"RandomColorJitter: {argument}={factor!r} was refused by "
                                 f"{cls.__name__}: {error}") from None
            step._seeds = self._seeds  # one stream: the steps' draws differ
            setattr(self, attribute, step)

    def build(self, input_shape):
        """Builds the colour layers, as Keras's (so the layer is not traced to build them)."""
        for _, _, attribute in _STEPS:
            step = getattr(self, attribute, None)
            if step is not None:
                step.build(input_shape)

    def _transform(self, images, count):
        for _, _, attribute in _STEPS:
            step = getattr(self, attribute, None)
            if step is not None:
                images = step(images, training=True)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor,
                "seed": self.seed, "data_format": self.data_format}
