"""Argument checks and plumbing shared by the image augmentation layers."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._translate import FILL_MODES


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def factor_pair(layer, name, factor, low, high):
    """Keras's reading of a `factor`: a number `f` in `[low, high]` gives
    `(max(-|f|, low), |f|)`; a pair gives its sorted values (refused only when it lies
    wholly outside `[low, high]`, as Keras does)."""
    message = (f"{layer}: The `{name}` argument should be a number (or a list of two numbers) "
               f"in the range [{low}, {high}]. Received: {name}={factor!r}.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_number(f) for f in factor):
            raise ValueError(message)
        if factor[0] > high or factor[1] < low:
            raise ValueError(message)
        return tuple(sorted(float(f) for f in factor))
    if not _number(factor) or not low <= factor <= high:
        raise ValueError(message)
    return max(-abs(float(factor)), low), abs(float(factor))


def value_range_of(layer, value_range, keep_order=False):
    """`value_range` as a sorted pair of numbers (in its own order with `keep_order`)."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 or \
            not all(_number(v) for v in value_range):
        raise ValueError(f"{layer}: The `value_range` argument should be a list of two "
                         f"numbers (low, high). Received: value_range={value_range!r}.")
    return list(value_range) if keep_order else sorted(value_range)


def check_choice(layer, name, value, choices):
    if value not in choices:
        raise ValueError(f"{layer}: {name} must be one of {list(choices)}, received "
                         f"{name}={value!r}.")


def set_fill_arguments(layer, fill_mode, interpolation, seed, fill_value, data_format):
    """Checks and sets the arguments the resampling layers (`RandomTranslation`,
    `RandomRotation`, `RandomZoom`, `RandomShear`) share, the layer's stream of seeds
    and its data format."""
    name = type(layer).__name__
    check_choice(name, "fill_mode", fill_mode, FILL_MODES)
    check_choice(name, "interpolation", interpolation, image.INTERPOLATIONS)
    layer.fill_mode = fill_mode
    layer.interpolation = interpolation
    layer.fill_value = fill_value
    layer._set_seed_and_data_format(name, seed, data_format)


def batch_size(images):
    return images.shape[0] if len(images.shape) == 4 else 1


def uniform(seeds, count, low, high):
    """`count` float64 draws from `[low, high)` (a backend array), the next seed of the
    layer's stream."""
    return current().rng.uniform((count,), low, high, dtype="float64", seed=seeds.next())


def per_image(values, images):
    """One value per image (a backend array or a list) shaped to broadcast against
    `images` (rank 4, or one image of rank 3), in their dtype."""
    values = ops.cast(ops.convert_to_tensor(values), value_of(images).dtype)
    return ops.reshape(values, (-1, 1, 1, 1) if len(images.shape) == 4 else (1, 1, 1))


def rescale(images, source, target):
    """Values mapped linearly from the range `source` to `target` (Keras's
    `_transform_value_range`; the identity when the ranges are equal)."""
    if list(source) == list(target):
        return images
    unit = ops.divide(ops.subtract(images, float(source[0])), float(source[1] - source[0]))
    return ops.add(ops.multiply(unit, float(target[1] - target[0])), float(target[0]))
