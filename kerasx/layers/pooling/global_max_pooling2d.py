"""`GlobalMaxPooling2D`: global max pooling for images."""

__all__ = ["GlobalMaxPooling2D", "GlobalMaxPool2D"]

from kerasx.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Global max pooling for images: the maximum over every spatial position.

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
        super().__init__(2, "max", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalMaxPool2D = GlobalMaxPooling2D
