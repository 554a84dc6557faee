"""`GlobalMaxPooling1D`: global max pooling for temporal data."""

__all__ = ["GlobalMaxPooling1D", "GlobalMaxPool1D"]

from kerasx.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Global max pooling for temporal data: the maximum over every spatial position.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1 (default False).

    Input shape:
        `(batch, steps, channels)` (channels_last)
        or `(batch, channels, steps)`.

    Output shape:
        `(batch, channels)`, or with `keepdims=True` the input shape with every
        spatial size 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, "max", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalMaxPool1D = GlobalMaxPooling1D
