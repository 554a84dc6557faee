"""`SpatialDropout1D/2D/3D`: drop whole feature maps instead of single values."""

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]

from kerasx.layers.regularization.dropout import Dropout


class _SpatialDropout(Dropout):
    """Dropout with one mask value per (sample, channel), shared over the spatial axes."""

    rank = None

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        from kerasx.config import image_data_format

        data_format = data_format or image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"{type(self).__name__}: data_format must be 'channels_last' or "
                f"'channels_first', received data_format={data_format!r}.")
        self.data_format = data_format

    def call(self, inputs, training=None):
        self._check_rank(inputs.shape)
        return super().call(inputs, training=training)

    def _check_rank(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank "
                f"{self.rank + 2} (batch, {self.rank} spatial axes, channels), received shape "
                f"{tuple(shape)}.")

    def _noise_shape(self, inputs):
        shape = tuple(inputs.shape)
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + (1,) * self.rank
        return (shape[0],) + (1,) * self.rank + (shape[-1],)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Spatial 1D dropout: zeroes entire channels of `(batch, steps, channels)` inputs.

    Use it after convolutions, where neighbouring steps are strongly
    correlated and plain dropout barely regularizes. Active only in training.

    Args:
        rate: float in [0, 1), the fraction of channels to drop.
        seed: an int for a repeatable sequence of masks.

    Input shape: `(batch, steps, channels)`. Output shape: the same.
    """

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, name=name, dtype=dtype,
                         **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Spatial 2D dropout: zeroes entire feature maps of images. Active only in training.

    Args:
        rate: float in [0, 1), the fraction of channels to drop.
        data_format: `"channels_last"` (`(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`); default
            `kerasx.config.image_data_format()`.
        seed: an int for a repeatable sequence of masks.

    Input shape: 4-D. Output shape: the same.
    """

    rank = 2

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(_SpatialDropout):
    """Spatial 3D dropout: zeroes entire feature volumes. Active only in training.

    Args:
        rate: float in [0, 1), the fraction of channels to drop.
        data_format: `"channels_last"` (`(batch, d1, d2, d3, channels)`) or
            `"channels_first"` (`(batch, channels, d1, d2, d3)`); default
            `kerasx.config.image_data_format()`.
        seed: an int for a repeatable sequence of masks.

    Input shape: 5-D. Output shape: the same.
    """

    rank = 3

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
