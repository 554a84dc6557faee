"""Differentiable VJPs of the activations, the softmax family and the fused
cross-entropies, for gradients of gradients (`kerasx.autodiff.higher_order`).

Each rule reads what the op's first-order VJP closure captured (by the names in
`kerasx.ops.nn`) and writes the gradient with recorded kerasx ops. An elementwise
rule is `rule(g, x, o, env)` (`x` the input, `o` the output, both Tensors); the
others are `rule(g, parents, outputs, env)`.
"""

import math

from kerasx.autodiff.higher_order import (captured, differentiable_vjp, dispatching_vjp,
                                          sum_to_shape)
from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import Tensor, current, namespace, value_of
from kerasx.ops.math import _mask, _unary, _unary_keeping, exp, maximum, minimum, sqrt, square
from kerasx.ops.math import abs as absolute
from kerasx.ops.nn import (_erf, _scaled_elu, celu, gelu, glu, hard_shrink, hard_sigmoid,
                           hard_silu, hard_tanh, log_sigmoid, log_softmax, mish, prelu, relu6,
                           sigmoid, sigmoid_cross_entropy, silu, soft_shrink, softmax,
                           softmax_cross_entropy, softplus, softsign, sparse_plus, sparse_sigmoid,
                           sparsemax, squareplus, tanh, tanh_shrink, threshold)
from kerasx.ops.reduction import _expand_back_recorded, _extremum, logsumexp
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import concatenate, getitem, reshape

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@dispatching_vjp(_unary_keeping, lambda env: env["grad"])
def _unary_keeping_rule(rule, g, parents, out, env):
    return (rule(g, parents[0], out, captured(env["grad"])),)


def _between(v, low, high, like):
    xp = namespace()
    return _mask(xp.logical_and(v > low, v < high), like)


def _elu_rule(g, x, o, env):
    positive = _mask(value_of(x) > 0, g)
    scale, alpha = env["scale"], env["alpha"]
    # below 0, d(scale * alpha * expm1(x)) / dx is o + scale * alpha: written with the
    # recorded output `o`, it differentiates again; half types take the exp, where
    # that sum cancels to their rounding error
    if dtype_name(value_of(x).dtype) in ("float16", "bfloat16"):
        low = scale * alpha * exp(minimum(x, 0.0))
    else:
        low = o + scale * alpha
    return g * (positive * scale + (1.0 - positive) * low)


def _celu_rule(g, x, o, env):
    positive = _mask(value_of(x) > 0, g)
    return g * (positive + (1.0 - positive) * exp(minimum(x, 0.0) / env["alpha"]))


def _hard_silu_rule(g, x, o, env):
    v = value_of(x)
    xp = namespace()
    inside = _mask(xp.logical_and(v >= -3.0, v <= 3.0), g)
    # clipped so that the zero mask of an infinite `x` stays a zero
    return g * (inside * (minimum(maximum(x, -3.0), 3.0) / 3.0 + 0.5) + _mask(v > 3.0, g))


def _gelu_rule(g, x, o, env):
    if env["approximate"]:
        t = tanh(_SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x)))
        slope = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (
            1.0 + 3 * 0.044715 * x * x)
    else:
        slope = normal_cdf(x) + x * _normal_pdf(x)
    return g * slope


def _mish_rule(g, x, o, env):
    t = tanh(softplus(x))
    return g * (t + x * (1.0 - t * t) * sigmoid(x))


def _silu_rule(g, x, o, env):
    s = sigmoid(x)
    return g * (s + x * s * (1.0 - s))


def _normal_pdf(x):
    return exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))


def normal_cdf(x):
    """P(X <= x) for a standard normal X (the erf of the exact `gelu`), as a recorded op."""
    return _unary(x, lambda xp, v: 0.5 * (1.0 + _erf(xp, v / math.sqrt(2.0))),
                  lambda xp, g, v, o: g * xp.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi))


differentiable_vjp(normal_cdf, lambda g, x, o, env: g * _normal_pdf(x))
differentiable_vjp(_scaled_elu, _elu_rule)
differentiable_vjp(celu, _celu_rule)
differentiable_vjp(silu, _silu_rule)
differentiable_vjp(gelu, _gelu_rule)
differentiable_vjp(mish, _mish_rule)
differentiable_vjp(softsign, lambda g, x, o, env: g / square(1.0 + absolute(x)))
differentiable_vjp(hard_sigmoid, lambda g, x, o, env: g * _between(value_of(x), -3.0, 3.0, g)
                   * (1.0 / 6.0))
differentiable_vjp(relu6, lambda g, x, o, env: g * _between(value_of(x), 0.0, 6.0, g))
differentiable_vjp(hard_silu, _hard_silu_rule)
differentiable_vjp(log_sigmoid, lambda g, x, o, env: g * sigmoid(-x))
differentiable_vjp(tanh_shrink, lambda g, x, o, env: g * square(tanh(x)))
differentiable_vjp(squareplus, lambda g, x, o, env: 0.5 * g * (1.0 + x / sqrt(x * x + env["b"])))
# piecewise linear: `g` times a constant factor
differentiable_vjp(hard_tanh, lambda g, x, o, env: g * _between(value_of(x), -1.0, 1.0, g))
differentiable_vjp(hard_shrink, lambda g, x, o, env: g * _mask(
    namespace().abs(value_of(x)) > env["threshold"], g))
