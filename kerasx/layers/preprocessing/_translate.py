"""Shifting images by per-image, fractional pixel offsets, with the fill modes of
`scipy.ndimage.map_coordinates` outside the image (built from differentiable ops)."""

from kerasx import ops
from kerasx.backends import current

FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def translate(images, dy, dx, interpolation, fill_mode, fill_value, axes):
    """`images` (batch first) with output pixel `(y, x)` sampled at input `(y - dy, x - dx)`.

    `dy`, `dx` are float64 backend arrays of shape `(batch,)`; `axes` are the
    (height, width) axes. Each axis is resampled by a per-image matrix product.
    """
    for axis, shift in zip(axes, (dy, dx)):
        images = _shift_axis(images, axis, shift, interpolation, fill_mode, fill_value)
    return images


def _shift_axis(images, axis, shift, interpolation, fill_mode, fill_value):
    size = images.shape[axis]
    matrix, outside = _sampling_matrix(size, shift, interpolation, fill_mode)
    rank = len(images.shape)
    moved = ops.moveaxis(images, axis, -1)  # (batch, ..., size)
    batch = matrix.shape[0]
    weights = ops.reshape(ops.cast(ops.convert_to_tensor(matrix), images.dtype),
                          (batch,) + (1,) * (rank - 3) + (size, size))
    out = ops.matmul(moved, weights)
    if fill_mode == "constant" and fill_value != 0:
        fill = ops.cast(ops.convert_to_tensor(outside * fill_value), images.dtype)
        out = ops.add(out, ops.reshape(fill, (batch,) + (1,) * (rank - 2) + (size,)))
    return ops.moveaxis(out, -1, axis)


def _sampling_matrix(size, shift, interpolation, fill_mode):
    """`(matrix, outside)`: `matrix[b, i, j]` weighs input `i` in output `j` of image
    `b`; `outside[b, j]` is the weight that falls outside the image (constant mode)."""
    backend = current()
    xp = backend.xp
    f64 = backend.dtype("float64")
    grid = xp.arange(size, dtype=f64, device=backend.device)
    source = grid[None, :] - shift[:, None]
    if interpolation == "nearest":
        # half away from zero, as map_coordinates rounds
        nearest = xp.where(source >= 0, xp.floor(source + 0.5), -xp.floor(0.5 - source))
        taps = [(nearest, xp.ones_like(source))]
    else:
        low = xp.floor(source)
        upper = source - low
        taps = [(low, 1.0 - upper), (low + 1.0, upper)]
    inputs = xp.astype(grid, xp.int64)[None, :, None]
    matrix = xp.zeros((shift.shape[0], size, size), dtype=f64, device=backend.device)
    outside = xp.zeros(source.shape, dtype=f64, device=backend.device)
    for position, weight in taps:
        index = xp.astype(position, xp.int64)
        valid = (index >= 0) & (index < size)
        index = _fix_index(xp, index, size, fill_mode)
        if fill_mode == "constant":
            outside = outside + xp.where(valid, 0.0, weight)
            weight = xp.where(valid, weight, 0.0)
        matrix = matrix + xp.astype(index[:, None, :] == inputs, f64) * weight[:, None, :]
    return matrix, outside


def _fix_index(xp, index, size, fill_mode):
    """Maps indices outside `[0, size)` into it: `reflect` (d c b a | a b c d | d c b a),
    `wrap` (a b c d | a b c d), `nearest` (a a a a | a b c d); `constant` clips (its
    outside taps carry no weight)."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":
        folded = index % (2 * size)
        return xp.where(folded < size, folded, 2 * size - 1 - folded)
    return xp.clip(index, 0, size - 1)
