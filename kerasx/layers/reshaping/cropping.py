"""`Cropping1D`, `Cropping2D`, `Cropping3D`: remove borders of the spatial axes."""

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D"]

from kerasx.layers.layer import Layer
from kerasx.layers.reshaping.zero_padding import pairs_per_axis
from kerasx.ops.conv import normalize_data_format, normalize_tuple


class _Cropping(Layer):
    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if self.rank == 1:
            self.cropping = normalize_tuple(cropping, 2, "cropping", allow_zero=True)
            self._pairs = (self.cropping,)
            self.data_format = "channels_last"
        else:
            self.cropping = pairs_per_axis(cropping, self.rank, "cropping", type(self).__name__)
            self._pairs = self.cropping
            self.data_format = normalize_data_format(data_format)

    def _first_spatial_axis(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank "
                f"{self.rank + 2} with {self.rank} spatial axes, but received an input of shape "
                f"{tuple(shape)}.")
        start = 1 if self.data_format == "channels_last" else 2
        for i, (lo, hi) in enumerate(self._pairs):
            size = shape[start + i]
            if size is not None and lo + hi >= size:
                # Keras's first sentence for each class, then which axis fails and why
                rule = ("`cropping` parameter of `Cropping1D` layer must be smaller than the "
                        "input length" if self.rank == 1 else "Values in `cropping` argument "
                        "should be smaller than the corresponding spatial dimension of the input")
                raise ValueError(
                    f"{rule}. {type(self).__name__} layer {self.name!r}: cropping {(lo, hi)} "
                    f"removes everything along spatial axis {i} of size {size} (input shape "
                    f"{tuple(shape)}). The cropping must leave at least one element.")
        return start

    def call(self, inputs):
        start = self._first_spatial_axis(inputs.shape)
        index = [slice(None)] * (self.rank + 2)
        for i, (lo, hi) in enumerate(self._pairs):
            index[start + i] = slice(lo, inputs.shape[start + i] - hi)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        start = self._first_spatial_axis(input_shape)
        shape = list(input_shape)
        for i, (lo, hi) in enumerate(self._pairs):
            if shape[start + i] is not None:
                shape[start + i] -= lo + hi
        return tuple(shape)

    def get_config(self):
        config = {**super().get_config(), "cropping": self.cropping}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class Cropping1D(_Cropping):
    """Removes steps from the start and end of a sequence.

    Args:
        cropping: an int (the same on both sides) or a `(start, end)` pair.

    Input shape: `(batch, steps, channels)`.
    Output shape: `(batch, steps - start - end, channels)`.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns at the borders of images.

    Args:
        cropping: an int (all sides), a tuple of 2 ints (symmetric height and width
            cropping) or `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape: `(batch, height, width, channels)` (or channels first).
    Output shape: `(batch, cropped_height, cropped_width, channels)`.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes borders of the three spatial axes of volumes.

    Args:
        cropping: an int (all sides), a tuple of 3 ints (symmetric per axis) or
            `((start1, end1), (start2, end2), (start3, end3))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape: `(batch, dim1, dim2, dim3, channels)` (or channels first).
    Output shape: each spatial size shrunk by its cropping.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
