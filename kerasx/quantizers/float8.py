"""Float8 training helpers: delayed scaling from an amax history, and the
quantize-dequantize round trip through `float8_e4m3fn` / `float8_e5m2`.

The array API has no float8 (nor bfloat16) dtype, so the round trip is computed
on the float grid of the format: the value is rounded (halves to even) to the
nearest number with the format's mantissa width, subnormals included, which is
what a cast to the format and back yields for values inside its range.
"""

from kerasx import ops
from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.backends.base import dtype_name
from kerasx.ops.custom_gradient import custom_gradient

# name -> (mantissa bits, smallest normal exponent, largest finite value)
FLOAT_FORMATS = {
    "float8_e4m3fn": (3, -6, 448.0),
    "float8_e5m2": (2, -14, 57344.0),
    "bfloat16": (7, -126, 3.3895313892515355e38),
    "float16": (10, -14, 65504.0),
}


def float_format_max(name):
    """The largest finite value of the float format `name` (`"float8_e4m3fn"`...)."""
    return _format(name)[2]


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The next scale of delayed float8 scaling: `amax / (dtype_max / 2**margin)`, or
    the current `scale` where `amax` is zero or not finite."""
    scale = ops.reciprocal(scale)
    usable = ops.logical_and(ops.greater(amax, 0.0), ops.isfinite(amax))
    # the unusable amax values are replaced before dividing, so no division by zero warns
    amax = ops.where(usable, amax, ops.ones_like(amax))
    factor = ops.divide(ops.divide(dtype_max, amax), 2 ** margin)
    return ops.reciprocal(ops.where(usable, factor, scale))


def compute_float8_amax_history(x, amax_history):
    """`amax_history` rolled one step towards the front, `max(|x|)` written at index 0
    (the slot the roll freed up last becomes the newest)."""
    amax_history = ops.convert_to_tensor(amax_history)
    peak = ops.cast(ops.max(ops.abs(x)), amax_history.dtype)
    rolled = ops.roll(amax_history, shift=-1)
    return ops.scatter_update(rolled, [[0]], ops.reshape(peak, (1,)))


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """`inputs / scale` clipped to the range of `quantized_dtype`, rounded to that
    float format, times `scale`, all in `compute_dtype`."""
    limit = float_format_max(quantized_dtype)
    scale = ops.cast(scale, compute_dtype)
    x = ops.clip(ops.divide(inputs, scale), -limit, limit)
    return ops.multiply(round_to_float_format(x, quantized_dtype), scale)


def round_to_float_format(x, name):
    """`x` rounded (halves to even) to the values of the float format `name`, in the
    dtype of `x`: the cast to the format and back, for values within its range. Its
    gradient passes through unchanged, as a cast's does."""
    _format(name)
    return _rounded(ops.convert_to_tensor(x), name)


@custom_gradient
def _rounded(x, name):
    def grad(upstream):
        return upstream

    return Tensor(round_values(x.value, name)), grad


def round_values(value, name):
    """`round_to_float_format` of a backend array, without the tape."""
    mantissa, min_exponent, _ = _format(name)
    xp = current().xp
    magnitude = xp.abs(value)
    safe = xp.where(magnitude > 0, magnitude, xp.ones_like(magnitude))
    exponent = xp.floor(xp.log2(safe))
    # log2 can land one off next to a power of two: settle it exactly
    exponent = xp.where(2.0 ** exponent > safe, exponent - 1, exponent)
    exponent = xp.where(2.0 ** (exponent + 1) <= safe, exponent + 1, exponent)
    exponent = xp.where(exponent < min_exponent, xp.zeros_like(exponent) + min_exponent,
                        exponent)
    step = 2.0 ** (exponent - mantissa)
    return xp.round(value / step) * step


def _format(name):
    name = dtype_name(name) if not isinstance(name, str) else name
    if name not in FLOAT_FORMATS:
        raise ValueError(f"Unknown float format {name!r}: expected one of "
                         f"{sorted(FLOAT_FORMATS)}.")
    return FLOAT_FORMATS[name]
