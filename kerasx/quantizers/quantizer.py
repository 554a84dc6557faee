"""`Quantizer` (the base of weight and activation quantizers) and `AbsMaxQuantizer`."""

from kerasx.quantizers.abs_max import abs_max_quantize


class Quantizer:
    """Maps a float tensor to a quantized one; the base class of quantizers.

    A subclass implements `__call__(x)` (returning the quantized tensor, or a
    `(quantized, scale)` pair) and `get_config()`.

    Args:
        output_dtype: the dtype of the quantized values (`"int8"`).
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        """A quantizer from `get_config`'s dict."""
        return cls(**config)

    def get_config(self):
        """The constructor arguments as a JSON-able dict."""
        raise NotImplementedError(f"{self} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """Symmetric quantization by the absolute maximum: `x * scale`, rounded and clipped
    to `value_range`, with `scale = value_range[1] / (max|x| + epsilon)` along `axis`.

    Args:
        axis: the axis or axes reduced to compute the scale (deprecated here: pass it to
            `__call__`); None means -1 unless `__call__` gets one.
        value_range: `(min, max)` of the quantized values; within [-128, 127] for int8.
        epsilon: added to the maximum so an all-zero slice has a finite scale
            (default `kerasx.config.epsilon()`).
        output_dtype: the dtype of the quantized values.

    Calling it returns `(quantized, scale)`; `quantized / scale` approximates `x`.
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=None, output_dtype="int8"):
        Quantizer.__init__(self, output_dtype=output_dtype)
        if axis is not None:
            self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        else:
            self.axis = None
        if epsilon is None:
            from kerasx.config import epsilon as default_epsilon

            epsilon = default_epsilon()
        if not (isinstance(value_range, (tuple, list)) and len(value_range) == 2):
            raise ValueError(f"AbsMaxQuantizer: value_range must be a pair (min, max), "
                             f"received value_range={value_range!r}.")
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the "
                f"interval [-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        """`(quantized, scale)` of `x`, the scale reduced over `axis` (else the
        constructor's axis, else -1) with the reduced axes kept as size 1.
        `to_numpy` is accepted for compatibility; the result is the same."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config
