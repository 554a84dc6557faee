"""Abs-max quantization: symmetric (`abs_max_quantize`) and grouped with a zero point
(`abs_max_quantize_grouped_with_zero_point`), and dequantization by group maps."""

import math

from kerasx import ops
from kerasx.backends.base import dtype_name


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=None,
                     to_numpy=False):
    """Quantizes `inputs` by their absolute maximum along `axis`.

    `scale = value_range[1] / (max(|inputs|, axis, keepdims) + epsilon)` in the
    dtype of `inputs`; the result is `clip(round(inputs * scale), *value_range)`
    cast to `dtype` (rounding halves to even). `to_numpy` is accepted for
    compatibility with Keras (where it only moves the work to the host).

    Returns:
        `(quantized, scale)`, the scale with the reduced axes kept as size 1.
    """
    if epsilon is None:
        from kerasx.config import epsilon as default_epsilon

        epsilon = default_epsilon()
    inputs = ops.convert_to_tensor(inputs)
    source = dtype_name(inputs.dtype)
    peak = ops.max(ops.abs(inputs), axis=_axes(axis), keepdims=True)
    scale = ops.cast(ops.divide(value_range[1], ops.add(peak, epsilon)), source)
    outputs = ops.clip(ops.round(ops.multiply(inputs, scale)), value_range[0], value_range[1])
    return ops.cast(outputs, dtype), scale


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7),
                                             dtype="int8", epsilon=None, to_numpy=False):
    """Asymmetric quantization of a 2D `(input_dim, output_dim)` tensor in groups of
    `block_size` rows (the last group padded with zeros), one scale and zero point per
    group and column.

    `scale = (max - min + epsilon) / (qmax - qmin)`,
    `zero = clip(round(-min / scale) + qmin, qmin, qmax)` and
    `quantized = clip(round(x / scale) + zero, qmin, qmax)`. With `to_numpy=False` (as
    Keras's device path) a group whose values are all equal has its range widened by
    one on each side first; Keras's host path (`to_numpy=True`, which its layers use)
    does not.

    Returns:
        `(quantized, scale, zero_point)`: `quantized` of `dtype` and the shape of
        `inputs`; `scale` of the input dtype and `zero_point` (int8) of shape
        `(ceil(input_dim / block_size), output_dim)`.
    """
    if epsilon is None:
        from kerasx.config import epsilon as default_epsilon

        epsilon = default_epsilon()
    inputs = ops.convert_to_tensor(inputs)
    if len(inputs.shape) != 2:
        raise ValueError("abs_max_quantize_grouped_with_zero_point expects a 2D tensor "
                         f"(input_dim, output_dim), received shape {tuple(inputs.shape)}.")
    if not isinstance(block_size, int) or block_size <= 0:
        raise ValueError(f"block_size must be a positive integer, received {block_size!r}.")
    qmin, qmax = value_range
    input_dim, output_dim = inputs.shape
    groups = math.ceil(input_dim / block_size)
    padded = inputs
    if groups * block_size > input_dim:
        padding = ops.zeros((groups * block_size - input_dim, output_dim), dtype=inputs.dtype)
        padded = ops.concatenate([inputs, padding], axis=0)
    blocks = ops.reshape(padded, (groups, block_size, output_dim))
    low = ops.min(blocks, axis=1, keepdims=True)
    high = ops.max(blocks, axis=1, keepdims=True)
    if not to_numpy:
        flat = ops.equal(low, high)
        low, high = ops.where(flat, low - 1, low), ops.where(flat, high + 1, high)
    scale = ops.divide(ops.add(ops.subtract(high, low), epsilon), qmax - qmin)
    scale = ops.where(ops.less_equal(scale, 0), 1e-8, scale)
    zero = ops.clip(ops.add(ops.round(ops.divide(ops.negative(low), scale)), qmin), qmin, qmax)
    quantized = ops.clip(ops.add(ops.round(ops.divide(blocks, scale)), zero), qmin, qmax)
    quantized = ops.reshape(ops.cast(quantized, dtype), (groups * block_size, output_dim))
    return (quantized[:input_dim, :], ops.squeeze(scale, axis=1),
            ops.cast(ops.squeeze(zero, axis=1), "int8"))


def dequantize_with_sz_map(weights, scale, zero, g_idx, group_axis=-1):
    """`(weights - zero[g]) * scale[g]`, each position along `group_axis` taking the
    scale and zero point of its group `g = g_idx[position]`."""
    groups = ops.cast(g_idx, "int32")
    scales = ops.take(scale, groups, axis=group_axis)
    zeros = ops.cast(ops.take(zero, groups, axis=group_axis), scales.dtype)
    return ops.multiply(ops.subtract(weights, zeros), scales)


def _axes(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis
