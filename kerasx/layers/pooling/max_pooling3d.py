"""`MaxPooling3D`: max pooling for volumes."""

__all__ = ["MaxPooling3D", "MaxPool3D"]

from kerasx.layers.pooling.base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """Max pooling for volumes: the largest value of each `pool_size` window,
    windows `strides` apart.

    Args:
        pool_size: an int or a tuple of 3 ints, the window size.
        strides: an int or a tuple of 3 ints; None (default) means `pool_size`.
        padding: `"valid"` or `"same"` (output size `ceil(size / stride)`;
            padding never wins the max).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, dim1, dim2, dim3, channels)` (channels_last)
        or `(batch, channels, dim1, dim2, dim3)`.

    Output shape:
        The same layout with each spatial size
        `(size - pool_size) // stride + 1` ("valid") or `ceil(size / stride)` ("same").
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="max",
                         padding=padding, data_format=data_format, name=name, **kwargs)


MaxPool3D = MaxPooling3D
