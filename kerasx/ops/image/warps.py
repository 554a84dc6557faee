"""`affine_transform` and `perspective_transform`: images warped by sampling each output
pixel at its mapped input position (see `sampling.sample`)."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.backends.base import dtype_name
from kerasx.ops.image._common import (check_choice, data_format_of, float32_for_bfloat16,
                                      floating, images_of, is_integral, saturate_cast)
from kerasx.ops.image.sampling import FILL_MODES, sample

INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Applies affine transforms to images.

    `transform` is `[a0, a1, a2, b0, b1, b2, c0, c1]` (or one such row per
    image): output pixel `(x, y)` takes the input at `x' = a0 x + a1 y + a2`,
    `y' = b0 x + b1 y + b2`. As in Keras, `c0` and `c1` are not a projective
    division: they add `c0 * k` to `y'` and `c1 * k` to `x'` for channel `k`
    (leave them 0).

    Args:
        images: one image (rank 3) or a batch (rank 4).
        transform: shape `(8,)` (every image) or `(batch, 8)`.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"` or
            `"reflect"` (see `map_coordinates`).
        fill_value: the value of `"constant"` filling.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Returns:
        The transformed images, in their dtype; gradients pass to the images.
    """
    check_choice("affine_transform", "interpolation", interpolation, INTERPOLATIONS)
    check_choice("affine_transform", "fill_mode", fill_mode, FILL_MODES)
    images = images_of("affine_transform", images)
    data_format = data_format_of(data_format)
    backend = current()
    xp = backend.xp
    matrix = value_of(ops.convert_to_tensor(transform))
    if len(matrix.shape) not in (1, 2) or matrix.shape[-1] != 8:
        raise ValueError("ops.image.affine_transform: transform must have shape (8,) or "
                         f"(batch, 8), received shape {tuple(matrix.shape)}.")
    x, unbatched = batched_channels_last(float32_for_bfloat16(floating(images)), data_format)
    dtype = value_of(x).dtype
    batch, height, width, channels = x.shape
    matrix = xp.astype(matrix, dtype) if matrix.dtype != dtype else matrix
    matrix = xp.reshape(matrix, (-1, 8))
    if matrix.shape[0] not in (1, batch):
        raise ValueError(f"ops.image.affine_transform: {matrix.shape[0]} transforms for "
                         f"{batch} images; give one transform or one per image.")
    a0, a1, a2, b0, b1, b2, c0, c1 = (xp.reshape(matrix[:, i], (-1, 1, 1, 1))
                                      for i in range(8))
    rows, cols, chans = _grid(xp, backend, height, width, channels, dtype)
    y_in = rows * b1 + cols * b0 + chans * c0 + b2
    x_in = rows * a1 + cols * a0 + chans * c1 + a2
    out = sample_images(x, y_in, x_in, INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return restore(out, images, unbatched, data_format)


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warps images so that the four `start_points` land on the `end_points`.

    Points are `(x, y)` pixel positions, shape `(4, 2)` or `(batch, 4, 2)`.
    Output pixel `(x, y)` takes the input at the homography of `(x, y)` that
    maps each end point to its start point; outside the image, `fill_value`.

    Returns:
        The warped images, in their dtype; gradients pass to the images.
    """
    check_choice("perspective_transform", "interpolation", interpolation, INTERPOLATIONS)
    images = images_of("perspective_transform", images)
    data_format = data_format_of(data_format)
    backend = current()
    xp = backend.xp
    start = value_of(ops.convert_to_tensor(start_points))
    end = value_of(ops.convert_to_tensor(end_points))
    for name, points in (("start_points", start), ("end_points", end)):
        if len(points.shape) not in (2, 3) or tuple(points.shape[-2:]) != (4, 2):
            raise ValueError(f"ops.image.perspective_transform: {name} must have shape (4, 2) "
                             f"or (batch, 4, 2), received shape {tuple(points.shape)}.")
    if tuple(start.shape) != tuple(end.shape):
        raise ValueError("ops.image.perspective_transform: start_points and end_points must "
                         f"have the same shape, received {tuple(start.shape)} and "
                         f"{tuple(end.shape)}.")
    x, unbatched = batched_channels_last(float32_for_bfloat16(floating(images)), data_format)
    dtype = value_of(x).dtype
    batch, height, width, channels = x.shape
    h = homography(xp, backend, start, end)
    if start.dtype == end.dtype and dtype_name(start.dtype) == "bfloat16":
        h = xp.astype(xp.astype(h, start.dtype), h.dtype)  # as Keras, in the points' type
    if h.shape[0] not in (1, batch):
        raise ValueError(f"ops.image.perspective_transform: {h.shape[0]} point sets for "
                         f"{batch} images; give one set or one per image.")
    a0, a1, a2, b0, b1, b2, c0, c1 = (xp.reshape(h[:, i], (-1, 1, 1, 1)) for i in range(8))
    rows, cols, _ = _grid(xp, backend, height, width, channels, h.dtype)
    denominator = c0 * cols + c1 * rows + 1.0
    x_in = xp.astype((a0 * cols + a1 * rows + a2) / denominator, dtype)
    y_in = xp.astype((b0 * cols + b1 * rows + b2) / denominator, dtype)
    out = sample_images(x, y_in, x_in, INTERPOLATIONS[interpolation], "constant", fill_value)
    return restore(out, images, unbatched, data_format)


def homography(xp, backend, start, end):
    """`(batch, 8)`: the homography taking each end point to its start point, solved in
    float32 (as Keras does)."""
    f32 = backend.dtype("float32")
    start = xp.reshape(xp.astype(start, f32), (-1, 4, 2))
    end = xp.reshape(xp.astype(end, f32), (-1, 4, 2))
    zero = xp.zeros(start.shape[:1], dtype=f32, device=backend.device)
    one = xp.ones(start.shape[:1], dtype=f32, device=backend.device)
    rows, targets = [], []
    for k in range(4):
        sx, sy, ex, ey = start[:, k, 0], start[:, k, 1], end[:, k, 0], end[:, k, 1]
        rows.append(xp.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1))
        rows.append(xp.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1))
        targets += [sx, sy]
    system = xp.stack(rows, axis=1)
    target = xp.stack(targets, axis=-1)[..., None]
    try:
        return xp.reshape(xp.linalg.solve(system, target), (-1, 8))
    except Exception:  # a singular system (points on a line, all equal): NaN, as Keras's
        return xp.concat([_solved_or_nan(xp, system[i:i + 1, ...], target[i:i + 1, ...])
                          for i in range(system.shape[0])], axis=0)


def _solved_or_nan(xp, system, target):
    try:
        return xp.reshape(xp.linalg.solve(system, target), (-1, 8))
    except Exception:
        return xp.full((1, 8), float("nan"), dtype=system.dtype, device=system.device)


def _grid(xp, backend, height, width, channels, dtype):
    def axis(n, shape):
        return xp.reshape(xp.arange(n, dtype=dtype, device=backend.device), shape)

    return axis(height, (1, height, 1, 1)), axis(width, (1, 1, width, 1)), \
        axis(channels, (1, 1, 1, channels))


def batched_channels_last(images, data_format):
    unbatched = len(images.shape) == 3
    if unbatched:
        images = ops.expand_dims(images, 0)
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    return images, unbatched


def restore(out, images, unbatched, data_format):
    if data_format == "channels_first":
        out = ops.transpose(out, (0, 3, 1, 2))
    if unbatched:
        out = ops.squeeze(out, 0)
    return saturate_cast(out, value_of(images).dtype) if is_integral(images) else out


def sample_images(images, y_in, x_in, order, fill_mode, fill_value):
    """A batch of channels-last images sampled at rows `y_in`, columns `x_in`
    (broadcastable to the batch's shape); channel `k` reads channel `k`."""
    backend = current()
    xp = backend.xp
    batch, channels = images.shape[0], images.shape[3]
    index = xp.arange(batch, device=backend.device)
    channel = xp.arange(channels, device=backend.device)
    coordinates = [xp.reshape(index, (batch, 1, 1, 1)), y_in, x_in,
                   xp.reshape(channel, (1, 1, 1, channels))]
    return sample(images, coordinates, order, fill_mode, fill_value)
