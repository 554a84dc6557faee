"""`resize` and `scale_and_translate`: resampling by one matrix product per spatial axis
(so gradients reach the images), with the kernels of `jax.image`."""

import math

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.ops.image._common import (as_tensor, check_choice, data_format_of, floating,
                                      images_of, is_integral, saturate_cast, spatial_axes)

INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
METHODS = {"linear": "triangle", "bilinear": "triangle", "trilinear": "triangle",
           "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
           "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to `size = (height, width)`.

    Sampling uses half-pixel centers: `"bilinear"` (triangle kernel), `"bicubic"`
    (Keys cubic, a = -0.5), `"lanczos3"`, `"lanczos5"`, each normalized over the
    inputs it reaches, or `"nearest"` (input pixel `floor((i + 0.5) * in / out)`).
    With `antialias`, downsampling widens the kernel by the scale factor.

    Args:
        images: one image (rank 3) or a batch (rank 4).
        size: `(height, width)` of the output.
        interpolation: one of `"bilinear"`, `"nearest"`, `"bicubic"`,
            `"lanczos3"`, `"lanczos5"`.
        antialias: filter when downsampling.
        crop_to_aspect_ratio: first crop the largest centered window with the
            target aspect ratio.
        pad_to_aspect_ratio: first pad evenly on the short side with
            `fill_value` to the target aspect ratio.
        fill_mode: only `"constant"`.
        fill_value: the value of the padding.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Returns:
        The resized images, in their own dtype (integer images are rounded and
        clipped to the dtype's range).
    """
    from kerasx.layers.preprocessing import _image_resize as shared

    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError("ops.image.resize: size must be a tuple of two integers (height, "
                         f"width), received size={size!r}.")
    shared.check_size("ops.image.resize", *(int(s) if _is_int(s) else s for s in size))
    check_choice("resize", "interpolation", interpolation, INTERPOLATIONS)
    if fill_mode != "constant":
        raise ValueError("ops.image.resize: only fill_mode='constant' is supported, received "
                         f"fill_mode={fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("ops.image.resize: crop_to_aspect_ratio and pad_to_aspect_ratio "
                         "cannot both be True; choose one.")
    images = images_of("resize", images)
    data_format = data_format_of(data_format)
    height, width = (int(s) for s in size)
    axes = spatial_axes(len(images.shape), data_format)
    source = value_of(images).dtype
    integral = is_integral(images) and interpolation != "nearest"
    x = floating(images) if integral else images
    if crop_to_aspect_ratio:
        box = shared.crop_box(x.shape[axes[0]], x.shape[axes[1]], height, width)
        x = shared.crop(x, axes, *box)
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect_ratio(x, axes, height, width, fill_value)
    for axis, n in zip(axes, (height, width)):
        if x.shape[axis] == n:
            continue
        if interpolation == "nearest":
            x = shared._nearest(x, axis, n)
        else:
            x = resample(x, axis, n, n / x.shape[axis], 0.0, METHODS[interpolation], antialias)
    return saturate_cast(x, source) if integral else x


def _is_int(value):
    return not isinstance(value, bool) and hasattr(value, "__index__")


def _pad_to_aspect_ratio(images, axes, height, width, fill_value):
    rows, cols = images.shape[axes[0]], images.shape[axes[1]]
    top = (max(rows, int(cols * height / width)) - rows) // 2
    left = (max(cols, int(rows * width / height)) - cols) // 2
    if not top and not left:
        return images
    pads = [(0, 0)] * len(images.shape)
    pads[axes[0]], pads[axes[1]] = (top, top), (left, left)
    return ops.pad(images, pads, constant_values=fill_value)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resamples `images` so that input location `x` lands at `x * scale + translation`
    along each axis of `spatial_dims` (half-pixel centers; the inverse map gives the
    sample positions; output pixels that fall outside the input are 0).

    Args:
        images: an array of any rank.
        output_shape: the output shape, one entry per axis of `images` (axes
            outside `spatial_dims` keep their size).
        scale, translation: one number per axis of `spatial_dims`.
        spatial_dims: the axes to resample.
        method: `"linear"`/`"bilinear"`/`"trilinear"`, `"cubic"`/`"bicubic"`/
            `"tricubic"`, `"lanczos3"` or `"lanczos5"`.
        antialias: widen the kernel by `1 / scale` when downsampling.

    Returns:
        A float array of `output_shape` (integer images give `floatx()`).
    """
    check_choice("scale_and_translate", "method", method, METHODS)
    images = floating(as_tensor(images))
    rank = len(images.shape)
    output_shape = tuple(int(s) for s in output_shape)
    spatial_dims = tuple(int(d) % rank for d in spatial_dims)
    scale, translation = _numbers(scale), _numbers(translation)
    if _probing():  # zeros standing for a symbolic scale: any nonzero scale gives the shape
        scale = [s or 1.0 for s in scale]
    if len(output_shape) != rank:
        raise ValueError(f"ops.image.scale_and_translate: output_shape {output_shape} must "
                         f"have one entry per axis of the images (rank {rank}).")
    if not len(scale) == len(translation) == len(spatial_dims):
        raise ValueError("ops.image.scale_and_translate: scale, translation and "
                         f"spatial_dims must have the same length, received {len(scale)}, "
                         f"{len(translation)} and {len(spatial_dims)}.")
    for axis in range(rank):
        if axis not in spatial_dims and output_shape[axis] != images.shape[axis]:
            raise ValueError(f"ops.image.scale_and_translate: axis {axis} is not in "
                             f"spatial_dims, so output_shape[{axis}] must be "
                             f"{images.shape[axis]}, received {output_shape[axis]}.")
    for axis, s, t in zip(spatial_dims, scale, translation):
        images = resample(images, axis, output_shape[axis], s, t, METHODS[method], antialias)
    return images


def _probing():
    from kerasx.layers.core._shape_probes import PROBING

    return PROBING[0] > 0


def _numbers(values):
    value = value_of(values)
    if hasattr(value, "shape"):
        return [float(value[i]) for i in range(value.shape[0])]
    return [float(v) for v in values]


def resample(images, axis, size, scale, translation, kernel, antialias):
    """`images` resampled along `axis` to `size` entries (a Tensor op with gradients)."""
    dtype = value_of(images).dtype
    matrix = weight_matrix(images.shape[axis], size, scale, translation, kernel, antialias,
                           dtype)
    weights = ops.convert_to_tensor(matrix)
    moved = ops.moveaxis(images, axis, -1)
    return ops.moveaxis(ops.matmul(moved, weights), -1, axis)


def weight_matrix(source, size, scale, translation, kernel, antialias, dtype):
    """The `(source, size)` matrix whose column `j` weighs the inputs of output `j`;
    columns whose sample falls outside the input are 0.

    It is computed in the images' float `dtype`, as `jax.image` does: whether a sample
    on the very edge of the input counts as inside depends on that rounding.
    """
    backend = current()
    xp = backend.xp
    inverse = 1.0 / scale
    width = max(inverse, 1.0) if antialias else 1.0
    sample = ((xp.arange(size, dtype=dtype, device=backend.device) + 0.5) * inverse
              - translation * inverse - 0.5)
    grid = xp.arange(source, dtype=dtype, device=backend.device)
    weights = _KERNELS[kernel](xp, xp.abs(sample[None, :] - grid[:, None]) / width)
    total = xp.sum(weights, axis=0, keepdims=True)
    tiny = 1000.0 * 1.1920929e-07  # float32 machine epsilon, the cut-off of jax.image
    weights = xp.where(xp.abs(total) > tiny, weights / xp.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= source - 0.5)
    return xp.where(inside[None, :], weights, 0.0)


def _triangle(xp, x):
    return xp.maximum(1.0 - x, 0.0)


def _keys_cubic(xp, x):
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return xp.where(x >= 2.0, 0.0, xp.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(xp, x):
        y = radius * xp.sin(math.pi * x) * xp.sin(math.pi * x / radius)
        safe = xp.where(x != 0, math.pi ** 2 * x * x, 1.0)
        return xp.where(x > radius, 0.0, xp.where(x > 1e-3, y / safe, 1.0))

    return kernel


_KERNELS = {"triangle": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}
