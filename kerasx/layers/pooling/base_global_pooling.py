"""`BaseGlobalPooling`: the shared body of the global max and average pooling layers."""

__all__ = []

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis with max or mean.

    Args:
        pool_dimensions: the number of spatial axes.
        pool_mode: `"max"` or `"average"`.
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: keep the spatial axes with size 1.
    """

    def __init__(self, pool_dimensions, pool_mode, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.data_format = normalize_data_format(data_format)
        self.keepdims = keepdims
        self._build_at_init()

    def _axes(self, shape):
        n = self.pool_dimensions
        if len(shape) != n + 2:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank {n + 2} with "
                f"{n} spatial axes, but received an input of shape {tuple(shape)}.")
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + n))

    def call(self, inputs):
        axes = self._axes(inputs.shape)
        if self.pool_mode == "max":
            return ops.max(inputs, axis=axes, keepdims=self.keepdims)
        return ops.mean(inputs, axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes(input_shape)
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}
