"""`extract_patches` (2D and 3D): every window of the images as one vector of values."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.ops.image._common import as_tensor, data_format_of, floating, is_integral


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """The patches of images (`size` of length 2 or an int) or volumes (length 3).

    Each output position holds its window flattened in (rows, columns[, depth
    first], channels) order, i.e. `patch_height * patch_width * channels`
    values. It is a convolution with an identity kernel, so gradients pass
    back to the images.

    Args:
        images: `(batch, height, width, channels)` or one image (rank 3); for
            3D patches `(batch, depth, height, width, channels)` or rank 4.
        size: patch size: an int (2D) or a tuple of 2 or 3 ints.
        strides: step between patches (default: `size`, no overlap).
        dilation_rate: spacing of the sampled pixels inside a patch.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """
    if isinstance(size, bool) or not (isinstance(size, int) or
                                      isinstance(size, (tuple, list)) and len(size) in (2, 3)):
        raise ValueError("ops.image.extract_patches: size must be an int or a tuple of 2 "
                         f"(2D) or 3 (3D) ints, received size={size!r}.")
    window = (size, size) if isinstance(size, int) else tuple(size)
    return _patches("extract_patches", images, window, strides, dilation_rate, padding,
                    data_format)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """The 3D patches of volumes (`size` an int or a tuple of 3); see
    `extract_patches`."""
    if isinstance(size, bool) or not (isinstance(size, int) or
                                      isinstance(size, (tuple, list)) and len(size) == 3):
        raise ValueError("ops.image.extract_patches_3d: size must be an int or a tuple of 3 "
                         f"ints, received size={size!r}.")
    window = (size,) * 3 if isinstance(size, int) else tuple(size)
    return _patches("extract_patches_3d", volumes, window, strides, dilation_rate, padding,
                    data_format)


def _patches(op, images, window, strides, dilation_rate, padding, data_format):
    images = as_tensor(images)
    n = len(window)
    if len(images.shape) not in (n + 1, n + 2):
        raise ValueError(f"ops.image.{op}: {n}D patches need inputs of rank {n + 1} (one) or "
                         f"{n + 2} (a batch), received shape {tuple(images.shape)}.")
    data_format = data_format_of(data_format)
    unbatched = len(images.shape) == n + 1
    if unbatched:
        images = ops.expand_dims(images, 0)
    channels = images.shape[-1 if data_format == "channels_last" else 1]
    source = value_of(images).dtype
    x = floating(images)
    depth = channels
    for k in window:
        depth *= k
    backend = current()
    xp = backend.xp
    eye = xp.eye(depth, dtype=value_of(x).dtype, device=backend.device)
    kernel = ops.convert_to_tensor(xp.reshape(eye, tuple(window) + (channels, depth)))
    patches = ops.conv(x, kernel, strides=window if strides is None else strides,
                       padding=padding, data_format=data_format, dilation_rate=dilation_rate)
    if is_integral(images):
        patches = ops.cast(patches, source)
    return ops.squeeze(patches, 0) if unbatched else patches
