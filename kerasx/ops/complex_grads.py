"""Differentiable VJPs of the Fourier transforms (`fft`, `fft2`, `ifft2`, `rfft`,
`irfft`, and so `stft` / `istft`, built on them) and of `view_as_complex` /
`view_as_real`, for gradients of gradients (`kerasx.autodiff.higher_order`).

Every one of these ops is linear, so its VJP is its adjoint, written here with the
transforms themselves (recorded, so a third derivative works too): for the DFT
matrix F, the adjoint `conj(F)^T g` is `conj(F conj(g))`, an `fft` of the conjugated
pair; the adjoint of the inverse transform `conj(F) / n` is `F g / n`.
"""

import math

from kerasx.autodiff.higher_order import differentiable_vjp, dispatching_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.complex_views import view_as_complex, view_as_real
from kerasx.ops.fourier import _complex_linear, fft, fft2, ifft2, irfft, rfft
from kerasx.ops.shape import constant_pad, getitem


def _filled(gs, outs):
    """The pair of output gradients, a missing part as zeros."""
    xp = current().xp
    return tuple(Tensor(xp.zeros_like(value_of(o))) if g is None else g
                 for g, o in zip(gs, outs))


def _fit_last(t, length):
    """The Tensor `t` cut or zero-padded to `length` along its last axis (recorded)."""
    have = t.shape[-1]
    if have == length:
        return t
    if have > length:
        return getitem(t, (Ellipsis, slice(0, length)))
    return constant_pad(t, [(0, 0)] * (len(t.shape) - 1) + [(0, length - have)])


@dispatching_vjp(_complex_linear, lambda env: env["adjoint"])
def _complex_linear_rule(rule, gs, parents, outs, env):
    return rule(_filled(gs, env["values"]))


def _conjugate_of_forward(transform):
    """The adjoint `conj(F conj(g))` of a forward transform F."""
    def rule(g):
        re, im = transform((g[0], -g[1]))
        return re, -im

    return rule


differentiable_vjp(fft, _conjugate_of_forward(fft))
differentiable_vjp(fft2, _conjugate_of_forward(fft2))


@differentiable_vjp(ifft2)
def _ifft2_rule(g):
    re, im = fft2(g)
    n = math.prod(g[0].shape[-2:])
    return re / n, im / n


@differentiable_vjp(rfft)
def _rfft_rule(gs, parents, outs, env):
    """`real(conj(F conj(g)))` of the spectrum zero-padded to `n`, fitted to the signal."""
    n = env["n"]
    gr, gi = (_fit_last(t, n) for t in _filled(gs, env["values"]))
    re, _ = fft((gr, -gi))
    return (_fit_last(re, env["length"]),)


@differentiable_vjp(irfft)
def _irfft_rule(g, parents, out, env):
    """The `rfft` of the gradient, each frequency weighted by the share of the signal it
    stands for (`weight`), fitted to the input's frequencies."""
    re, im = rfft(g, fft_length=env["n"])
    weight = Tensor(env["weight"])
    return _fit_last(re * weight, env["k"]), _fit_last(im * weight, env["k"])


@differentiable_vjp(view_as_complex)
def _view_as_complex_rule(g, parents, out, env):
    return (view_as_real(g),)


@differentiable_vjp(view_as_real)
def _view_as_real_rule(g, parents, out, env):
    if env["complex_input"]:
        return (view_as_complex(g),)
    return (getitem(g, (Ellipsis, 0)),)
