"""`ZeroPadding1D`, `ZeroPadding2D`, `ZeroPadding3D`: zeros around the spatial axes."""

__all__ = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format, normalize_tuple

_ORDINALS = ("1st", "2nd", "3rd")


def pairs_per_axis(value, rank, name, owner):
    """`value` (an int, `rank` ints, or `rank` pairs) as `rank` (before, after) pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{owner}: `{name}` cannot be negative, received {name}={value!r}.")
        return ((value, value),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(
            f"{owner}: `{name}` must be an int, a tuple of {rank} ints (symmetric amounts per "
            f"spatial axis) or a tuple of {rank} (before, after) pairs; received {name}={value!r}.")
    return tuple(normalize_tuple(v, 2, f"{_ORDINALS[i]} entry of {name}", allow_zero=True)
                 for i, v in enumerate(value))


class _ZeroPadding(Layer):
    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        if self.rank == 1:
            self.padding = normalize_tuple(padding, 2, "padding", allow_zero=True)
            self._pairs = (self.padding,)
        else:
            self.padding = pairs_per_axis(padding, self.rank, "padding", type(self).__name__)
            self._pairs = self.padding

    def _first_spatial_axis(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank "
                f"{self.rank + 2} with {self.rank} spatial axes, but received an input of shape "
                f"{tuple(shape)}.")
        return 1 if self.data_format == "channels_last" else 2

    def call(self, inputs):
        start = self._first_spatial_axis(inputs.shape)
        widths = [(0, 0)] * (self.rank + 2)
        for i, pair in enumerate(self._pairs):
            widths[start + i] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        start = self._first_spatial_axis(input_shape)
        shape = list(input_shape)
        for i, (lo, hi) in enumerate(self._pairs):
            if shape[start + i] is not None:
                shape[start + i] += lo + hi
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of the steps axis of a sequence.

    Args:
        padding: an int (the same on both sides) or a `(before, after)` pair.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape: `(batch, steps, channels)` (or channels first).
    Output shape: `(batch, steps + before + after, channels)`.
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images.

    Args:
        padding: an int (all sides), a tuple of 2 ints (symmetric height and width
            padding) or `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape: `(batch, height, width, channels)` (or channels first).
    Output shape: `(batch, padded_height, padded_width, channels)`.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around the three spatial axes of volumes.

    Args:
        padding: an int (all sides), a tuple of 3 ints (symmetric per axis) or
            `((before1, after1), (before2, after2), (before3, after3))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape: `(batch, dim1, dim2, dim3, channels)` (or channels first).
    Output shape: each spatial size grown by its padding.
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)
