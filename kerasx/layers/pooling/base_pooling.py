"""`BasePooling`: the shared body of the max and average pooling layers."""

__all__ = []

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format, normalize_padding, normalize_tuple


class BasePooling(Layer):
    """Max or average pooling over `pool_dimensions` spatial axes.

    Args:
        pool_size: an int or a tuple of ints, the window size.
        strides: an int or a tuple of ints (default: `pool_size`).
        pool_dimensions: the number of spatial axes.
        pool_mode: `"max"` or `"average"`.
        padding: `"valid"` or `"same"` (output size `ceil(size / stride)`;
            average pooling then averages over the real elements only).
        data_format: `"channels_last"` or `"channels_first"`.
    """

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.pool_size = normalize_tuple(pool_size, pool_dimensions, "pool_size")
        strides = pool_size if strides is None else strides
        self.strides = normalize_tuple(strides, pool_dimensions, "strides")
        self.pool_mode = pool_mode
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self._build_at_init()

    def call(self, inputs):
        self._check_rank(inputs.shape)
        self.compute_output_shape(inputs.shape)
        if self.pool_mode == "max":
            return ops.max_pool(inputs, self.pool_size, self.strides, self.padding,
                                self.data_format)
        return ops.average_pool(inputs, self.pool_size, self.strides, self.padding,
                                self.data_format)

    def _check_rank(self, shape):
        check_pool_rank(self, shape)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        shape = tuple(input_shape)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        out = []
        for axis, (n, k, s) in enumerate(zip(spatial, self.pool_size, self.strides)):
            if n is None:
                out.append(None)
            elif self.padding == "same":
                out.append(-(-n // s))
            elif n < k:
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r}: the pool size {k} is larger "
                    f"than the input along spatial axis {axis} (size {n}, input shape {shape}) "
                    "with padding='valid'. Use a smaller pool_size or padding='same'.")
            else:
                out.append((n - k) // s + 1)
        if self.data_format == "channels_last":
            return (shape[0],) + tuple(out) + (shape[-1],)
        return (shape[0], shape[1]) + tuple(out)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


def check_pool_rank(layer, shape):
    """Raises a clear error unless `shape` has the batch axis, the layer's
    `pool_dimensions` spatial axes and the channel axis."""
    n = layer.pool_dimensions
    if len(shape) != n + 2:
        layout = "(batch, *spatial, channels)" if layer.data_format == "channels_last" \
            else "(batch, channels, *spatial)"
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r} expects inputs of rank {n + 2} "
            f"{layout} with {n} spatial axes, but received an input of shape "
            f"{tuple(shape)}. Add the missing batch or channel axis, or use the "
            "layer of the matching dimension.")
