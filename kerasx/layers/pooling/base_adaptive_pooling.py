"""`BaseAdaptivePooling`: the shared body of the adaptive max and average pooling layers
(the pooling itself is `kerasx.ops.adaptive_pooling`)."""

__all__ = []

from kerasx.layers.layer import Layer
from kerasx.layers.pooling.base_pooling import check_pool_rank
from kerasx.ops.adaptive_pooling import adaptive_pool
from kerasx.ops.conv import normalize_data_format


class BaseAdaptivePooling(Layer):
    """Pools each spatial axis to a fixed size, whatever the input's size.

    Args:
        output_size: an int or a tuple of `pool_dimensions` ints, the output's
            spatial sizes.
        pool_dimensions: the number of spatial axes.
        pool_mode: `"max"` or `"average"`.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    def __init__(self, output_size, pool_dimensions, pool_mode, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.output_size = self._normalize_output_size(output_size)
        self.data_format = normalize_data_format(data_format)

    def _normalize_output_size(self, output_size):
        n = self.pool_dimensions
        entries = (output_size,) * n if isinstance(output_size, int) else output_size
        if not isinstance(entries, (tuple, list)) or len(entries) != n or isinstance(entries, str):
            raise TypeError(
                f"{type(self).__name__}: `output_size` must be an int or a tuple of {n} ints "
                f"(one per spatial axis), received output_size={output_size!r}.")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in entries):
            raise ValueError(
                f"{type(self).__name__}: `output_size` entries must be positive integers, "
                f"received output_size={output_size!r}.")
        return tuple(entries)

    def call(self, inputs):
        self._check_rank(inputs.shape)
        return adaptive_pool(inputs, self.output_size, self.data_format, self.pool_mode)

    def _check_rank(self, shape):
        check_pool_rank(self, shape)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (shape[0],) + self.output_size + (shape[-1],)
        return (shape[0], shape[1]) + self.output_size

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}
