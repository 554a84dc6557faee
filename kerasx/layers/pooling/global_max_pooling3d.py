"""`GlobalMaxPooling3D`: global max pooling for volumes."""

__all__ = ["GlobalMaxPooling3D", "GlobalMaxPool3D"]

from kerasx.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Global max pooling for volumes: the maximum over every spatial position.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1 (default False).

    Input shape:
        `(batch, dim1, dim2, dim3, channels)` (channels_last)
        or `(batch, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch, channels)`, or with `keepdims=True` the input shape with every
        spatial size 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, "max", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalMaxPool3D = GlobalMaxPooling3D
