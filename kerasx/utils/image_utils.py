"""Images as PIL images and as arrays: `load_img`, `img_to_array`, `array_to_img`,
`save_img` and `smart_resize` (Pillow is needed for the first four and imported on use)."""

import io
import os
import pathlib
import warnings

PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """The `PIL.Image` module, or an ImportError that says how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Reading and writing images needs Pillow, which is not installed. "
                          "Install it with `pip install pillow` (or `pip install "
                          "kerasx[image]`).") from None
    return Image


def _data_format(data_format):
    from kerasx.config import image_data_format

    data_format = image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return data_format


def _dtype(dtype):
    from kerasx.backend import standardize_dtype
    from kerasx.config import floatx

    return floatx() if dtype is None else standardize_dtype(dtype)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 image array (`(height, width, channels)`, or channels first) as a PIL image.

    With `scale`, values are shifted and scaled so that they span 0..255;
    without it they are cast to `uint8` as they are. 1, 3 and 4 channels give
    an `"L"` (`"I"` when a value exceeds 255), `"RGB"` and `"RGBA"` image.
    """
    from kerasx.backends.host import to_host

    data_format = _data_format(data_format)
    image = pil_image()
    x = to_host(_host_value(x), dtype=_dtype(dtype))
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). Got array with "
                         f"shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        if x.max() != 0:
            x = x / x.max()
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"))
    if channels == 1:
        if x.max() > 255:
            return image.fromarray(x[:, :, 0].astype("int32"))
        return image.fromarray(x[:, :, 0].astype("uint8"))
    raise ValueError(f"Unsupported channel number: {channels}. An image has 1 (grayscale), "
                     "3 (RGB) or 4 (RGBA) channels.")


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a rank-3 host array (`(height, width, channels)` or channels first),
    of `dtype` (default `floatx()`), values unscaled."""
    from kerasx.backends.host import to_host

    data_format = _data_format(data_format)
    x = to_host(img, dtype=_dtype(dtype))
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[:, :, None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}. Pass a PIL image (or an array "
                         "of rank 2 or 3).")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes the image array `x` to `path` (a path or a file object).

    The format comes from the file name's extension unless `file_format` is
    given (it must be for a file object). An RGBA image saved as JPEG loses its
    alpha channel, with a warning. `kwargs` go to `PIL.Image.save`.
    """
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Reads an image file as a PIL image.

    Args:
        path: a path (str, bytes or `pathlib.Path`) or an `io.BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (grayscale keeps 16- and
            32-bit grayscale images as they are).
        target_size: None (the file's size) or `(height, width)`.
        interpolation: the Pillow filter used to resize: `"nearest"`,
            `"bilinear"`, `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"`.
        keep_aspect_ratio: resize the largest centered crop with the aspect
            ratio of `target_size` instead of distorting the image.
    """
    image = pil_image()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(os.fspath(path), "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    modes = {"grayscale": ("L", ("L", "I;16", "I")), "rgba": ("RGBA", ("RGBA",)),
             "rgb": ("RGB", ("RGB",))}
    if color_mode not in modes:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba"; received '
                         f"{color_mode!r}.")
    mode, kept = modes[color_mode]
    if img.mode not in kept:
        img = img.convert(mode)
    if target_size is None:
        return img
    size = (int(target_size[1]), int(target_size[0]))
    if img.size == size:
        return img
    if interpolation not in PIL_INTERPOLATIONS:
        raise ValueError(f"Invalid interpolation method {interpolation} specified. Supported "
                         f"methods are {', '.join(PIL_INTERPOLATIONS)}")
    resample = getattr(image.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_width = min(width, height * size[0] // size[1])
    crop_height = min(height, width * size[1] // size[0])
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return img.resize(size, resample, box=(left, top, left + crop_width, top + crop_height))


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resizes an image (rank 3) or a batch (rank 4) to `size = (height, width)` without
    distorting it: the largest centered crop with the target aspect ratio is resized.

    A host (NumPy) array gives a host array, a tensor gives a tensor.
    """
    from kerasx import ops
    from kerasx.backends import current, host

    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    if len(getattr(x, "shape", ())) not in (3, 4):
        raise ValueError("Expected an image array with shape `(height, width, channels)`, or "
                         "`(batch_size, height, width, channels)`, but got input with incorrect "
                         f"rank, of shape {getattr(x, 'shape', None)}.")
    on_host = host.is_host_array(x)
    out = ops.image.resize(x, size, interpolation=interpolation, crop_to_aspect_ratio=True,
                           data_format=data_format)
    return current().to_numpy(getattr(out, "value", out)) if on_host else out


def _host_value(x):
    """A tensor, Variable or backend array as a host array; anything else as it is."""
    from kerasx.backends import current

    value = getattr(x, "value", x)
    if hasattr(value, "__array_namespace__"):
        return current().to_numpy(value)
    return x
