"""`GlobalAveragePooling1D`: global average pooling for temporal data."""

__all__ = ["GlobalAveragePooling1D", "GlobalAvgPool1D"]

from kerasx import ops
from kerasx.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Global average pooling for temporal data: the mean over every spatial position.

    With a mask (e.g. from `Embedding(mask_zero=True)`), averages over the
    unmasked steps only.

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
        super().__init__(1, "average", data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        axis = 1 if self.data_format == "channels_last" else 2
        weights = ops.cast(ops.expand_dims(mask, 2 if axis == 1 else 1), inputs.dtype)
        total = ops.sum(inputs * weights, axis=axis, keepdims=self.keepdims)
        return total / ops.sum(weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


GlobalAvgPool1D = GlobalAveragePooling1D
