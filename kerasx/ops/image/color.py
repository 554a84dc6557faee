"""Colour-space conversions: `rgb_to_grayscale`, `rgb_to_hsv`, `hsv_to_rgb`."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.ops.image._common import channel_axis, data_format_of, images_of, is_integral

# ITU-R 601 luma weights, as `tf.image.rgb_to_grayscale` and Keras use
_LUMA = (0.2989, 0.5870, 0.1140)


def rgb_to_grayscale(images, data_format=None):
    """The luma `0.2989 R + 0.5870 G + 0.1140 B` of RGB images, as one channel.

    Args:
        images: one image (rank 3) or a batch (rank 4) with 3 channels (or 1:
            returned as it is).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Returns:
        The images with one channel, in their own dtype (integer images are
        truncated, as Keras does).
    """
    images = images_of("rgb_to_grayscale", images)
    axis = channel_axis(len(images.shape), data_format_of(data_format))
    channels = images.shape[axis]
    if channels not in (1, 3):
        raise ValueError("ops.image.rgb_to_grayscale: Invalid channel size: expected 3 (RGB) "
                         f"or 1 (Grayscale). Received input with shape: images.shape="
                         f"{tuple(images.shape)} (channels on axis {axis}); check data_format.")
    if channels == 1:
        return images
    source = value_of(images).dtype
    floats = ops.cast(images, "float32") if is_integral(images) else images
    shape = [1] * len(images.shape)
    shape[axis] = 3
    weights = ops.reshape(ops.cast(ops.convert_to_tensor(list(_LUMA)), value_of(floats).dtype),
                          tuple(shape))
    gray = ops.sum(ops.multiply(floats, weights), axis=axis, keepdims=True)
    return ops.cast(gray, source)


def _planes(op, images, data_format):
    images = images_of(op, images)
    dtype = value_of(images).dtype
    if not current().isdtype(dtype, "real floating"):
        raise ValueError(f"ops.image.{op}: Invalid images dtype: expected float dtype. "
                         f"Received: images.dtype={dtype}. Cast them first, e.g. "
                         "ops.cast(images, 'float32') / 255.")
    axis = channel_axis(len(images.shape), data_format_of(data_format))
    if images.shape[axis] != 3:
        raise ValueError(f"ops.image.{op}: Input images must have 3 channels, but received "
                         f"images with {images.shape[axis]} channels. (Axis {axis} of shape "
                         f"{tuple(images.shape)}; check data_format.)")
    planes = []
    for c in range(3):
        key = [slice(None)] * len(images.shape)
        key[axis] = c
        planes.append(images[tuple(key)])
    return images, axis, planes


def rgb_to_hsv(images, data_format=None):
    """RGB images (floats in [0, 1]) as hue, saturation and value, each in [0, 1].

    Hue is 0 where the pixel is grey; values below the dtype's epsilon count as 0.
    """
    images, axis, (r, g, b) = _planes("rgb_to_hsv", images, data_format)
    eps = float(current().finfo(value_of(images).dtype).eps)
    r, g, b = [ops.where(ops.less(ops.abs(p), eps), 0.0, p) for p in (r, g, b)]
    value = ops.maximum(ops.maximum(r, g), b)
    spread = ops.subtract(value, ops.minimum(ops.minimum(r, g), b))
    safe_value = ops.where(ops.greater(value, 0.0), value, 1.0)
    safe_spread = ops.where(ops.greater(spread, 0.0), spread, 1.0)
    saturation = ops.where(ops.greater(value, 0.0), ops.divide(spread, safe_value), 0.0)
    norm = ops.divide(1.0, ops.multiply(safe_spread, 6.0))
    hue = ops.where(ops.equal(value, g), ops.add(ops.multiply(norm, b - r), 2.0 / 6.0),
                    ops.add(ops.multiply(norm, r - g), 4.0 / 6.0))
    hue = ops.where(ops.equal(value, r), ops.multiply(norm, g - b), hue)
    wrapped = ops.cast(ops.less(hue, 0.0), value_of(hue).dtype)
    hue = ops.add(ops.where(ops.greater(spread, 0.0), hue, 0.0), wrapped)
    return ops.stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """HSV images (hue, saturation, value; floats) as RGB; hue wraps around 1."""
    images, axis, (hue, saturation, value) = _planes("hsv_to_rgb", images, data_format)
    # hue - floor(hue) rather than mod: the same values, and a gradient of 1 for hue
    sector = ops.multiply(ops.subtract(hue, ops.floor(hue)), 6.0)
    red = ops.clip(ops.subtract(ops.abs(ops.subtract(sector, 3.0)), 1.0), 0.0, 1.0)
    green = ops.clip(ops.subtract(2.0, ops.abs(ops.subtract(sector, 2.0))), 0.0, 1.0)
    blue = ops.clip(ops.subtract(2.0, ops.abs(ops.subtract(sector, 4.0))), 0.0, 1.0)
    grey = ops.subtract(1.0, saturation)
    planes = [ops.multiply(value, ops.add(grey, ops.multiply(saturation, p)))
              for p in (red, green, blue)]
    return ops.stack(planes, axis=axis)
