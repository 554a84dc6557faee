"""`map_coordinates`: sampling an array at computed positions, with the fill modes of
`scipy.ndimage` outside it.

Positions and interpolation weights are computed without gradients; the values are
gathered with `ops.take` and summed with those weights, so gradients reach the inputs.
"""

import itertools

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.ops.image._common import (as_tensor, check_choice, floating, is_integral,
                                      saturate_cast)

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """`inputs` sampled at `coordinates` (one array per axis of `inputs`).

    Args:
        inputs: an array of any rank.
        coordinates: shape `(inputs.ndim, *output_shape)`: the position of each
            output value along each axis of `inputs`.
        order: 0 (nearest input, halves rounded away from zero) or 1 (linear).
        fill_mode: beyond the edges, `"constant"` (`k k | a b c d | k k`,
            `fill_value` weighed in), `"nearest"` (`a a | a b c d | d d`),
            `"wrap"` (`c d | a b c d | a b`), `"mirror"` (`c b | a b c d | c b`)
            or `"reflect"` (`b a | a b c d | d c`).
        fill_value: the constant of `"constant"` mode.

    Returns:
        An array of shape `output_shape`, in the dtype of `inputs` (integer
        inputs are rounded).
    """
    inputs = as_tensor(inputs)
    coords = value_of(ops.convert_to_tensor(coordinates))
    if len(coords.shape) < 2 or coords.shape[0] != len(inputs.shape):
        raise ValueError("ops.image.map_coordinates: coordinates must have shape "
                         f"(inputs.ndim={len(inputs.shape)}, *output_shape), received shape "
                         f"{tuple(coords.shape)}.")
    check_choice("map_coordinates", "fill_mode", fill_mode, FILL_MODES)
    if order not in (0, 1) or isinstance(order, bool):
        raise ValueError(f"ops.image.map_coordinates: order must be 0 or 1, received "
                         f"order={order!r}.")
    values = floating(inputs)
    backend = current()
    if not backend.isdtype(coords.dtype, "real floating"):
        coords = backend.xp.astype(coords, value_of(values).dtype)
    out = sample(values, [coords[i, ...] for i in range(coords.shape[0])], order, fill_mode,
                 fill_value)
    return saturate_cast(out, value_of(inputs).dtype) if is_integral(inputs) else out


def sample(inputs, coordinates, order, fill_mode, fill_value):
    """`inputs` (a float Tensor) sampled at `coordinates`: one backend array per axis,
    broadcast together; integer arrays are exact indices (in range, one tap)."""
    backend = current()
    xp = backend.xp
    dtype = value_of(inputs).dtype
    shape = tuple(inputs.shape)
    per_axis = [_taps(xp, backend, c, size, order, fill_mode)
                for c, size in zip(coordinates, shape)]
    strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    out_shape = _broadcast_shape([tuple(c.shape) for c in coordinates])
    flat = ops.reshape(inputs, (-1,))
    total = None
    for combination in itertools.product(*per_axis):
        index, valid, weight = 0, None, None
        for (axis_index, axis_valid, axis_weight), stride in zip(combination, strides):
            index = index + axis_index * stride
            if axis_valid is not None:
                valid = axis_valid if valid is None else valid & axis_valid
            if axis_weight is not None:
                weight = axis_weight if weight is None else weight * axis_weight
        values = ops.take(flat, xp.broadcast_to(index, out_shape))
        if valid is not None:
            fill = xp.full((), fill_value, dtype=dtype, device=backend.device)
            values = ops.where(xp.broadcast_to(valid, out_shape), values, fill)
        if weight is not None:
            values = ops.multiply(values, xp.astype(weight, dtype))
        total = values if total is None else ops.add(total, values)
    return total


def _broadcast_shape(shapes):
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + s for s in shapes]
    return tuple(max(sizes) for sizes in zip(*padded))


def _taps(xp, backend, coordinate, size, order, fill_mode):
    """`[(index, valid or None, weight or None), ...]` for one axis."""
    if backend.isdtype(coordinate.dtype, "integral"):
        return [(xp.astype(coordinate, xp.int64), None, None)]
    if order == 0:
        taps = [(_round_half_away(xp, coordinate), None)]
    else:
        low = xp.floor(coordinate)
        upper = coordinate - low
        taps = [(low, 1.0 - upper), (low + 1.0, upper)]
    out = []
    for position, weight in taps:
        index = xp.astype(position, xp.int64)
        valid = ((index >= 0) & (index < size)) if fill_mode == "constant" else None
        out.append((_fix_index(xp, index, size, fill_mode), valid, weight))
    return out


def _round_half_away(xp, x):
    whole = xp.trunc(x)
    return xp.where(xp.abs(x - whole) == 0.5, whole + xp.sign(x), xp.round(x))


def _fix_index(xp, index, size, fill_mode):
    """Indices outside `[0, size)` mapped into it as `fill_mode` says (`constant` clips:
    its outside taps are replaced by the fill value)."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode in ("mirror", "reflect"):
        if size == 1:
            return xp.zeros_like(index)
        if fill_mode == "mirror":
            period = 2 * (size - 1)
            return xp.abs((index + size - 1) % period - (size - 1))
        folded = index % (2 * size)
        return xp.where(folded < size, folded, 2 * size - 1 - folded)
    return xp.clip(index, 0, size - 1)
