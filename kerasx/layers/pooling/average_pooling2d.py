"""`AveragePooling2D`: average pooling for images."""

__all__ = ["AveragePooling2D", "AvgPool2D"]

from kerasx.layers.pooling.base_pooling import BasePooling


class AveragePooling2D(BasePooling):
    """Average pooling for images: the mean of each `pool_size` window,
    windows `strides` apart.

    Args:
        pool_size: an int or a tuple of 2 ints, the window size.
        strides: an int or a tuple of 2 ints; None (default) means `pool_size`.
        padding: `"valid"` or `"same"` (output size `ceil(size / stride)`;
            windows average over the real elements only, as in Keras).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, height, width, channels)` (channels_last)
        or `(batch, channels, height, width)`.

    Output shape:
        The same layout with each spatial size
        `(size - pool_size) // stride + 1` ("valid") or `ceil(size / stride)` ("same").
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="average",
                         padding=padding, data_format=data_format, name=name, **kwargs)


AvgPool2D = AveragePooling2D
