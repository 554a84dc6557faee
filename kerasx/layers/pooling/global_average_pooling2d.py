"""`GlobalAveragePooling2D`: global average pooling for images."""

__all__ = ["GlobalAveragePooling2D", "GlobalAvgPool2D"]

from kerasx.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Global average pooling for images: the mean over every spatial position.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1 (default False).

    Input shape:
        `(batch, height, width, channels)` (channels_last)
        or `(batch, channels, height, width)`.

    Output shape:
        `(batch, channels)`, or with `keepdims=True` the input shape with every
        spatial size 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, "average", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalAvgPool2D = GlobalAveragePooling2D
