"""`STFT`: convolution kernels that compute one side of a short-time Fourier transform."""

__all__ = ["STFT"]

import math

from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.initializers.initializer import Initializer, standardize_dtype, standardize_shape

# `a_k` of the cosine-sum windows `sum_k a_k cos(k x)`, x from -pi to pi (SciPy's values).
_COSINE_SUMS = {
    "boxcar": (1.0,),
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.50, 0.08),
    "nuttall": (0.3635819, 0.4891775, 0.1365995, 0.0106411),
    "blackmanharris": (0.35875, 0.48829, 0.14128, 0.01168),
    "flattop": (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368),
}
# SciPy's other names of the same windows.
_ALIASES = {"box": "boxcar", "ones": "boxcar", "rect": "boxcar", "rectangular": "boxcar",
            "han": "hann", "hamm": "hamming", "ham": "hamming", "black": "blackman",
            "blk": "blackman", "nutl": "nuttall", "nut": "nuttall",
            "blackharr": "blackmanharris", "bkh": "blackmanharris", "flat": "flattop",
            "flt": "flattop", "triangle": "triang", "tri": "triang", "bart": "bartlett",
            "brt": "bartlett", "halfcosine": "cosine", "brthan": "barthann", "bth": "barthann",
            "bman": "bohman", "bmn": "bohman", "tuk": "tukey"}


