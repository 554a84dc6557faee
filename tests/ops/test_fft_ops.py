"""The Fourier ops (`fft`, `fft2`, `ifft2`, `rfft`, `irfft`, `stft`, `istft`) with
Keras's `(real, imag)` pairs: forward against float64 NumPy, in float32, gradients of
both parts against central finite differences; then dtypes, errors and round trips."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.testing import OpCase
from tests.sampled_gradcheck import check_op_case

rng = np.random.default_rng(5)
RE = rng.standard_normal((2, 3, 6))
IM = rng.standard_normal((2, 3, 6))
ODD = rng.standard_normal((2, 7))
SIGNAL = rng.standard_normal((2, 29))


def _parts(fn):
    """A real function of a complex op's pair: real part plus twice the imaginary one,
    so a wrong sign or a swap in either part's gradient shows."""
    def combined(*args):
        re, im = fn(*args)
        return re + 2.0 * im
    return combined


def _np_parts(fn):
    def combined(*args):
        z = fn(*args)
        return z.real + 2.0 * z.imag
    return combined


def _periodic(name, n):
    a, b = {"hann": (0.5, 0.5), "hamming": (0.54, 0.46)}[name]
    return a - b * np.cos(2 * np.pi * np.arange(n) / n)


def _frames(x, sequence_length, sequence_stride, fft_length, window, center):
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)],
                   mode="reflect")
    count = 1 + (x.shape[-1] - fft_length) // sequence_stride
    frames = np.stack([x[..., f * sequence_stride:f * sequence_stride + fft_length]
                       for f in range(count)], axis=-2)
    if window is None:  # no window: every sample of the frame counts, as in Keras
        return frames, np.ones(fft_length)
    win = _periodic(window, sequence_length) if isinstance(window, str) else window
    left = (fft_length - sequence_length) // 2
    return frames, np.pad(win, (left, fft_length - sequence_length - left))


def _np_stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    frames, win = _frames(x, sequence_length, sequence_stride, fft_length, window, center)
    return np.fft.rfft(frames * win, n=fft_length)


