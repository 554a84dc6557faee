"""`AdaptiveAveragePooling1D`: adaptive average pooling for temporal data."""

__all__ = ["AdaptiveAveragePooling1D"]

from kerasx.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    """Adaptive average pooling for temporal data: the mean of each bin, the bins chosen so that
    the output has `output_size` along each spatial axis whatever the input's size.

    Along an axis of size `n` pooled to `m`, bin `i` covers positions
    `floor(i * n / m)` to `ceil((i + 1) * n / m)` (exclusive), as in Keras and
    PyTorch; the gradient spreads evenly over each bin.

    Args:
        output_size: an int or a tuple of 1 int,
            the output's spatial sizes.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, steps, channels)` (channels_last)
        or `(batch, channels, steps)`.

    Output shape:
        The same layout with the spatial sizes `output_size`.
    """

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, pool_dimensions=1, pool_mode="average",
                         data_format=data_format, **kwargs)
