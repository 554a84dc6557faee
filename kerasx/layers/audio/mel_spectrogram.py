"""`MelSpectrogram`: the mel-scaled power spectrogram of audio signals."""

__all__ = ["MelSpectrogram"]

import math

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.layer import Layer

# The HTK mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


class MelSpectrogram(Layer):
    """Signals `(time,)` or `(batch, time)` to mel spectrograms `(num_mel_bins, frames)`
    or `(batch, num_mel_bins, frames)`.

    The steps: `ops.stft` (centred frames, reflect-padded by `fft_length // 2`,
    `1 + time // sequence_stride` frames), the magnitude raised to `mag_exp`, a
    product with the triangular HTK mel filter bank
    (`linear_to_mel_weight_matrix`) and, with `power_to_db`, decibels relative to
    `ref_power`, floored at `min_power` and clipped to `top_db` below the largest
    value of the whole batch. Differentiable with respect to the signal.

    Args:
        fft_length: FFT size (default 2048).
        sequence_stride: samples between frames (default 512).
        sequence_length: samples per frame, at most `fft_length` (default
            `fft_length`).
        window: `"hann"`, `"hamming"`, an array of `sequence_length` values, or None.
        sampling_rate: samples per second of the signal (default 16000).
        num_mel_bins: number of mel bands (default 128).
        min_freq, max_freq: the frequency range of the bands in Hz (defaults 20 and
            `sampling_rate // 2`).
        power_to_db: convert to decibels (default True).
        top_db: the decibel range kept below the maximum (default 80).
        mag_exp: the exponent of the magnitude (2: power, 1: magnitude).
        min_power: the floor of the power before the logarithm (default 1e-10).
        ref_power: the power of 0 dB (default 1).
    """

    # a Keras `DataLayer`: Python values are accepted as inputs
    _allow_non_tensor_positional_args = True

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        for name, value in (("fft_length", fft_length), ("sequence_stride", sequence_stride),
                            ("num_mel_bins", num_mel_bins),
                            ("sequence_length", sequence_length or fft_length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MelSpectrogram: `{name}` must be a positive integer, "
                                 f"received {name}={value!r}.")
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                f"MelSpectrogram: `fft_length` must be at least `sequence_length`, received "
                f"sequence_length={self.sequence_length}, fft_length={self.fft_length}.")
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(f"MelSpectrogram: a `window` given by name must be 'hann' or "
                             f"'hamming', received window={window!r}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def call(self, inputs):
        dtype = self.dtype if self.dtype in ("float32", "float64") else "float32"
        if inputs.dtype != dtype:
            inputs = ops.cast(inputs, dtype)
        if len(inputs.shape) not in (1, 2):
            raise ValueError(f"MelSpectrogram {self.name!r} expects signals of shape (time,) or "
                             f"(batch, time), received shape {tuple(inputs.shape)}.")
        real, imag = ops.stft(inputs, self.sequence_length, self.sequence_stride,
                              self.fft_length, window=self.window, center=True)
        spectrum = ops.power(ops.sqrt(ops.add(ops.square(real), ops.square(imag))),
                             self.mag_exp)
        matrix = self.linear_to_mel_weight_matrix(
            self.num_mel_bins, spectrum.shape[-1], self.sampling_rate, self.min_freq,
            self.max_freq, dtype=dtype)
        outputs = ops.tensordot(spectrum, matrix, axes=1)
        if self.power_to_db:
            outputs = self._decibels(outputs)
        outputs = ops.swapaxes(outputs, -1, -2)
        return outputs if outputs.dtype == self.dtype else ops.cast(outputs, self.dtype)

    def _decibels(self, power):
        floor = self.min_power
        decibels = ops.multiply(ops.log10(ops.maximum(power, floor)), 10.0)
        reference = 10.0 * math.log10(max(abs(float(self.ref_power)), floor))
        decibels = ops.subtract(decibels, reference)
        return ops.maximum(decibels, ops.subtract(ops.max(decibels), self.top_db))

    def linear_to_mel_weight_matrix(self, num_mel_bins=20, num_spectrogram_bins=129,
                                    sampling_rate=8000, lower_edge_hertz=125.0,
                                    upper_edge_hertz=3800.0, dtype="float32"):
        """The `(num_spectrogram_bins, num_mel_bins)` matrix taking linear-frequency
        bins (0 to `sampling_rate / 2`) to triangular mel bands between
        `lower_edge_hertz` and `upper_edge_hertz` (peak 1, HTK convention: the DC bin
        gets no weight)."""
        backend = current()
        xp = backend.xp
        wide = backend.dtype("float64")

        def mel(hertz):
            return _MEL_HIGH_FREQUENCY_Q * xp.log(1.0 + hertz / _MEL_BREAK_FREQUENCY_HERTZ)

        nyquist = float(sampling_rate) / 2.0
        steps = xp.arange(1, num_spectrogram_bins, dtype=wide, device=backend.device)
        bins_mel = xp.reshape(mel(steps * (nyquist / max(num_spectrogram_bins - 1, 1))),
                              (-1, 1))
        low = _MEL_HIGH_FREQUENCY_Q * math.log(1.0 + lower_edge_hertz / _MEL_BREAK_FREQUENCY_HERTZ)
        high = _MEL_HIGH_FREQUENCY_Q * math.log(1.0 + upper_edge_hertz
                                                / _MEL_BREAK_FREQUENCY_HERTZ)
        edges = low + (high - low) / (num_mel_bins + 1) * xp.arange(
            num_mel_bins + 2, dtype=wide, device=backend.device)
        lower, center, upper = (xp.reshape(edges[i:i + num_mel_bins], (1, -1))
                                for i in range(3))
        rising = (bins_mel - lower) / (center - lower)
        falling = (upper - bins_mel) / (upper - center)
        weights = xp.maximum(xp.zeros_like(rising), xp.minimum(rising, falling))
        dc = xp.zeros((1, num_mel_bins), dtype=wide, device=backend.device)
        return ops.convert_to_tensor(xp.astype(xp.concat([dc, weights], axis=0),
                                               backend.dtype(dtype)))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        time = input_shape[-1]
        frames = None if time is None else 1 + time // self.sequence_stride
        return input_shape[:-1] + (self.num_mel_bins, frames)

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = current().to_numpy(getattr(window, "value", window)).tolist() \
                if hasattr(getattr(window, "value", window), "shape") else list(window)
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}
