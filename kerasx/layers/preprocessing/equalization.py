"""`Equalization`: histogram equalization of each colour channel."""

__all__ = ["Equalization"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_layer import ImageAugmentationLayer


class Equalization(ImageAugmentationLayer):
    """Spreads the values of each colour channel evenly over `value_range` by
    histogram equalization.

    Working in [0, 255], a channel's values fall in `bins` equal-width bins;
    each value is replaced by the rounded share of values in its bin and the
    bins below, scaled to [0, 255] (a channel with a single occupied bin is
    left alone). As in Keras 3.15.1, the histogram of a channel counts the
    whole batch, not each image on its own, and the layer applies only in
    training: `predict` and `evaluate` leave images alone (a direct call counts
    as training). The output has the layer's float dtype; it carries no
    gradient.

    Args:
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        bins: the number of histogram bins (default 256).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ValueError(f"Equalization: bins must be an integer of at least 2, received "
                             f"bins={bins!r}.")
        self.bins = bins
        self.value_range = _augment.value_range_of("Equalization", value_range)
        self.data_format = image.data_format_of("Equalization", data_format)

    def _transform(self, images, count):
        return self.equalize(images)

    def equalize(self, images):
        """`images` with each channel equalized over the whole batch."""
        backend = current()
        xp = backend.xp
        low, high = (float(v) for v in self.value_range)
        values = value_of(images)
        axis = _color.channel_axis(len(values.shape), self.data_format)
        # channel axis first, then each channel's values of the whole batch
        channels = xp.moveaxis(values, axis, 0)
        shape = channels.shape
        channels = xp.reshape(channels, (shape[0], -1))
        scale = 255.0 / (high - low)
        x = channels * scale + (0.0 - low * scale)
        out = xp.reshape(self._lookup(x), shape)
        out = xp.moveaxis(out * ((high - low) / 255.0) + low, 0, axis)
        return ops.convert_to_tensor(xp.astype(out, values.dtype))

    def _lookup(self, x):
        """Each row of `x` (one channel, on the [0, 255] scale) equalized."""
        backend = current()
        xp = backend.xp
        bins = self.bins
        count = x.shape[0]
        f32 = backend.dtype("float32")
        # two bin formulas, as Keras writes them: its counts and its lookups can
        # disagree by one bin on exact boundaries
        counted = _bin_index(xp, xp.astype(x, f32) * float(bins - 1) / 255.0, bins)
        looked_up = _bin_index(xp, x / 255.0 * float(bins - 1), bins)
        offsets = xp.reshape(xp.arange(count, dtype=xp.int64, device=backend.device) * bins,
                             (count, 1))
        hist = xp.reshape(_color.histogram(counted + offsets, count * bins), (count, bins))
        cdf = xp.cumulative_sum(hist, axis=1)
        total = cdf[:, -1:]
        first = xp.min(xp.where(cdf > 0, cdf, total), axis=1, keepdims=True)
        spread = total - first
        spread = xp.where(spread == 0, xp.ones_like(spread), spread)
        table = xp.astype((cdf - first) * 255, f32) / xp.astype(spread, f32)
        table = xp.clip(xp.round(table), 0.0, 255.0)
        out = xp.take(xp.reshape(table, (-1,)), xp.reshape(looked_up + offsets, (-1,)))
        out = xp.astype(xp.reshape(out, x.shape), x.dtype)
        occupied = xp.sum(xp.astype(hist > 0, xp.int32), axis=1, keepdims=True)
        return xp.where(occupied <= 1, x, out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "bins": self.bins,
                "data_format": self.data_format}


def _bin_index(xp, scaled, bins):
    """Bin numbers (truncated, clipped to `[0, bins - 1]`) as int64."""
    return xp.astype(xp.clip(xp.trunc(scaled), 0.0, float(bins - 1)), xp.int64)
