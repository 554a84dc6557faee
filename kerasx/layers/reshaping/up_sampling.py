"""`UpSampling1D`, `UpSampling2D`, `UpSampling3D`: repeat (or interpolate) along spatial axes."""

__all__ = ["UpSampling1D", "UpSampling2D", "UpSampling3D"]

import math

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format, normalize_tuple

_INTERPOLATIONS = ("nearest", "bilinear")
# resampled by `ops.image.resize` (UpSampling2D only, as Keras)
_KERNEL_INTERPOLATIONS = ("bicubic", "lanczos3", "lanczos5")


def linear_resize_matrix(size, factor, dtype):
    """The `(size * factor, size)` matrix of half-pixel linear interpolation with
    clamped edges (what `jax.image.resize` and TensorFlow compute when upsampling)."""
    rows = []
    for o in range(size * factor):
        src = min(max((o + 0.5) / factor - 0.5, 0.0), size - 1.0)
        i0 = int(math.floor(src))
        i1 = min(i0 + 1, size - 1)
        w1 = src - i0
        row = [0.0] * size
        row[i0] += 1.0 - w1
        row[i1] += w1
        rows.append(row)
    return current().asarray(rows, dtype=dtype)


class _UpSampling(Layer):
    rank = None
    interpolations = _INTERPOLATIONS

    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, self.rank, "size")
        self.data_format = normalize_data_format(data_format)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in self.interpolations:
            raise ValueError(
                f"{type(self).__name__}: interpolation must be one of {list(self.interpolations)}, "
                f"received interpolation={interpolation!r}.")

    def _first_spatial_axis(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects inputs of rank "
                f"{self.rank + 2} with {self.rank} spatial axes, but received an input of shape "
                f"{tuple(shape)}.")
        return 1 if self.data_format == "channels_last" else 2

    def call(self, inputs):
        start = self._first_spatial_axis(inputs.shape)
        if self.interpolation in _KERNEL_INTERPOLATIONS:
            size = tuple(inputs.shape[start + i] * f for i, f in enumerate(self.size))
            return ops.image.resize(inputs, size, interpolation=self.interpolation,
                                    data_format=self.data_format)
        x = inputs
        for i, factor in enumerate(self.size):
            axis = start + i
            if factor == 1:
                continue
            if self.interpolation == "nearest":
                x = ops.repeat(x, factor, axis=axis)
            else:
                matrix = linear_resize_matrix(x.shape[axis], factor, x.dtype)
                x = ops.moveaxis(ops.matmul(ops.moveaxis(x, axis, -1), ops.transpose(matrix)),
                                 -1, axis)
        return x

    def compute_output_shape(self, input_shape):
        start = self._first_spatial_axis(input_shape)
        shape = list(input_shape)
        for i, factor in enumerate(self.size):
            if shape[start + i] is not None:
                shape[start + i] *= factor
        return tuple(shape)


class UpSampling1D(_UpSampling):
    """Repeats each step of a sequence `size` times.

    Args:
        size: the repetition factor (a positive int).

    Input shape: `(batch, steps, channels)`.
    Output shape: `(batch, steps * size, channels)`.
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"UpSampling1D: `size` must be a positive int, received size={size!r}.")
        super().__init__(size, **kwargs)
        self.size = size

    def call(self, inputs):
        self._first_spatial_axis(inputs.shape)
        # A new tensor even for size 1: the input's mask must not pass (as in Keras).
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        self._first_spatial_axis(input_shape)
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_UpSampling):
    """Upsamples images by repeating rows and columns (`"nearest"`) or by
    interpolation (`"bilinear"`, `"bicubic"`, `"lanczos3"`, `"lanczos5"`, half-pixel
    centers, as Keras and `ops.image.resize`).

    Args:
        size: an int or `(height_factor, width_factor)`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        interpolation: `"nearest"`, `"bilinear"`, `"bicubic"`, `"lanczos3"` or
            `"lanczos5"`.

    Input shape: `(batch, height, width, channels)` (or channels first).
    Output shape: `(batch, height * height_factor, width * width_factor, channels)`.
    """

    rank = 2
    interpolations = _INTERPOLATIONS + _KERNEL_INTERPOLATIONS

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Upsamples volumes by repeating along each of the three spatial axes.

    Args:
        size: an int or a tuple of 3 factors.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape: `(batch, dim1, dim2, dim3, channels)` (or channels first).
    Output shape: each spatial size multiplied by its factor.
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
