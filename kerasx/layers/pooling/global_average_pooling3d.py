"""`GlobalAveragePooling3D`: global average pooling for volumes."""

__all__ = ["GlobalAveragePooling3D", "GlobalAvgPool3D"]

from kerasx.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Global average pooling for volumes: the mean over every spatial position.

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
        super().__init__(3, "average", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalAvgPool3D = GlobalAveragePooling3D
