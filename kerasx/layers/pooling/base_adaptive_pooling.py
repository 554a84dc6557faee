"""`BaseAdaptivePooling`: the shared body of the adaptive max and average pooling layers,
and `adaptive_pool`, the pooling they compute."""

__all__ = []

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format


def adaptive_bins(size, out_size):
    """The `(start, end)` of each of the `out_size` bins over `size` positions:
    `start = floor(i * size / out_size)`, `end = ceil((i + 1) * size / out_size)`
    (PyTorch's bins, which Keras uses too). Two neighbouring bins share a position
    where the edge `i * size / out_size` between them is not an integer."""
    return [((i * size) // out_size, -((-(i + 1) * size) // out_size)) for i in range(out_size)]


def adaptive_pool(inputs, output_size, data_format, mode):
    """Max or average of each adaptive bin: the spatial axes of `inputs` pooled one
    after the other, each to its entry of `output_size` (the bins are separable: the
    max of maxima and the mean of means over a box are its max and mean). Means are
    sums times the reciprocal of the bin size, which is Keras's arithmetic on JAX."""
    first = 1 if data_format == "channels_last" else 2
    x = inputs
    for i, out_size in enumerate(output_size):
        x = _pool_axis(x, first + i, out_size, mode)
    return x


def _pool_axis(x, axis, out_size, mode):
    shape = tuple(x.shape)
    size = shape[axis]
    if size == out_size:
        return x
    bins = adaptive_bins(size, out_size)
    width = max(end - start for start, end in bins)
    if size % out_size == 0:
        # equal bins side by side: a reshape
        windows = x
    else:
        # bins of two widths, each gathered at the widest; the extra slots read one
        # padded position holding the neutral element (-inf for max, 0 for a sum)
        index = [start + j if start + j < end else size
                 for start, end in bins for j in range(width)]
        pads = [(0, 1) if a == axis else (0, 0) for a in range(len(shape))]
        padded = ops.pad(x, pads, constant_values=-float("inf") if mode == "max" else 0.0)
        windows = ops.take(padded, index, axis=axis)
    windows = ops.reshape(windows, shape[:axis] + (out_size, width) + shape[axis + 1:])
    if mode == "max":
        return ops.max(windows, axis=axis + 1)
    reciprocals = ops.convert_to_tensor([1.0 / (end - start) for start, end in bins],
                                        dtype=x.dtype)
    reciprocals = ops.reshape(reciprocals, (out_size,) + (1,) * (len(shape) - axis - 1))
    return ops.multiply(ops.sum(windows, axis=axis + 1), reciprocals)


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
        n = self.pool_dimensions
        if len(shape) != n + 2:
            layout = "(batch, *spatial, channels)" if self.data_format == "channels_last" \
                else "(batch, channels, *spatial)"
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank {n + 2} "
                f"{layout} with {n} spatial axes, but received an input of shape "
                f"{tuple(shape)}. Add the missing batch or channel axis, or use the "
                "layer of the matching dimension.")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (shape[0],) + self.output_size + (shape[-1],)
        return (shape[0], shape[1]) + self.output_size

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}
