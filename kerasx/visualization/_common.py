"""What the drawing and plotting functions share: argument checks and host arrays.

Drawing happens on the host: images, boxes and masks of any backend are copied
to NumPy arrays once, drawn on there, and returned as NumPy arrays, as Keras
returns them.
"""

import numbers

from kerasx.backends import current, host


def host_array(x):
    """A Tensor, Variable, backend array, NumPy array or nested list as a NumPy array."""
    return current().to_numpy(getattr(x, "value", x))


def check_data_format(data_format, caller):
    from kerasx.config import image_data_format

    data_format = image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{caller}: `data_format` must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}.")
    return data_format


def batched_images(images, caller):
    """`images` as a rank-4 NumPy array, or a ValueError saying how to batch them."""
    images = host_array(images)
    if images.ndim != 4:
        raise ValueError(f"{caller}: `images` must be a batched 4D tensor (batch, height, width, "
                         "channels), or (batch, channels, height, width) with "
                         f"data_format='channels_first'. Received: images.shape={images.shape}. "
                         "Add a batch axis to a single image with `image[None]`.")
    return images


def channels_last(images, data_format):
    return images.transpose(0, 2, 3, 1) if data_format == "channels_first" else images


def from_channels_last(images, data_format):
    return images.transpose(0, 3, 1, 2) if data_format == "channels_first" else images


def check_color(color, name, caller):
    """`color` as a tuple of ints in 0..255 (three for RGB, or one per channel)."""
    parts = tuple(color) if isinstance(color, (tuple, list)) else None
    if (not parts or len(parts) not in (1, 3, 4)
            or not all(isinstance(c, numbers.Real) and 0 <= c <= 255 for c in parts)):
        raise ValueError(f"{caller}: `{name}` must be an RGB tuple of three numbers in 0..255, "
                         f"such as (255, 0, 0) for red. Received: {name}={color!r}.")
    return tuple(int(c) for c in parts)


def pixel_for(color, channels, name, caller):
    """The value to write into a pixel of `channels` channels for the colour `color`:
    a grey image takes the first component, an RGBA image the colour opaque."""
    if len(color) == channels:
        return color
    if channels == 1:
        return color[:1]
    if channels == 4 and len(color) == 3:
        return color + (255,)
    raise ValueError(f"{caller}: cannot draw the colour {name}={color} on images with {channels} "
                     "channels. Images have 1 (grey), 3 (RGB) or 4 (RGBA) channels; give one "
                     "colour component per channel.")


def check_value_range(value_range, caller):
    parts = tuple(value_range) if isinstance(value_range, (tuple, list)) else ()
    if (len(parts) != 2 or not all(isinstance(v, numbers.Real) for v in parts)
            or not parts[0] < parts[1]):
        raise ValueError(f"{caller}: `value_range` must be a pair (low, high) with low < high, "
                         "such as (0, 255) or (0, 1). "
                         f"Received: value_range={value_range!r}.")
    return float(parts[0]), float(parts[1])


def to_0_255(images, value_range):
    """Images with values in `value_range` mapped linearly to float32 0..255."""
    low, high = value_range
    images = images.astype("float32")
    if (low, high) != (0.0, 255.0):
        images = (images - low) / (high - low) * 255.0
    return images.clip(0, 255)


def to_uint8(images, value_range):
    """Images with values in `value_range` mapped linearly to uint8 0..255."""
    return to_0_255(images, value_range).astype("uint8")


def stack(images):
    return host.concatenate([image[None] for image in images], axis=0)
