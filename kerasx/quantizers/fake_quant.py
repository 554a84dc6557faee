"""`fake_quant_with_min_max_vars`: quantize-dequantize to `num_bits` integers over a
trainable `[min, max]` range, with the clipped straight-through gradient."""

from kerasx import ops
from kerasx.backends.base import dtype_name
from kerasx.ops.custom_gradient import custom_gradient


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False,
                                 axis=None):
    """Per-tensor (`axis=None`) or per-channel fake quantization.

    The range `[min_vals, max_vals]` is nudged so that zero is exactly
    representable, `inputs` are clamped to it, mapped to the integers
    `[0, 2**num_bits - 1]` (`[1, ...]` with `narrow_range`), rounded and mapped back.

    Gradients, as Keras defines them: `inputs` receive the upstream gradient where
    they lie inside the nudged range (zero outside); `min_vals` the sum of the
    upstream gradient where `inputs <= nudged_min`, and `max_vals` where
    `inputs >= nudged_max` (summed over every axis but `axis`).

    Args:
        inputs: a float tensor.
        min_vals, max_vals: scalars, or one value per channel of `axis`.
        num_bits: the integer width (8 for int8).
        narrow_range: whether the lowest integer is 1 instead of 0.
        axis: the channel axis of per-channel quantization, or None.
    """
    inputs = ops.convert_to_tensor(inputs)
    min_vals = ops.convert_to_tensor(min_vals)
    max_vals = ops.convert_to_tensor(max_vals)
    num_bits = int(num_bits)
    rank = len(inputs.shape)
    if axis is not None:
        if not -rank <= axis < rank:
            raise ValueError(f"fake_quant_with_min_max_vars: axis={axis} is out of range for "
                             f"inputs of rank {rank}.")
        axis = axis % rank
    return _fake_quant(inputs, min_vals, max_vals, num_bits, bool(narrow_range), axis)


def _nudged_range(min_range, max_range, num_bits, narrow_range):
    """`(nudged_min, nudged_max, scale, inv_scale)` in at least float32."""
    compute = "float64" if dtype_name(min_range.dtype) == "float64" else "float32"
    min_range, max_range = ops.cast(min_range, compute), ops.cast(max_range, compute)
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    span = ops.subtract(max_range, min_range)
    scale = ops.divide(span, quant_max - quant_min)
    inv_scale = ops.divide(quant_max - quant_min, span)
    zero_point = ops.round(ops.clip(quant_min - ops.divide(min_range, scale), quant_min,
                                    quant_max))
    nudged_min = ops.multiply(ops.subtract(quant_min, zero_point), scale)
    nudged_max = ops.multiply(ops.subtract(quant_max, zero_point), scale)
    return nudged_min, nudged_max, scale, inv_scale


@custom_gradient
def _fake_quant(x, min_val, max_val, num_bits, narrow_range, axis):
    dtype = dtype_name(x.dtype)
    nudged_min, nudged_max, scale, inv_scale = _nudged_range(min_val, max_val, num_bits,
                                                             narrow_range)
    quant_zero = ops.floor(ops.add(ops.multiply(ops.negative(nudged_min), inv_scale), 0.5))
    clamped = ops.minimum(ops.maximum(ops.cast(x, nudged_min.dtype), nudged_min), nudged_max)
    shifted = ops.subtract(ops.multiply(ops.subtract(clamped, nudged_min), inv_scale),
                           quant_zero)
    result = ops.cast(ops.multiply(ops.floor(ops.add(shifted, 0.5)), scale), dtype)
    inside = ops.logical_and(ops.greater_equal(x, nudged_min), ops.less_equal(x, nudged_max))

    def grad(upstream):
        zeros = ops.zeros_like(upstream)
        others = None if axis is None else [i for i in range(len(x.shape)) if i != axis]

        def to_range(mask, like):
            total = ops.sum(ops.where(mask, upstream, zeros), axis=others)
            return ops.reshape(total, tuple(like.shape))

        return (ops.where(inside, upstream, zeros),
                to_range(ops.less_equal(x, nudged_min), min_val),
                to_range(ops.greater_equal(x, nudged_max), max_val))

    return result, grad