def _np_istft(re, im, sequence_length, sequence_stride, fft_length, length=None,
              window="hann", center=True):
    frames = np.fft.irfft(re + 1j * im, n=fft_length)
    count = frames.shape[-2]
    left = (fft_length - sequence_length) // 2
    if window is None:
        win = np.ones(fft_length)
        scale = fft_length / sequence_stride
    else:
        win = _periodic(window, sequence_length) if isinstance(window, str) else window
        win = np.pad(win, (left, fft_length - sequence_length - left))
        scale = 1.0
    total = fft_length + sequence_stride * (count - 1)
    out = np.zeros(frames.shape[:-2] + (total,))
    norm = np.zeros(total)
    for f in range(count):
        out[..., f * sequence_stride:f * sequence_stride + fft_length] += frames[..., f, :] * win
        norm[f * sequence_stride:f * sequence_stride + fft_length] += win ** 2
    out = out * scale / np.where(norm > 1e-10, norm, 1.0)
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (
        total - fft_length // 2 if center else total)
    return out[..., start:end]


STFT_SETTINGS = [
    dict(sequence_length=8, sequence_stride=4, fft_length=16),
    dict(sequence_length=8, sequence_stride=3, fft_length=8, window="hamming", center=False),
    dict(sequence_length=7, sequence_stride=2, fft_length=9, window=None),
    dict(sequence_length=6, sequence_stride=5, fft_length=8,
         window=rng.uniform(0.5, 1.0, 6)),
]


def _stft_case(i, settings):
    return OpCase(f"stft_{i}", _parts(lambda x: ops.stft(x, **settings)),
                  _np_parts(lambda x: _np_stft(x, **settings)), [SIGNAL],
                  rtol32=1e-4, atol32=1e-5)


def _istft_case(i, settings, length=None):
    frames = _np_stft(SIGNAL, **settings)
    return OpCase(f"istft_{i}" + ("_length" if length else ""),
                  lambda re, im: ops.istft((re, im), length=length, **settings),
                  lambda re, im: _np_istft(re, im, length=length, **settings),
                  [frames.real, frames.imag], rtol32=1e-4, atol32=1e-5)


CASES = [
    OpCase("fft", _parts(lambda a, b: ops.fft((a, b))), _np_parts(lambda a, b: np.fft.fft(a + 1j * b)),
           [RE, IM], rtol32=1e-4, atol32=1e-5),
    OpCase("fft_odd", _parts(lambda a, b: ops.fft((a, b))),
           _np_parts(lambda a, b: np.fft.fft(a + 1j * b)), [ODD, ODD[::-1]],
           rtol32=1e-4, atol32=1e-5),
    OpCase("fft_real_part", lambda a, b: ops.fft((a, b))[0],
           lambda a, b: np.fft.fft(a + 1j * b).real, [RE, IM], rtol32=1e-4, atol32=1e-5),
    OpCase("fft2", _parts(lambda a, b: ops.fft2((a, b))),
           _np_parts(lambda a, b: np.fft.fft2(a + 1j * b)), [RE, IM], rtol32=1e-4, atol32=1e-5),
    OpCase("ifft2", _parts(lambda a, b: ops.ifft2((a, b))),
           _np_parts(lambda a, b: np.fft.ifft2(a + 1j * b)), [RE, IM], rtol32=1e-4,
           atol32=1e-6),
    OpCase("rfft", _parts(ops.rfft), _np_parts(np.fft.rfft), [RE], rtol32=1e-4, atol32=1e-5),
    OpCase("rfft_odd", _parts(ops.rfft), _np_parts(np.fft.rfft), [ODD], rtol32=1e-4,
           atol32=1e-5),
    OpCase("rfft_padded", _parts(lambda x: ops.rfft(x, 11)),
           _np_parts(lambda x: np.fft.rfft(x, 11)), [RE], rtol32=1e-4, atol32=1e-5),
    OpCase("rfft_cropped", _parts(lambda x: ops.rfft(x, 4)),
           _np_parts(lambda x: np.fft.rfft(x, 4)), [ODD], rtol32=1e-4, atol32=1e-5),
    *[OpCase(f"irfft_{n}", lambda a, b, n=n: ops.irfft((a, b), n),
             lambda a, b, n=n: np.fft.irfft(a + 1j * b, n), [RE, IM], rtol32=1e-4, atol32=1e-5)
      for n in (None, 10, 11, 7, 16)],
    *[_stft_case(i, s) for i, s in enumerate(STFT_SETTINGS)],
    *[_istft_case(i, s) for i, s in enumerate(STFT_SETTINGS)],
    _istft_case(0, STFT_SETTINGS[0], length=20),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_op_case(case)


def test_pairs_keep_the_float_type():
    for dtype in (np.float32, np.float64):
        re, im = ops.fft((RE.astype(dtype), IM.astype(dtype)))
        assert ops.convert_to_numpy(re).dtype == dtype and ops.convert_to_numpy(im).dtype == dtype
        assert ops.convert_to_numpy(ops.irfft((re, im))).dtype == dtype
    re, im = ops.rfft(np.arange(6, dtype=np.int32))
    assert ops.convert_to_numpy(re).dtype == np.float32
    np.testing.assert_allclose(ops.convert_to_numpy(re), np.fft.rfft(np.arange(6)).real,
                               atol=1e-5)


def test_shapes_follow_keras():
    re, im = ops.rfft(np.ones((2, 5), np.float32), 8)
    assert re.shape == im.shape == (2, 5)
    assert ops.irfft((re, im)).shape == (2, 8)
    assert ops.irfft((re, im), 7).shape == (2, 7)
    re, _ = ops.stft(np.ones((2, 32), np.float32), 8, 4, 16)
    assert re.shape == (2, 9, 9)
    re, _ = ops.stft(np.ones((2, 32), np.float32), 8, 4, 16, center=False, window=None)
    assert re.shape == (2, 5, 9)


def test_istft_inverts_stft():
    x = SIGNAL.astype(np.float32)
    spectrum = ops.stft(x, 16, 4, 16)
    back = ops.convert_to_numpy(ops.istft(spectrum, 16, 4, 16, length=29))
    np.testing.assert_allclose(back, x, atol=1e-5)


def test_ifft2_inverts_fft2():
    back = ops.ifft2(ops.fft2((RE, IM)))
    np.testing.assert_allclose(ops.convert_to_numpy(back[0]), RE, atol=1e-12)
    np.testing.assert_allclose(ops.convert_to_numpy(back[1]), IM, atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.fft(RE), ValueError, "tuple \\(real, imag\\)"),
    (lambda: ops.fft((RE, IM[..., :3])), ValueError, "one shape"),
    (lambda: ops.fft((np.ones(3, np.int32), np.ones(3, np.int32))), ValueError, "float"),
    (lambda: ops.fft2((RE[0, 0], IM[0, 0])), ValueError, "rank 2 or more"),
    (lambda: ops.rfft(RE, 0), ValueError, "positive integer"),
    (lambda: ops.stft(np.ones(32, np.int32), 8, 4, 16), TypeError, "float32 or float64"),
    (lambda: ops.stft(np.ones(32), 8, 4, 4), ValueError, "at least `sequence_length`"),
    (lambda: ops.stft(np.ones(32), 8, 4, 16, window="blackman"), ValueError, "hann"),
    (lambda: ops.stft(np.ones(32), 8, 4, 16, window=np.ones(5)), ValueError, "shape \\(8,\\)"),
    (lambda: ops.stft(np.ones(5), 8, 4, 16, center=False), ValueError, "shorter than one frame"),
    (lambda: ops.istft((np.ones(9), np.ones(9)), 8, 4, 16), ValueError, "rank 2 or more"),
])
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_symbolic_model_of_fourier_ops():
    x = kerasx.Input((6,))
    re, im = ops.rfft(x)
    model = kerasx.Model(x, ops.irfft((re, im), 6))
    data = RE[0].astype(np.float32)
    np.testing.assert_allclose(ops.convert_to_numpy(model(data)), data, atol=1e-5)