differentiable_vjp(soft_shrink, lambda g, x, o, env: g * _mask(
    namespace().abs(value_of(x)) > env["threshold"], g))
differentiable_vjp(threshold, lambda g, x, o, env: g * _mask(value_of(x) > env["threshold"], g))
differentiable_vjp(sparse_sigmoid, lambda g, x, o, env: 0.5 * g * _between(value_of(x), -1.0, 1.0,
                                                                           g))


def _sparse_plus_rule(g, x, o, env):
    v = value_of(x)
    inside = _between(v, -1.0, 1.0, g)
    return g * (0.5 * inside * (x + 1.0) + _mask(v >= 1.0, g))


differentiable_vjp(sparse_plus, _sparse_plus_rule)


@differentiable_vjp(softmax)
def _softmax_rule(g, parents, o, env):
    return (o * (g - reduce_sum(g * o, axis=env["axes"], keepdims=True)),)


@differentiable_vjp(log_softmax)
def _log_softmax_rule(g, parents, o, env):
    return (g - exp(o) * reduce_sum(g, axis=env["axes"], keepdims=True),)


@differentiable_vjp(logsumexp)
def _logsumexp_rule(g, parents, o, env):
    axes, keepdims, shape = env["axes"], env["keepdims"], env["shape"]
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    lse = o if keepdims else reshape(o, kept)
    return (_expand_back_recorded(g, axes, keepdims, shape) * exp(parents[0] - lse),)


@differentiable_vjp(_extremum)
def _extremum_rule(g, parents, o, env):
    # the winners are fixed where the extremum is differentiable: a constant share each
    xp = namespace()
    axes, keepdims, shape, xv = env["axes"], env["keepdims"], env["shape"], env["xv"]
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    winners = xp.astype(xv == xp.reshape(env["out"], kept), xv.dtype)
    share = winners / xp.sum(winners, axis=axes, keepdims=True)
    return (_expand_back_recorded(g, axes, keepdims, shape) * Tensor(share),)


@differentiable_vjp(softmax_cross_entropy)
def _softmax_cross_entropy_rule(g, parents, out, env):
    """`g * (softmax(z) * sum(labels) - labels)`; the labels take no gradient, as in
    the first-order rule."""
    backend = current()
    xp = backend.xp
    z = parents[1]
    tv = env["tv"]
    if "gradient" in env:  # a backend kernel's: sparse labels, classes on the last axis
        sparse, ax = True, len(z.shape) - 1
    else:
        sparse, ax = env["sparse"], env["ax"]
    probs = softmax(z, axis=ax)
    lifted = tuple(1 if i == ax else n for i, n in enumerate(z.shape))
    if sparse:
        n = z.shape[ax]
        ids = tv if tv.dtype == backend.dtype("int64") else xp.astype(tv, backend.dtype("int64"))
        valid = (ids >= 0) & (ids < n)
        ids = xp.expand_dims(xp.where(valid, ids, 0), axis=ax)
        classes = [1] * len(z.shape)
        classes[ax] = n
        arange = xp.reshape(xp.arange(n, dtype=ids.dtype, device=backend.device), tuple(classes))
        one_hot = Tensor(xp.astype(ids == arange, value_of(z).dtype))
        return None, reshape(g * _mask(valid, g), lifted) * (probs - one_hot)
    labels = Tensor(xp.asarray(tv, dtype=value_of(z).dtype))
    total = reduce_sum(labels, axis=ax, keepdims=True)
    return None, reshape(g, lifted) * (probs * total - labels)


@differentiable_vjp(sigmoid_cross_entropy)
def _sigmoid_cross_entropy_rule(g, parents, out, env):
    return None, g * (sigmoid(parents[1]) - Tensor(env["tv"]))


@differentiable_vjp(prelu)
def _prelu_rule(g, parents, out, env):
    x = Tensor(env["xv"]) if parents[0] is None else parents[0]
    alpha = Tensor(env["av"]) if parents[1] is None else parents[1]
    positive = _mask(env["positive"], g)
    gx = g * (positive + (1.0 - positive) * alpha) if parents[0] is not None else None
    ga = None
    if parents[1] is not None:
        ga = sum_to_shape(g * (1.0 - positive) * x, env["ashape"])
    return gx, ga


@differentiable_vjp(glu)
def _glu_rule(g, parents, out, env):
    ax, half = env["ax"], env["a"].shape[env["ax"]]
    x = parents[0]
    lead = (slice(None),) * ax
    a = getitem(x, lead + (slice(0, half), Ellipsis))
    s = sigmoid(getitem(x, lead + (slice(half, 2 * half), Ellipsis)))
    return (concatenate([g * s, g * a * s * (1.0 - s)], axis=ax),)


@differentiable_vjp(sparsemax)
def _sparsemax_rule(g, parents, out, env):
    # the support is constant where sparsemax is differentiable: a linear map of `g`
    xp = namespace()
    ax = env["ax"]
    active = xp.astype(env["out"] > 0, value_of(g).dtype)
    count = xp.sum(active, axis=ax, keepdims=True)
    active = Tensor(active)
    return (active * (g - reduce_sum(g * active, axis=ax, keepdims=True) / Tensor(count)),)
