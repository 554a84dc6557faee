"""Window functions of signal processing: `bartlett`, `blackman`, `hamming`,
`hanning`, `kaiser`, as NumPy defines them (symmetric windows of `M` points,
`floatx`; empty for `M < 1`, `[1.0]` for `M == 1`)."""

import math

from kerasx.config import floatx
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.bessel import bessel_i64


def _length(name, x):
    v = value_of(x)
    if hasattr(v, "shape"):
        if tuple(v.shape):
            raise ValueError(f"{name}: the window length must be a number, received an array "
                             f"of shape {tuple(v.shape)}.")
        v = current().to_numpy(v).item()
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
        raise ValueError(f"{name}: the window length must be a whole number, received {x!r}.")
    return int(v)


def _window(name, x, shape):
    """`shape(xp, n, m)` evaluated in float64 on the positions `n` of an `m`-point
    window, cast to `floatx`."""
    backend = current()
    xp = backend.xp
    m = _length(name, x)
    wide = backend.dtype("float64")
    if m < 1:
        values = xp.zeros((0,), dtype=wide, device=backend.device)
    elif m == 1:
        values = xp.ones((1,), dtype=wide, device=backend.device)
    else:
        values = shape(xp, xp.arange(m, dtype=wide, device=backend.device), m)
    return Tensor(xp.astype(values, backend.dtype(floatx())))


def _centered(xp, n, m):
    """`n` as the odd steps `1 - m, 3 - m, ..., m - 1` over `m - 1`: -1 to 1."""
    return (2.0 * n + 1.0 - m) / (m - 1)


def bartlett(x):
    """The triangular window of `x` points."""
    return _window("bartlett", x, lambda xp, n, m: 1.0 - xp.abs(_centered(xp, n, m)))


def blackman(x):
    """The Blackman window of `x` points."""
    return _window("blackman", x, lambda xp, n, m: 0.42 + 0.5 * xp.cos(
        math.pi * _centered(xp, n, m)) + 0.08 * xp.cos(2.0 * math.pi * _centered(xp, n, m)))


def hamming(x):
    """The Hamming window of `x` points."""
    return _window("hamming", x,
                   lambda xp, n, m: 0.54 + 0.46 * xp.cos(math.pi * _centered(xp, n, m)))


def hanning(x):
    """The Hann window of `x` points."""
    return _window("hanning", x,
                   lambda xp, n, m: 0.5 + 0.5 * xp.cos(math.pi * _centered(xp, n, m)))


def kaiser(x, beta):
    """The Kaiser window of `x` points with shape parameter `beta`."""
    beta = float(value_of(beta)) if not hasattr(value_of(beta), "shape") else \
        float(current().to_numpy(value_of(beta)))

    def shape(xp, n, m):
        half = (m - 1) / 2.0
        ratio = (n - half) / half
        inner = beta * xp.sqrt(xp.clip(1.0 - ratio * ratio, 0.0, None))
        scale = bessel_i64(xp, xp.asarray([beta], dtype=n.dtype, device=current().device), 0)
        return bessel_i64(xp, inner, 0) / scale

    return _window("kaiser", x, shape)
