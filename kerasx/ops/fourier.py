"""Fourier transforms: `fft`, `fft2`, `ifft2`, `rfft`, `irfft`.

As in Keras, a complex tensor is a `(real, imag)` pair of float tensors of one shape,
and the results are such pairs (`irfft`: one real tensor). Gradients flow to both
parts: each transform is linear, so its VJP is its adjoint transform.
"""

from importlib import import_module

from kerasx.autodiff.tape import record_multi
from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import Tensor, as_float_operand, current, record, shape_of, tracked, \
    value_of


def _complex_type(xp, real_type):
    return getattr(xp, "complex128" if dtype_name(real_type) == "float64" else "complex64")


def _as_complex(xp, re, im):
    ctype = _complex_type(xp, re.dtype)
    unit = xp.asarray(1j, dtype=ctype, device=current().device)
    return xp.astype(re, ctype) + xp.astype(im, ctype) * unit


def _pair(x, name, least_rank):
    """The real and imaginary backend arrays of the pair `x`, checked."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{name}: Input `x` should be a tuple of two tensors - real and "
                         f"imaginary; received {type(x).__name__}. Pass `x` as a tuple "
                         "(real, imag) of two float tensors of one shape.")
    backend = current()
    re, im = (backend.asarray(value_of(v)) for v in x)
    if shape_of(re) != shape_of(im):
        raise ValueError(f"{name}: Both the real and imaginary parts should have the same "
                         f"shape; received {shape_of(re)} and {shape_of(im)}. Pass two parts "
                         "of one shape.")
    if len(shape_of(re)) < least_rank:
        raise ValueError(f"{name}: Input should have rank >= {least_rank}; received shape "
                         f"{shape_of(re)}. Pass parts of rank {least_rank} or more.")
    for part in (re, im):
        if not backend.isdtype(part.dtype, "real floating"):
            raise ValueError(f"{name}: both parts of `x` must be float tensors, received "
                             f"{dtype_name(re.dtype)} and {dtype_name(im.dtype)}.")
    if re.dtype != im.dtype:
        wide = backend.dtype("float64")
        re, im = backend.xp.astype(re, wide), backend.xp.astype(im, wide)
    return re, im


def _cotangent(xp, gs, like):
    """The complex cotangent of a pair output (a missing part is zero)."""
    gr, gi = gs
    gr = xp.zeros_like(like) if gr is None else gr
    gi = xp.zeros_like(like) if gi is None else gi
    return _as_complex(xp, gr, gi)


def _complex_linear(x, name, least_rank, forward, adjoint):
    """A linear complex transform of the pair `x`: `forward(z)` and `adjoint(g)` map
    complex arrays."""
    xp = current().xp
    re, im = _pair(x, name, least_rank)
    out = forward(xp, _as_complex(xp, re, im))
    values = (xp.real(out), xp.imag(out))
    if not tracked(*x):
        return tuple(Tensor(v) for v in values)

    def vjp(gs):
        g = adjoint(xp, _cotangent(xp, gs, values[0]))
        return xp.real(g), xp.imag(g)

    return record_multi(values, tuple(x), vjp)


def fft(x):
    """The discrete Fourier transform along the last axis of the pair `x = (real, imag)`."""
    return _complex_linear(x, "fft", 1, lambda xp, z: xp.fft.fft(z),
                           lambda xp, g: xp.fft.ifft(g, norm="forward"))


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of `x = (real, imag)`."""
    axes = (-2, -1)
    return _complex_linear(x, "fft2", 2, lambda xp, z: xp.fft.fftn(z, axes=axes),
                           lambda xp, g: xp.fft.ifftn(g, axes=axes, norm="forward"))


def ifft2(x):
    """The 2-D inverse discrete Fourier transform over the last two axes of
    `x = (real, imag)`."""
    axes = (-2, -1)
    return _complex_linear(x, "ifft2", 2, lambda xp, z: xp.fft.ifftn(z, axes=axes),
                           lambda xp, g: xp.fft.fftn(g, axes=axes, norm="forward"))


def _fit_last(xp, a, length):
    """`a` cut or zero-padded to `length` along its last axis."""
    have = a.shape[-1]
    if have >= length:
        return a[..., :length]
    zeros = xp.zeros(shape_of(a)[:-1] + (length - have,), dtype=a.dtype,
                     device=current().device)
    return xp.concat([a, zeros], axis=-1)


def _length(fft_length, name):
    if fft_length is not None and (not isinstance(fft_length, int) or fft_length < 1):
        raise ValueError(f"{name}: `fft_length` must be a positive integer or None, "
                         f"received {fft_length!r}.")
    return fft_length


def rfft(x, fft_length=None):
    """The discrete Fourier transform of the real signal `x` along its last axis: the
    `fft_length // 2 + 1` non-negative frequencies, as a pair `(real, imag)`. The signal
    is cut or zero-padded to `fft_length` (default: its length); integers read as
    `floatx`."""
    backend = current()
    xp = backend.xp
    xv = as_float_operand(backend.asarray(value_of(x)))
    if len(shape_of(xv)) < 1:
        raise ValueError(f"rfft: Input should have rank >= 1; received shape "
                         f"{shape_of(xv)}. Pass an input of rank 1 or more.")
    n = _length(fft_length, "rfft") or xv.shape[-1]
    out = xp.fft.rfft(xv, n=n)
    values = (xp.real(out), xp.imag(out))
    if not tracked(x):
        return tuple(Tensor(v) for v in values)
    length = xv.shape[-1]

    def vjp(gs):
        g = _fit_last(xp, _cotangent(xp, gs, values[0]), n)
        return (_fit_last(xp, xp.real(xp.fft.ifft(g, norm="forward")), length),)

    return record_multi(values, (x,), vjp)


def irfft(x, fft_length=None):
    """The real signal of length `fft_length` (default `2 * (K - 1)` for K frequencies)
    whose `rfft` is the pair `x = (real, imag)`, along the last axis; the frequencies are
    cut or zero-padded to `fft_length // 2 + 1`."""
    backend = current()
    xp = backend.xp
    re, im = _pair(x, "irfft", 1)
    k = re.shape[-1]
    n = _length(fft_length, "irfft") or 2 * (k - 1)
    if n < 1:
        raise ValueError(f"irfft: {k} frequencies give no signal length; pass fft_length.")
    out = xp.fft.irfft(_as_complex(xp, re, im), n=n)
    if not tracked(*x):
        return Tensor(out)
    bins = n // 2 + 1
    # each frequency strictly between 0 and n / 2 stands for itself and its mirror image
    index = xp.arange(bins, device=backend.device)
    weight = xp.full((bins,), 2.0 / n, dtype=out.dtype, device=backend.device)
    weight = xp.where((index == 0) | (2 * index == n), 1.0 / n, weight)

    def vjp(g):
        spectrum = xp.fft.rfft(g, n=n)
        gr = _fit_last(xp, weight * xp.real(spectrum), k)
        gi = _fit_last(xp, weight * xp.imag(spectrum), k)
        return gr, gi

    return record(out, tuple(x), vjp)


# registers the differentiable rules
import_module("kerasx.ops.complex_grads")
