"""`RandAugment`: applies a few augmentations picked at random during training."""

__all__ = ["RandAugment"]

from kerasx import ops
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

    A dict input `{"images": ..., "labels": ..., "bounding_boxes": ...,
    "segmentation_masks": ...}` gets the same draws: boxes and masks follow
    the shears, translations and rotations in the order they are applied
    (boxes clipped to the image after each; one left empty becomes a point,
    stays one and gets the label -1) and pass the colour operations unchanged;
    labels pass through. (Keras 3 moves the boxes by each picked geometric
    layer from the input boxes, so of several geometric picks only one moves
    them.) With the same seed, the images of a dict are those of a call on
    the images alone.

    Args:
        value_range: `(low, high)`, the range of the images' values.
        num_ops: how many augmentations to apply per call.
        factor: the strength: a float `f` in [0, 1] (each layer's factor
            range becomes `[0, f]`) or a pair.
        interpolation: `"bilinear"` or `"nearest"` (the geometric layers').
        seed: an int for a repeatable sequence of choices and augmentations.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        bounding_box_format: the format of the boxes of a dict input (see
            `keras.utils.bounding_boxes.convert_format`).

    Input: images (a batch or one image), or a dict as above. Output: the
    same structure.
    """

    names = GEOMETRIC + COLOR + TONE

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"RandAugment: num_ops must be a non-negative integer, received "
                             f"num_ops={num_ops!r}.")
        self.num_ops = num_ops
        set_policy_arguments(self, value_range, factor, interpolation, seed, data_format)

    def build(self, input_shape):
        build_policy_layers(self, input_shape)

    def _draw(self, images, count):
        """The picked steps in order (see `draw_step`)."""
        if not self.num_ops:
            return []
        picks = current().to_numpy(current().rng.integers(
            (self.num_ops,), 0, len(self.names), seed=self._seeds.next()))
        return [draw_step(self, self.names[int(pick)], images, count) for pick in picks]

    def _apply(self, images, transformation):
        return apply_steps(self, images, transformation)

    def _apply_to_boxes(self, boxes, transformation, height, width):
        return steps_boxes(self, boxes, transformation, height, width), height, width

    def _apply_to_masks(self, masks, transformation):
        return steps_masks(self, masks, transformation)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed,
                "data_format": self.data_format}


def set_policy_arguments(layer, value_range, factor, interpolation, seed, data_format):
    """Checks and sets the arguments RandAugment and AugMix share, and makes their
    augmentation layers (one per name in `layer.names`) as Keras does, each with a
    seed of its own derived from `seed`."""
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


def build_policy_layers(layer, input_shape):
    """Builds the augmentation layers of RandAugment or AugMix, as their `build` does in
    Keras (so neither is traced to build them)."""
    for attribute in layer.names:
        getattr(layer, attribute).build(input_shape)


def draw_step(layer, name, images, count):
    """`(name, draws)`: one step of a policy applying the augmentation layer
    `layer.<name>` to the batch `images` of `count`, with its draws made now (for
    a layer that changes values alone, the seed of its draws), so that the same
    steps give the same images again and move boxes and masks with them. A step
    that is some other layer draws when it is called (None)."""
    draw = getattr(getattr(layer, name), "_draw", None)
    return name, None if draw is None else draw(images, count)


def apply_steps(layer, images, steps):
    """The batch `images` through the `steps` of `draw_step`, in order."""
    for name, draws in steps:
        step = getattr(layer, name)
        if hasattr(step, "_apply"):
            images = step._apply(images, draws)
        else:
            images = step(images, training=True)
    return images


def steps_boxes(layer, boxes, steps, height, width):
    """Absolute `xyxy` boxes `(batch, N, 4)` of `height` x `width` images moved by
    the geometric `steps`, clipped to the image after each step; a box left empty
    becomes the point `(-1, -1)` so that it stays empty."""
    moves = [(name, draws) for name, draws in steps if name in GEOMETRIC]
    for index, (name, draws) in enumerate(moves):
        boxes, _, _ = getattr(layer, name)._apply_to_boxes(boxes, draws, height,
                                                                    width)
        if index < len(moves) - 1:
            boxes = _clipped_or_emptied(boxes, height, width)
    return boxes


def _clipped_or_emptied(boxes, height, width):
    x1, y1, x2, y2 = ops.split(boxes, 4, axis=-1)
    x1, x2 = ops.clip(x1, 0.0, float(width)), ops.clip(x2, 0.0, float(width))
    y1, y2 = ops.clip(y1, 0.0, float(height)), ops.clip(y2, 0.0, float(height))
    kept = ops.logical_and(ops.greater(x2, x1), ops.greater(y2, y1))
    boxes = ops.concatenate([x1, y1, x2, y2], axis=-1)
    return ops.where(kept, boxes, ops.full_like(boxes, -1.0))


def steps_masks(layer, masks, steps):
    """The batch `masks` moved by the geometric `steps` (nearest sampling), in order;
    the other steps leave masks alone."""
    for name, draws in steps:
        if name in GEOMETRIC:
            masks = getattr(layer, name)._apply_to_masks(masks, draws)
    return masks
