"""`STFTSpectrogram`: spectrograms of signals by a strided convolution with Fourier kernels."""

__all__ = ["STFTSpectrogram"]

import math
import warnings

from kerasx import ops
from kerasx.config import epsilon, image_data_format
from kerasx.initializers.stft_initializer import STFT, check_window_name
from kerasx.layers.core.input_spec import InputSpec
from kerasx.layers.layer import Layer

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """The short-time Fourier transform of each channel of a signal, as a convolution
    whose kernels (`real_kernel`, `imag_kernel`, initialized by `initializers.STFT`)
    can be trained.

    Each channel is cut into frames of `frame_length` samples every `frame_step`
    and each frame is correlated with the windowed Fourier basis of
    `fft_length // 2 + 1` frequencies.

    Args:
        mode: the output: `"log"` (log magnitude, default), `"magnitude"`, `"psd"`
            (power spectral density: the power with the inner bins doubled),
            `"real"`, `"imag"`, `"angle"` or `"stft"` (real and imaginary parts
            side by side, `2 * bins` frequencies).
        frame_length: samples per frame (default 256).
        frame_step: samples between frames, from 1 to `frame_length` (default
            `frame_length // 2`).
        fft_length: FFT size, at least `frame_length` (default: the smallest power
            of two not below `frame_length`).
        window: a window name (`"hann"`, `"hamming"`, ...), an array of
            `frame_length` values, or None.
        periodic: use the periodic form of a named window.
        scaling: `"density"`, `"spectrum"` or None (see `initializers.STFT`).
        padding: `"valid"` or `"same"`, as for a convolution of stride `frame_step`.
        expand_dims: give the frequencies and the channels separate axes (an image).
        data_format: `"channels_last"` (inputs `(batch, time, channels)`) or
            `"channels_first"` (`(batch, channels, time)`); default
            `image_data_format()`.

    Output shape: channels_last: `(batch, frames, channels * bins)`, or with
    `expand_dims` `(batch, frames, bins, channels)`; channels_first: `(batch,
    channels * bins, frames)`, or `(batch, channels, frames, bins)`. The
    flattened axis holds the bins of channel 0, then of channel 1, ...
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        _check_positive("frame_length", frame_length)
        if frame_step is not None:
            _check_positive("frame_step", frame_step)
            if frame_step > frame_length:
                raise ValueError(
                    f"STFTSpectrogram: `frame_step` must be a positive integer not greater "
                    f"than `frame_length`, received frame_step={frame_step}, "
                    f"frame_length={frame_length}.")
        if fft_length is not None:
            _check_positive("fft_length", fft_length)
            if fft_length < frame_length:
                raise ValueError(
                    f"STFTSpectrogram: `fft_length` must be at least `frame_length`, received "
                    f"fft_length={fft_length}, frame_length={frame_length}.")
            if fft_length & (fft_length - 1):
                warnings.warn(f"STFTSpectrogram: `fft_length` is best a power of two, "
                              f"received fft_length={fft_length}.", stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"STFTSpectrogram: `mode` must be one of {', '.join(_MODES)}, "
                             f"received mode={mode!r}.")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"STFTSpectrogram: `scaling` must be None, 'density' or "
                             f"'spectrum', received scaling={scaling!r}.")
        if padding not in ("valid", "same"):
            raise ValueError(f"STFTSpectrogram: `padding` must be 'valid' or 'same', received "
                             f"padding={padding!r}.")
        if isinstance(window, str):
            check_window_name(window, "STFTSpectrogram")
        elif window is not None:
            STFT(window=window)  # refuses windows with parameters, e.g. ("tukey", 0.5)
        data_format = image_data_format() if data_format is None else data_format
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"STFTSpectrogram: `data_format` must be 'channels_last' or "
                             f"'channels_first', received data_format={data_format!r}.")
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        if self._frame_step < 1:
            raise ValueError(f"STFTSpectrogram: the default frame_step, frame_length // 2, is 0 "
                             f"for frame_length={frame_length}; pass frame_step.")
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                shape, STFT("real", self.window, self.scaling, self.periodic),
                name="real_kernel")
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                shape, STFT("imag", self.window, self.scaling, self.periodic),
                name="imag_kernel")
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in ("float16", "float32", "float64"):
            raise TypeError(f"STFTSpectrogram {self.name!r} expects float16, float32 or float64 "
                            f"signals, received dtype {inputs.dtype}.")
        if len(inputs.shape) != 3:
            raise ValueError(f"STFTSpectrogram {self.name!r} expects inputs of rank 3 (batch, "
                             f"time, channels), received shape {tuple(inputs.shape)}.")
        real = self._frames_times(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._frames_times(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arranged(real)
        if self.mode == "imag":
            return self._arranged(imag)
        if self.mode == "angle":
            return self._arranged(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arranged(ops.concatenate([real, imag], axis=-1))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            inner = ops.pad(power[..., 1:-1], [(0, 0), (0, 0), (0, 0), (1, 1)])
            return self._arranged(ops.add(power, inner))
        magnitude = ops.sqrt(ops.maximum(power, epsilon()))
        if self.mode == "magnitude":
            return self._arranged(magnitude)
        return self._arranged(ops.log(ops.maximum(magnitude, epsilon())))

    def _frames_times(self, inputs, kernel):
        """The convolution of every channel with `kernel`: `(batch, channels, frames,
        bins)`."""
        if self.data_format == "channels_last":
            inputs = ops.transpose(inputs, (0, 2, 1))
        batch, channels, time = inputs.shape
        signals = ops.reshape(inputs, (batch * channels, time, 1))
        kernel = ops.cast(kernel, inputs.dtype)
        out = ops.conv(signals, kernel, strides=self._frame_step, padding=self.padding,
                       data_format="channels_last")
        return ops.reshape(out, (batch, channels) + tuple(out.shape[1:]))

    def _arranged(self, outputs):
        """`(batch, channels, frames, bins)` in the layout of `data_format` and
        `expand_dims`."""
        batch, channels, frames, bins = outputs.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(outputs, (0, 2, 3, 1))
            return ops.reshape(ops.transpose(outputs, (0, 2, 1, 3)),
                               (batch, frames, channels * bins))
        if self.expand_dims:
            return outputs
        return ops.reshape(ops.transpose(outputs, (0, 1, 3, 2)), (batch, channels * bins, frames))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        flat = None if channels is None else channels * bins
        if self.data_format == "channels_last":
            return (batch, frames, flat)
        return (batch, flat, frames)

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = STFT(window=window).get_config()["window"]
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length, "window": window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"STFTSpectrogram: `{name}` must be a positive integer, received "
                         f"{name}={value!r}.")
