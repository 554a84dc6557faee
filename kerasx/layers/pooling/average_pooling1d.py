"""`AveragePooling1D`: average pooling for temporal data."""

__all__ = ["AveragePooling1D", "AvgPool1D"]

from kerasx.layers.pooling.base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    """Average pooling for temporal data: the mean of each `pool_size` window,
    windows `strides` apart.

    Args:
        pool_size: an int or a tuple of 1 ints, the window size.
        strides: an int or a tuple of 1 ints; None (default) means `pool_size`.
        padding: `"valid"` or `"same"` (output size `ceil(size / stride)`;
            windows average over the real elements only, as in Keras).
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
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="average",
                         padding=padding, data_format=data_format, name=name, **kwargs)


AvgPool1D = AveragePooling1D
