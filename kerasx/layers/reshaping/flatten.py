"""`Flatten`: folds every axis but the batch axis into one."""

__all__ = ["Flatten"]

import math

from kerasx import ops
from kerasx.layers.layer import Layer


class Flatten(Layer):
    """Reshapes `(batch, d1, d2, ...)` to `(batch, d1 * d2 * ...)`.

    Args:
        data_format: `"channels_first"` moves the channel axis last before
            flattening, so weights match a `channels_last` model.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        from kerasx.ops.conv import normalize_data_format

        self.data_format = normalize_data_format(data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.moveaxis(inputs, 1, -1)
        # the size is spelled out so an empty batch flattens too (-1 is ambiguous then)
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