def _symmetric(name, m):
    """The symmetric window `name` of `m > 1` points, as a list of floats."""
    if name in _COSINE_SUMS:
        xs = [-math.pi + 2.0 * math.pi * i / (m - 1) for i in range(m)]
        return [sum(a * math.cos(k * x) for k, a in enumerate(_COSINE_SUMS[name])) for x in xs]
    if name == "triang":
        half = [(2.0 * n - 1.0) / m if m % 2 == 0 else 2.0 * n / (m + 1.0)
                for n in range(1, (m + 1) // 2 + 1)]
        return half + (half[::-1] if m % 2 == 0 else half[-2::-1])
    if name == "bartlett":
        return [2.0 * n / (m - 1) if n <= (m - 1) / 2.0 else 2.0 - 2.0 * n / (m - 1)
                for n in range(m)]
    if name == "cosine":
        return [math.sin(math.pi / m * (n + 0.5)) for n in range(m)]
    if name == "barthann":
        fac = [abs(n / (m - 1) - 0.5) for n in range(m)]
        return [0.62 - 0.48 * f + 0.38 * math.cos(2.0 * math.pi * f) for f in fac]
    if name == "tukey":
        return _tukey(m, alpha=0.5)
    # bohman
    fac = [abs(-1.0 + 2.0 * n / (m - 1)) for n in range(1, m - 1)]
    inner = [(1.0 - f) * math.cos(math.pi * f) + math.sin(math.pi * f) / math.pi for f in fac]
    return [0.0] + inner + [0.0]


def _tukey(m, alpha):
    """SciPy's symmetric Tukey (tapered cosine) window: cosine tapers over `alpha / 2`
    of the points at each end, ones between."""
    width = int(math.floor(alpha * (m - 1) / 2.0))
    values = [1.0] * m
    for n in range(width + 1):
        values[n] = 0.5 * (1.0 + math.cos(math.pi * (-1.0 + 2.0 * n / alpha / (m - 1))))
    for n in range(m - width - 1, m):
        values[n] = 0.5 * (1.0 + math.cos(
            math.pi * (-2.0 / alpha + 1.0 + 2.0 * n / alpha / (m - 1))))
    return values


def window_names():
    """The window names `window_values` knows (SciPy's names and aliases)."""
    return sorted(set(_COSINE_SUMS)
                  | {"triang", "bartlett", "cosine", "barthann", "bohman", "tukey"}
                  | set(_ALIASES))


def check_window_name(name, who):
    """Raises a ValueError naming `who` unless `name` is a known window."""
    if _ALIASES.get(name, name) not in window_names():
        raise ValueError(f"{who}: unknown window {name!r}; use one of {window_names()}, an "
                         "array of values, or None for no window.")


def window_values(name, length, periodic=False):
    """The window `name` of `length` points as a list of floats, as SciPy's
    `get_window(name, length, fftbins=periodic)` gives it: periodic windows are the
    symmetric window of `length + 1` points without its last point."""
    check_window_name(name, "window_values")
    name = _ALIASES.get(name, name)
    if length <= 1:
        return [1.0] * length
    if periodic:
        return _symmetric(name, length + 1)[:-1]
    return _symmetric(name, length)


class STFT(Initializer):
    """Kernels `(frame_length, 1, bins)` of a convolution computing the real or the
    imaginary side of a short-time Fourier transform (`STFTSpectrogram` uses them).

    Entry `[t, 0, f]` is `cos(-2 pi t f / n)` (real side) or `sin(-2 pi t f / n)`
    (imaginary side) with `n = 2 * (bins - 1)`, multiplied by the window and divided
    by its scaling.

    Args:
        side: `"real"` or `"imag"`.
        window: a window name (`"hann"`, `"hamming"`, `"blackman"`, `"boxcar"`,
            `"bartlett"`, `"triang"`, ... as SciPy names them), an array of
            `frame_length` values, or None for no window (and no scaling).
        scaling: `"density"` (divide by the window's L2 norm), `"spectrum"` (by its
            sum of absolute values) or None.
        periodic: use the periodic form of a named window (SciPy's `fftbins=True`).

    Example:

        kernel = initializers.STFT("real", "hann", "density")(shape=(128, 1, 65))
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT initializer: `side` must be 'real' or 'imag', received "
                             f"side={side!r}.")
        if isinstance(window, str):
            check_window_name(window, "STFT initializer")
        elif isinstance(window, tuple) and window and isinstance(window[0], str):
            raise ValueError(f"STFT initializer: windows with parameters such as {window!r} "
                             f"are not supported; pass the window's values as an array of "
                             f"frame_length numbers, or one of {window_names()}.")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"STFT initializer: `scaling` must be None, 'density' or "
                             f"'spectrum', received scaling={scaling!r}.")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        backend = current()
        xp = backend.xp
        shape = standardize_shape(shape, "STFT initializer")
        if len(shape) != 3:
            raise ValueError(f"STFT initializer: shape must be (frame_length, 1, bins), "
                             f"received shape={shape}.")
        dtype = backend.dtype(standardize_dtype(dtype, "STFT initializer", floating=True))
        frame_length, _, bins = shape
        wide = backend.dtype("float64")
        time = xp.reshape(xp.arange(frame_length, dtype=wide, device=backend.device),
                          (frame_length, 1, 1))
        freq = xp.reshape(xp.arange(bins, dtype=wide, device=backend.device), (1, 1, bins))
        angle = (-2.0 * math.pi / max(2 * (bins - 1), 1)) * time * freq
        kernel = xp.cos(angle) if self.side == "real" else xp.sin(angle)
        window = self._window(frame_length, wide)
        if window is not None:
            if self.scaling == "density":
                kernel = kernel * window / xp.sqrt(xp.sum(window * window))
            elif self.scaling == "spectrum":
                kernel = kernel * window / xp.sum(xp.abs(window))
            else:
                kernel = kernel * window
        return xp.astype(kernel, dtype)

    def _window(self, frame_length, wide):
        backend = current()
        if self.window is None:
            return None
        if isinstance(self.window, str):
            values = backend.asarray(window_values(self.window, frame_length, self.periodic),
                                     dtype="float64")
        else:
            window = self.window
            if not hasattr(value_of(window), "shape"):
                window = [float(w) for w in window]
            values = backend.asarray(value_of(window), dtype="float64")
        if tuple(values.shape) != (frame_length,):
            raise ValueError(f"STFT initializer: the window must have shape ({frame_length},) "
                             f"(frame_length,), received shape {tuple(values.shape)}.")
        return backend.xp.reshape(backend.xp.astype(values, wide), (frame_length, 1, 1))

    def get_config(self):
        window = self.window
        if hasattr(value_of(window), "shape"):
            window = current().to_numpy(value_of(window)).tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}
