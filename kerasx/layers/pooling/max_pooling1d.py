"""`MaxPooling1D`: max pooling for temporal data."""

__all__ = ["MaxPooling1D", "MaxPool1D"]

from kerasx.layers.pooling.base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    """Max pooling for temporal data: the largest value of each `pool_size` window,
    windows `strides` apart.

    Args:
        pool_size: an int or a tuple of 1 ints, the window size.
        strides: an int or a tuple of 1 ints; None (default) means `pool_size`.
        padding: `"valid"` or `"same"` (output size `ceil(size / stride)`;
            padding never wins the max).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, steps, channels)` (channels_last)
        or `(batch, channels, steps)`.

    Output shape:
        The same layout with each spatial size
        `(size - pool_size) // stride + 1` ("valid") or `ceil(size / stride)` ("same").
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="max",
                         padding=padding, data_format=data_format, name=name, **kwargs)


MaxPool1D = MaxPooling1D
