"""Resizing images by bilinear or nearest-neighbour sampling, built from differentiable
ops (the bilinear weights are a matrix product per spatial axis)."""

from kerasx import ops
from kerasx.backends import current

INTERPOLATIONS = ("bilinear", "nearest")


def spatial_axes(rank, data_format):
    """The (height, width) axes of a rank-3 or rank-4 image tensor."""
    return (rank - 3, rank - 2) if data_format == "channels_last" else (rank - 2, rank - 1)


def crop_box(height, width, target_height, target_width):
    """`(top, left, crop_height, crop_width)`: the largest centered window with the
    target's aspect ratio."""
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def crop(images, axes, top, left, height, width):
    index = [slice(None)] * len(images.shape)
    index[axes[0]] = slice(top, top + height)
    index[axes[1]] = slice(left, left + width)
    return images[tuple(index)]


def resize(images, height, width, interpolation, data_format, crop_to_aspect_ratio=False):
    """`images` (float, rank 3 or 4) resampled to `height` x `width`."""
    axes = spatial_axes(len(images.shape), data_format)
    if crop_to_aspect_ratio:
        box = crop_box(images.shape[axes[0]], images.shape[axes[1]], height, width)
        images = crop(images, axes, *box)
    for axis, size in zip(axes, (height, width)):
        if images.shape[axis] != size:
            sample = _nearest if interpolation == "nearest" else _bilinear
            images = sample(images, axis, size)
    return images


def _nearest(images, axis, size):
    backend = current()
    xp = backend.xp
    source = images.shape[axis]
    # single precision positions, as Keras computes them, so ties round the same way
    positions = (xp.arange(size, dtype=xp.float32, device=backend.device) + 0.5) \
        * (source / size)
    index = xp.astype(xp.floor(positions), xp.int32)
    return ops.take(images, ops.convert_to_tensor(index), axis=axis)


def _bilinear(images, axis, size):
    """Resamples one axis with the triangle kernel at half-pixel centers; each output
    is the normalized weighted sum of its (at most two) nearest inputs."""
    weights = ops.cast(ops.convert_to_tensor(_triangle_weights(images.shape[axis], size)),
                       images.dtype)
    moved = ops.moveaxis(images, axis, -1)
    return ops.moveaxis(ops.matmul(moved, weights), -1, axis)


def _triangle_weights(source, size):
    """The `(source, size)` float64 matrix of interpolation weights."""
    backend = current()
    xp = backend.xp
    f64 = backend.dtype("float64")
    sample = (xp.arange(size, dtype=f64, device=backend.device) + 0.5) * (source / size) - 0.5
    grid = xp.arange(source, dtype=f64, device=backend.device)
    weights = xp.maximum(1.0 - xp.abs(sample[None, :] - grid[:, None]), 0.0)
    total = xp.sum(weights, axis=0, keepdims=True)
    tiny = 1000.0 * 1.1920929e-07  # float32 machine epsilon, Keras's cut-off
    weights = xp.where(xp.abs(total) > tiny, weights / xp.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= source - 0.5)
    return xp.where(inside[None, :], weights, 0.0)


def check_images(layer, shape):
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r} expects images of rank 3 (one "
            f"image) or 4 (a batch), received input of shape {tuple(shape)}. Expected the "
            "input image to be rank 3 or 4.")


def check_size(caller, height, width):
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{caller}: {name} must be a positive integer, received "
                             f"{name}={value!r}.")



def data_format_of(caller, data_format):
    """`data_format`, or `image_data_format()` when None, checked."""
    from kerasx.config import image_data_format

    data_format = image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{caller}: data_format must be 'channels_last' or 'channels_first', "
                         f"received data_format={data_format!r}.")
    return data_format
