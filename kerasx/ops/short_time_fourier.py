"""The short-time Fourier transform and its inverse, `stft` and `istft`, composed of
differentiable ops (a gather into frames, a window, `rfft` / `irfft`, overlap-add), so
their gradients come from those ops' rules."""

import math

from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import current, shape_of, value_of
from kerasx.ops.fourier import irfft, rfft
from kerasx.ops.math import add, divide, multiply
from kerasx.ops.shape import getitem, constant_pad, reshape, take

_WINDOW_COSINE = {"hann": (0.5, 0.5), "hamming": (0.54, 0.46)}


def _window(window, sequence_length, fft_length, dtype, name):
    """The window as a backend array of length `fft_length` (centred, zero-padded), or
    None for no window. Named windows are periodic, as SciPy's `get_window` makes them."""
    backend = current()
    xp = backend.xp
    if window is None:
        return None
    if isinstance(window, str):
        if window not in _WINDOW_COSINE:
            raise ValueError(f"{name}: If a string is passed to `window`, it must be one of "
                             f"{sorted(_WINDOW_COSINE)}; received {window!r}. Pass one of "
                             "those names, an array of `sequence_length` values, or None.")
        a, b = _WINDOW_COSINE[window]
        t = xp.arange(sequence_length, dtype=backend.dtype("float64"), device=backend.device)
        win = a - b * xp.cos((2.0 * math.pi / sequence_length) * t)
    else:
        win = backend.asarray(value_of(window))
        if shape_of(win) != (sequence_length,):
            raise ValueError(f"{name}: The shape of `window` must be equal to "
                             f"[sequence_length]; received shape {shape_of(win)}, expected "
                             f"shape ({sequence_length},).")
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    zeros = xp.zeros((left,), dtype=win.dtype, device=backend.device)
    tail = xp.zeros((right,), dtype=win.dtype, device=backend.device)
    return xp.astype(xp.concat([zeros, win, tail]), dtype)


def _check_lengths(sequence_length, sequence_stride, fft_length, name):
    for label, value in (("sequence_length", sequence_length),
                         ("sequence_stride", sequence_stride), ("fft_length", fft_length)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: `{label}` must be a positive integer, received "
                             f"{value!r}.")
    if fft_length < sequence_length:
        raise ValueError(f"{name}: `fft_length` must equal or be larger than "
                         f"`sequence_length`; received sequence_length={sequence_length}, "
                         f"fft_length={fft_length}. Pass an `fft_length` of at least "
                         "`sequence_length` (a power of 2 is fastest).")


def _reflected(i, length):
    """The index of the signal that reflect-padding puts at position `i` (which may lie
    before 0 or past the end), as NumPy's `pad(mode="reflect")` does."""
    if length == 1:
        return 0
    period = 2 * (length - 1)
    i %= period
    return i if i < length else period - i


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis of the real float signal `x`
    (..., T): frames of `fft_length` samples every `sequence_stride`, each multiplied by
    the window (`"hann"`, `"hamming"`, a (sequence_length,) array, or None) centred and
    zero-padded to `fft_length`, then `rfft`. With `center`, the signal is first
    reflect-padded by `fft_length // 2` on both sides. Returns a pair `(real, imag)` of
    shape (..., frames, fft_length // 2 + 1)."""
    _check_lengths(sequence_length, sequence_stride, fft_length, "stft")
    backend = current()
    xv = backend.asarray(value_of(x))
    if dtype_name(xv.dtype) not in ("float32", "float64"):
        raise TypeError(f"stft: Invalid input type. Expected `float32` or `float64`; "
                        f"received {dtype_name(xv.dtype)}. Cast the signal to float32 or float64 "
                        "first: ops.cast(x, 'float32').")
    if len(shape_of(xv)) < 1:
        raise ValueError("stft: Input should have rank >= 1; received a scalar.")
    win = _window(window, sequence_length, fft_length, xv.dtype, "stft")
    length = xv.shape[-1]
    margin = fft_length // 2 if center else 0
    padded = length + 2 * margin
    if padded < fft_length:
        raise ValueError(f"stft: a signal of length {length} is shorter than one frame of "
                         f"fft_length={fft_length}" + (" after centring." if center else "."))
    frames = 1 + (padded - fft_length) // sequence_stride
    index = [_reflected(f * sequence_stride + t - margin, length)
             for f in range(frames) for t in range(fft_length)]
    index = backend.xp.asarray(index, dtype=backend.dtype("int64"), device=backend.device)
    framed = reshape(take(x, index, axis=-1), shape_of(xv)[:-1] + (frames, fft_length))
    if win is not None:
        framed = multiply(framed, win)
    return rfft(framed, fft_length)


def _overlap_add(frames, stride):
    """The sum of `frames` (..., F, n), frame `f` placed at offset `f * stride`: shape
    (..., n + stride * (F - 1))."""
    shape = shape_of(frames)
    count, n = shape[-2:]
    lead = shape[:-2]
    pieces = -(-n // stride)
    no_pad = [(0, 0)] * len(lead)
    if pieces * stride != n:
        frames = constant_pad(frames, no_pad + [(0, 0), (0, pieces * stride - n)])
    blocks = reshape(frames, lead + (count, pieces, stride))
    total = None
    for j in range(pieces):
        piece = getitem(blocks, (Ellipsis, slice(None), j, slice(None)))
        placed = constant_pad(piece, no_pad + [(j, pieces - 1 - j), (0, 0)])
        total = placed if total is None else add(total, placed)
    flat = reshape(total, lead + ((count + pieces - 1) * stride,))
    return getitem(flat, (Ellipsis, slice(0, n + stride * (count - 1))))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of `stft`: `irfft` of each frame of the pair `x = (real, imag)`
    (..., frames, bins), windowed and overlap-added, divided by the overlap-added squared
    window where that exceeds 1e-10 (without a window: scaled by
    `fft_length / sequence_stride` over the frame count at each sample, as Keras does).
    With `center` the first and last `fft_length // 2` samples are dropped; `length`
    fixes the output length."""
    _check_lengths(sequence_length, sequence_stride, fft_length, "istft")
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"istft: Input `x` should be a tuple of two tensors - real and "
                         f"imaginary; received {type(x).__name__}. Pass `x=(real, imag)`, "
                         "as `stft` returns it.")
    real = value_of(x[0])
    if len(shape_of(real)) < 2:
        raise ValueError(f"istft: Input should have rank >= 2 (..., frames, bins); "
                         f"received shape {shape_of(real)}. Pass parts of rank 2 or more, as "
                         "`stft` returns them.")
    backend = current()
    xp = backend.xp
    count = shape_of(real)[-2]
    frames = irfft(x, fft_length)
    dtype = value_of(frames).dtype
    win = _window(window, sequence_length, fft_length, dtype, "istft")
    if win is not None:
        frames = multiply(frames, win)
        squares = xp.broadcast_to(win * win, (count, fft_length))
    else:
        squares = xp.full((count, fft_length), sequence_stride / fft_length, dtype=dtype,
                          device=backend.device)
    norm = value_of(_overlap_add(squares, sequence_stride))
    norm = xp.where(norm > 1e-10, norm, xp.ones_like(norm))
    signal = divide(_overlap_add(frames, sequence_stride), norm)
    start = fft_length // 2 if center else 0
    total = fft_length + sequence_stride * (count - 1)
    if length is not None:
        end = start + length
    else:
        end = total - fft_length // 2 if center else total
    return getitem(signal, (Ellipsis, slice(start, end)))
