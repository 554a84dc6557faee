"""`RandAugment`: applies a few augmentations picked at random during training."""

__all__ = ["RandAugment"]

from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer

GEOMETRIC = ["random_shear", "random_translation", "random_rotation"]
COLOR = ["random_brightness", "random_color_degeneration", "random_contrast",
         "random_sharpness"]
TONE = ["random_posterization", "solarization", "auto_contrast", "equalization"]


class RandAugment(LabeledImageAugmentationLayer):
    """RandAugment in training: `num_ops` augmentations, each picked uniformly from
    shear, translation, rotation, brightness, colour degeneration, contrast,
    sharpness, posterization, solarization, auto-contrast and equalization,
    are applied one after the other to the whole batch. Identity in inference.

    The picked layers (attributes `random_shear`, `random_translation`, ...)
    are built as Keras builds them from `factor`, `value_range` and
    `interpolation`. A direct call counts as training, as in Keras. The output
    has the layer's float dtype.

    Args:
        value_range: `(low, high)`, the range of the images' values.
        num_ops: how many augmentations to apply per call.
        factor: the strength: a float `f` in [0, 1] (each layer's factor
            range becomes `[0, f]`) or a pair.
        interpolation: `"bilinear"` or `"nearest"` (the geometric layers').
        seed: an int for a repeatable sequence of choices and augmentations.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ...}` (labels pass through). Output: the same structure.
    """

    names = GEOMETRIC + COLOR + TONE

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"RandAugment: num_ops must be a non-negative integer, received "
                             f"num_ops={num_ops!r}.")
        self.num_ops = num_ops
        set_policy_arguments(self, value_range, factor, interpolation, seed, data_format)

    def _transform(self, images, count):
        if not self.num_ops:
            return images
        picks = current().to_numpy(current().rng.integers(
            (self.num_ops,), 0, len(self.names), seed=self._seeds.next()))
        for pick in picks:
            images = getattr(self, self.names[int(pick)])(images, training=True)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed,
                "data_format": self.data_format}


def set_policy_arguments(layer, value_range, factor, interpolation, seed, data_format):
    """Checks and sets the arguments RandAugment and AugMix share, marks the layer
    built, and builds their augmentation layers (one per name in `layer.names`) as
    Keras does, each with a seed of its own derived from `seed`."""
    from kerasx import layers

    name = type(layer).__name__
    layer.value_range = _augment.value_range_of(name, value_range)
    layer.factor = _augment.factor_pair(name, "factor", factor, 0.0, 1.0)
    _augment.check_choice(name, "interpolation", interpolation, image.INTERPOLATIONS)
    layer.interpolation = interpolation
    layer._set_seed_and_data_format(name, seed, data_format)
    common = {"data_format": layer.data_format, "dtype": layer.dtype}
    color = {**common, "factor": layer.factor, "value_range": layer.value_range}
    resample = {**common, "interpolation": interpolation}
    builders = {
        "random_shear": lambda s: layers.RandomShear(layer.factor, layer.factor, seed=s,
                                                     **resample),
        "random_translation": lambda s: layers.RandomTranslation(layer.factor, layer.factor,
                                                                 seed=s, **resample),
        "random_rotation": lambda s: layers.RandomRotation(layer.factor, seed=s, **resample),
        "random_brightness": lambda s: layers.RandomBrightness(seed=s, **color),
        "random_color_degeneration": lambda s: layers.RandomColorDegeneration(seed=s, **color),
        "random_contrast": lambda s: layers.RandomContrast(seed=s, **color),
        "random_sharpness": lambda s: layers.RandomSharpness(seed=s, **color),
        "random_posterization": lambda s: layers.RandomPosterization(
            max(1, int(8 * layer.factor[1])), value_range=layer.value_range, seed=s, **common),
        "solarization": lambda s: layers.Solarization(layer.factor, layer.factor,
                                                      value_range=layer.value_range, seed=s,
                                                      **common),
        "auto_contrast": lambda s: layers.AutoContrast(value_range=layer.value_range, **common),
        "equalization": lambda s: layers.Equalization(value_range=layer.value_range, **common),
    }
    for index, attribute in enumerate(layer.names):
        own_seed = None if seed is None else int(seed) * 16 + index + 1
        setattr(layer, attribute, builders[attribute](own_seed))
