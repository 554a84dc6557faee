"""`AdaptiveAveragePooling2D`: adaptive average pooling for images."""

__all__ = ["AdaptiveAveragePooling2D"]

from kerasx.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Adaptive average pooling for images: the mean of each bin, the bins chosen so that
    the output has `output_size` along each spatial axis whatever the input's size.

    Along an axis of size `n` pooled to `m`, bin `i` covers positions
    `floor(i * n / m)` to `ceil((i + 1) * n / m)` (exclusive), as in Keras and
    PyTorch; the gradient spreads evenly over each bin.

    Args:
        output_size: an int (the same for both axes) or a tuple of 2 ints,
            the output's spatial sizes.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, height, width, channels)` (channels_last)
        or `(batch, channels, height, width)`.

    Output shape:
        The same layout with the spatial sizes `output_size`.
    """

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, pool_dimensions=2, pool_mode="average",
                         data_format=data_format, **kwargs)
