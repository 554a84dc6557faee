"""Neural-network primitives: activations, softmax family, cross-entropies, dropout."""

import math

from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import (Tensor, current, float_input, namespace, normalize_axes, record,
                                 tracked, value_of)
from kerasx.ops.math import _bools_as_int32, _python_as_tensor, _unary, _unary_keeping, multiply


def relu(x):
    """max(x, 0); integers stay integers (booleans become int32), as in Keras."""
    x = _python_as_tensor(x)
    if not tracked(x):
        xv = value_of(x)
        dtype = getattr(xv, "dtype", None)
        if dtype is not None and current().isdtype(dtype, ("integral", "bool")):
            xp = namespace()
            xv = xv if current().isdtype(dtype, "integral") else xp.astype(xv, xp.int32)
            return Tensor(xp.maximum(xv, 0))
    # multiplying by the 0/1 mask is about 4x faster than xp.where on NumPy
    return _unary(x, lambda xp, v: xp.maximum(v, 0.0),
                  lambda xp, g, v, o: g * xp.astype(o > 0, g.dtype))


def relu6(x):
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.clip(v, 0.0, 6.0),
                  lambda xp, g, v, o: _masked(xp, g, v, 0.0, 6.0))


def _masked(xp, g, v, low, high):
    """`g` where `low < v < high`, else 0, as a product with the 0/1 mask: NumPy's
    select against the number 0 runs several times slower (1M float32 values)."""
    return g * xp.astype(xp.logical_and(v > low, v < high), g.dtype)


def leaky_relu(x, negative_slope=0.2):
    """`x` where `x >= 0`, else `negative_slope * x` (Keras on JAX, TensorFlow and torch,
    also for slopes above 1, where `max(x, negative_slope * x)` would differ)."""
    x = float_input(x)
    if negative_slope > 1:
        return _unary(x, lambda xp, v: xp.where(v >= 0, v, v * negative_slope),
                      lambda xp, g, v, o: xp.where(v >= 0, g, g * negative_slope))

    def grad(xp, g, v, o):
        # a backend may compute it as g times an exact 0/1-made factor (None to decline)
        fast = current().kernel("leaky_relu_grad")
        out = None if fast is None else fast(g, v, negative_slope)
        if out is not None:
            return out
        return xp.where(v >= 0, g, g * negative_slope)

    # for slopes up to 1 this maximum is the same piecewise function, in fewer passes
    return _unary(x, lambda xp, v: xp.maximum(v, v * negative_slope), grad)


def elu(x, alpha=1.0):
    return _scaled_elu(x, alpha, 1.0)


def selu(x):
    return _scaled_elu(x, 1.6732632423543772, 1.0507009873554805)


def _scaled_elu(x, alpha, scale):
    """`scale * elu(x, alpha)`, through the backend's `elu` / `elu_grad` kernels where
    it has them (None to decline)."""
    x = float_input(x)
    fast, fast_grad = current().kernel("elu"), current().kernel("elu_grad")

    def forward(xp, v):
        out = None if fast is None else fast(v, alpha, scale)
        if out is not None:
            return out
        out = xp.where(v > 0, v, alpha * xp.expm1(xp.minimum(v, 0.0)))
        return out if scale == 1.0 else scale * out

    def grad(xp, g, v, o):
        out = None if fast_grad is None else fast_grad(g, v, o, alpha, scale)
        if out is not None:
            return out
        if dtype_name(v.dtype) in ("float16", "bfloat16"):
            # `o + scale * alpha` cancels to a rounding error of the half type (0.008
            # in bfloat16) where the slope is nearly 0
            low = g * (scale * alpha) * xp.exp(xp.minimum(v, 0.0))
        else:
            low = g * (o + scale * alpha)
        return xp.where(v > 0, g if scale == 1.0 else scale * g, low)

    return _unary(x, forward, grad)


def sigmoid(x):
    """Logistic sigmoid; the output remembers its logits for a fused cross-entropy."""
    x = float_input(x, "sigmoid")
    out = _unary(x, _stable_sigmoid, lambda xp, g, v, o: g * o * (1.0 - o))
    out.logits = ("sigmoid", x, None)
    return out


def _stable_sigmoid(xp, v):
    # a backend may compute it in fewer passes (None to decline)
    fast = current().kernel("sigmoid")
    out = None if fast is None else fast(v)
    if out is not None:
        return out
    e = xp.exp(-xp.abs(v))
    return xp.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x):
    return _unary(x, lambda xp, v: xp.tanh(v), lambda xp, g, v, o: g * (1.0 - o * o),
                  floating=True)


def softplus(x):
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.maximum(v, 0.0) + xp.log1p(xp.exp(-xp.abs(v))),
                  lambda xp, g, v, o: g * _stable_sigmoid(xp, v))


def softsign(x):
    x = float_input(x)
    return _unary(x, lambda xp, v: v / (1.0 + xp.abs(v)),
                  lambda xp, g, v, o: g / (1.0 + xp.abs(v)) ** 2)


def silu(x):
    """`x * sigmoid(x)`; the forward's sigmoid is kept for the gradient,
    `g * s * (1 + x * (1 - s))`."""
    x = float_input(x, "silu")
    fast_grad = current().kernel("silu_grad")

    def forward(xp, v):
        s = _stable_sigmoid(xp, v)
        return v * s, s

    def grad(xp, g, v, o, s):
        out = None if fast_grad is None else fast_grad(g, v, s)
        return g * (s + v * s * (1.0 - s)) if out is None else out

    return _unary_keeping(x, forward, grad)


swish = silu


def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation by default, as Keras's
    `ops.gelu` (`activations.gelu` defaults to the exact form). The forward keeps what
    the gradient reuses: the tanh of the tanh form, the normal CDF of the exact one."""
    x = float_input(x)
    fast_forward, fast_grad = current().kernel("gelu"), current().kernel("gelu_grad")

    def forward(xp, v):
        parts = None if fast_forward is None else fast_forward(v, approximate)
        return _gelu_parts(xp, v, approximate) if parts is None else parts

    def grad(xp, g, v, o, kept):
        out = None if fast_grad is None else fast_grad(g, v, kept, approximate)
        return g * _gelu_slope(xp, v, kept, approximate) if out is None else out

    return _unary_keeping(x, forward, grad)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu_parts(xp, v, approximate):
    """`(gelu(v), kept)`: `kept` is `tanh(sqrt(2 / pi) * (v + 0.044715 v^3))` for the tanh
    form, `P(X <= v)` for a standard normal X for the exact one."""
    if approximate:
        # v * v * v: NumPy's power runs elementwise `powf` for a cube, with a slow
        # path for negative bases (1M float32 values: 63 ms against 0.2 ms)
        t = xp.tanh(_SQRT_2_OVER_PI * (v + 0.044715 * (v * v * v)))
        return 0.5 * v * (1.0 + t), t
    cdf = 0.5 * (1.0 + _erf(xp, v / math.sqrt(2.0)))
    return v * cdf, cdf


def _gelu_slope(xp, v, kept, approximate):
    """The derivative of `gelu` at `v` from the forward's `kept`."""
    if approximate:
        t = kept
        return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _SQRT_2_OVER_PI * (
            1.0 + 3 * 0.044715 * v * v)
    return kept + v * xp.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi)


def _erf(xp, v):
    """erf with a fractional error below 1.2e-7 (the Chebyshev fit of erfc in
    Numerical Recipes); the array API standard has no erf."""
    sign = xp.sign(v)
    a = xp.abs(v)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = (-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277)))))))))
    return sign * (1.0 - t * xp.exp(poly))


def hard_sigmoid(x):
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.clip(v / 6.0 + 0.5, 0.0, 1.0),
                  lambda xp, g, v, o: _masked(xp, g / 6.0, v, -3.0, 3.0))


def hard_silu(x):
    """`x * relu6(x + 3) / 6`. Its slope (0 below -3, `(2x + 3) / 6` up to 3, 1 above)
    is built from 0/1 masks instead of nested selects against numbers (forward and
    gradient over 1M float32 values: 5.2 -> 3.7 ms on NumPy)."""
    x = float_input(x)

    def grad(xp, g, v, o):
        c = xp.clip(v, -3.0, 3.0)
        # `c == v` is the mask of [-3, 3]; the clipped `c` keeps an infinite `v`'s zero
        # mask a zero (a NaN `v` stays NaN)
        inside = xp.astype(c == v, g.dtype)
        return g * (inside * (c / 3.0 + 0.5) + xp.astype(v > 3.0, g.dtype))

    return _unary(x, lambda xp, v: v * xp.clip(v / 6.0 + 0.5, 0.0, 1.0), grad)


def exponential(x):
    from kerasx.ops.math import exp

    return exp(x)


def mish(x):
    """`x * tanh(softplus(x))`; the forward's tanh is kept for the gradient,
    `g * (t + x * (1 - t^2) * sigmoid(x))`."""
    x = float_input(x)

    def forward(xp, v):
        t = xp.tanh(xp.maximum(v, 0.0) + xp.log1p(xp.exp(-xp.abs(v))))
        return v * t, t

    def grad(xp, g, v, o, t):
        return g * (t + v * (1.0 - t * t) * _stable_sigmoid(xp, v))

    return _unary_keeping(x, forward, grad)


def celu(x, alpha=1.0):
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha)."""
    x = float_input(x)
    alpha = float(alpha)
    return _unary(x, lambda xp, v: (xp.maximum(v, 0.0)
                                    + alpha * xp.expm1(xp.minimum(v, 0.0) / alpha)),
                  lambda xp, g, v, o: xp.where(v > 0, g, g * xp.exp(xp.minimum(v, 0.0) / alpha)))


def hard_tanh(x):
    """x clipped to [-1, 1]; booleans give int32, as in Keras."""
    x = _bools_as_int32(x)
    return _unary(x, lambda xp, v: xp.clip(v, -1.0, 1.0),
                  lambda xp, g, v, o: xp.where((v > -1.0) & (v < 1.0), g, 0.0))


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.where(xp.abs(v) > threshold, v, 0.0),
                  lambda xp, g, v, o: xp.where(xp.abs(v) > threshold, g, 0.0))


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, 0 between."""
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.where(v > threshold, v - threshold,
                                            xp.where(v < -threshold, v + threshold, 0.0)),
                  lambda xp, g, v, o: xp.where(xp.abs(v) > threshold, g, 0.0))


def tanh_shrink(x):
    """x - tanh(x)."""
    x = float_input(x)
    def fwd(xp, v):
        return v - xp.tanh(v)

    def grad(xp, g, v, o):
        t = xp.tanh(v)
        return g * t * t

    return _unary(x, fwd, grad)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), computed stably."""
    x = float_input(x, "log_sigmoid")
    return _unary(x, lambda xp, v: xp.minimum(v, 0.0) - xp.log1p(xp.exp(-xp.abs(v))),
                  lambda xp, g, v, o: g * _stable_sigmoid(xp, -v))


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1."""
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.where(v <= -1.0, 0.0,
                                            xp.where(v < 1.0, 0.25 * (v + 1.0) ** 2, v)),
                  lambda xp, g, v, o: xp.where(v <= -1.0, 0.0,
                                               xp.where(v < 1.0, 0.5 * g * (v + 1.0), g)))


def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1."""
    x = float_input(x)
    return _unary(x, lambda xp, v: xp.where(v <= -1.0, 0.0,
                                            xp.where(v >= 1.0, 1.0, 0.5 * (v + 1.0))),
                  lambda xp, g, v, o: xp.where((v > -1.0) & (v < 1.0), 0.5 * g, 0.0))


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    x = float_input(x)
    b = float(b)

    def grad(xp, g, v, o):
        return 0.5 * g * (1.0 + v / xp.sqrt(v * v + b))

    return _unary(x, lambda xp, v: 0.5 * (v + xp.sqrt(v * v + b)), grad)


def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value."""
    return _unary(x, lambda xp, v: xp.where(v > threshold, v, float(default_value)),
                  lambda xp, g, v, o: xp.where(v > threshold, g, 0.0))


def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b) where a, b are the two halves of `x` along `axis`
    (integers read as `floatx`)."""
    x = float_input(x, "glu")
    xp = namespace()
    xv = value_of(x)
    nd = len(xv.shape)
    (ax,) = normalize_axes(axis, nd)
    n = xv.shape[ax]
    if n % 2:
        raise ValueError(
            f"glu splits axis {axis} in two halves, so its size must be even; received an input "
            f"of shape {tuple(xv.shape)}. Use an even number of features on that axis.")
    half = n // 2
    first = (slice(None),) * ax + (slice(0, half), Ellipsis)
    second = (slice(None),) * ax + (slice(half, n), Ellipsis)
    a, b = xv[first], xv[second]
    s = _stable_sigmoid(xp, b)
    out = a * s
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        return (xp.concat([g * s, g * a * s * (1.0 - s)], axis=ax),)

    return record(out, (x,), vjp)


def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (sparse softmax).

    The threshold is `(sum of the k largest values - 1) / k` for the support
    size k (Martins and Astudillo, 2016). Keras 3.15 summed the cumulative
    sums instead, which is wrong whenever k > 1 (keras-team/keras#23425,
    fixed upstream in #23469); kerasx follows the corrected definition.
    """
    x = float_input(x)
    xp = namespace()
    backend = current()
    xv = value_of(x)
    nd = len(xv.shape)
    (ax,) = normalize_axes(axis, nd)
    n = xv.shape[ax]
    z_sorted = xp.flip(xp.sort(xv, axis=ax), axis=ax)
    cumsum = xp.cumulative_sum(z_sorted, axis=ax)
    shape = [1] * nd
    shape[ax] = n
    r = xp.reshape(xp.arange(1, n + 1, dtype=xv.dtype, device=backend.device), tuple(shape))
    support = (z_sorted - (cumsum - 1.0) / r) > 0
    k = xp.sum(xp.astype(support, xv.dtype), axis=ax, keepdims=True)
    tau = (xp.sum(xp.where(support, z_sorted, 0.0), axis=ax, keepdims=True) - 1.0) / k
    out = xp.maximum(xv - tau, 0.0)
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        active = xp.astype(out > 0, g.dtype)
        count = xp.sum(active, axis=ax, keepdims=True)
        return (active * (g - xp.sum(g * active, axis=ax, keepdims=True) / count),)

    return record(out, (x,), vjp)


def prelu(x, alpha):
    """x for x > 0, alpha * x otherwise, with `alpha` broadcast against `x` (one tape node)."""
    from kerasx.autodiff.broadcast import unbroadcast

    xp = namespace()
    xv, av = value_of(x), value_of(alpha)
    positive = xv > 0
    out = xp.where(positive, xv, av * xv)
    if not tracked(x, alpha):
        return Tensor(out)
    ashape = tuple(av.shape)

    def vjp(g):
        gx = xp.where(positive, g, g * av) if getattr(x, "tracked", False) else None
        ga = (unbroadcast(xp, xp.where(positive, 0.0, g * xv), ashape)
              if getattr(alpha, "tracked", False) else None)
        return gx, ga

    return record(out, (x, alpha), vjp)


def softmax(x, axis=-1):
    """Softmax along `axis`; the output remembers its logits for a fused cross-entropy
    (and, from a backend kernel, the row maxima and sums that the cross-entropy reuses)."""
    x = float_input(x, "softmax")
    backend = current()
    xp = backend.xp
    xv = value_of(x)
    if isinstance(axis, int) and -xv.ndim <= axis < xv.ndim and xv.shape[axis] == 1:
        _warn_softmax_of_one(axis, tuple(xv.shape))
    axes = normalize_axes(axis, len(xv.shape))
    last_axis = axes == (len(xv.shape) - 1,)
    fast = backend.kernel("softmax_last_axis") if last_axis else None
    parts = None if fast is None else fast(xv)
    if parts is not None:
        out = parts[0]
    else:
        e = xp.exp(xv - xp.max(xv, axis=axes, keepdims=True))
        out = e / xp.sum(e, axis=axes, keepdims=True)
    if tracked(x):
        grad_kernel = backend.kernel("softmax_last_axis_grad") if last_axis else None

        def vjp(g):
            fast_grad = None if grad_kernel is None else grad_kernel(g, out)
            if fast_grad is not None:
                return (fast_grad,)
            return (out * (g - xp.sum(g * out, axis=axes, keepdims=True)),)

        result = record(out, (x,), vjp)
    else:
        result = Tensor(out)
    if last_axis:
        result.logits = ("softmax", x, parts)
    return result


def _warn_softmax_of_one(axis, shape):
    import warnings

    from kerasx.layers.core._shape_probes import PROBING

    if PROBING[0]:  # zero arrays standing for KerasTensors: not the user's shapes
        return
    warnings.warn(
        f"You are using a softmax over axis {axis} of a tensor of shape {shape}. This axis "
        "has size 1. The softmax operation will always return the value 1, which is likely "
        "not what you intended. Did you mean to use a sigmoid instead?", stacklevel=3)


def log_softmax(x, axis=-1):
    x = float_input(x, "log_softmax")
    xp = namespace()
    xv = value_of(x)
    axes = normalize_axes(axis, len(xv.shape))
    shifted = xv - xp.max(xv, axis=axes, keepdims=True)
    out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axes, keepdims=True))
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (g - xp.exp(out) * xp.sum(g, axis=axes, keepdims=True),))


def softmax_cross_entropy(labels, logits, sparse=False, axis=-1, probs=None):
    """Per-sample cross-entropy of `softmax(logits)` against one-hot or integer labels.

    One tape node: the forward keeps the log-softmax, the VJP is
    `g * (softmax * sum(labels) - labels)`, never differentiating through a log.
    Integer labels outside `[0, num_classes)` give a loss (and gradient) of 0, as Keras.
    `probs`: optionally `ops.softmax(logits)`, already computed; a backend kernel may
    reuse what it kept (the NumPy one: its row maxima and sums).
    """
    backend = current()
    xp = backend.xp
    zv = value_of(logits)
    tv = value_of(labels)
    nd = len(zv.shape)
    ax = axis % nd
    fast = backend.kernel("sparse_softmax_cross_entropy") if sparse and ax == nd - 1 else None
    result = None
    if fast is not None:
        remembered = getattr(probs, "logits", None)
        parts = remembered[2] if remembered is not None and remembered[1] is logits else None
        result = fast(zv, tv) if parts is None else fast(zv, tv, parts)
    if result is not None:
        out, gradient = result
        if not tracked(logits):
            return Tensor(out)

        def kernel_vjp(g):
            _ = tv  # kept in the closure: the recorded backward reads the labels here
            return None, gradient(g)

        return record(out, (labels, logits), kernel_vjp)
    shifted = zv - xp.max(zv, axis=ax, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=ax, keepdims=True))
    if sparse:
        int64 = backend.dtype("int64")
        ids = tv if tv.dtype == int64 else xp.astype(tv, int64)
        n = zv.shape[ax]
        valid = (ids >= 0) & (ids < n)
        idx = xp.expand_dims(xp.where(valid, ids, 0), axis=ax)
        out = xp.where(valid, -xp.squeeze(xp.take_along_axis(log_probs, idx, axis=ax), axis=ax), 0.0)
    else:
        out = -xp.sum(tv * log_probs, axis=ax)
    if not tracked(logits):
        return Tensor(out)

    def vjp(g):
        probs = xp.exp(log_probs)
        if sparse:
            classes = [1] * nd
            classes[ax] = n
            arange = xp.reshape(xp.arange(n, dtype=int64, device=backend.device), tuple(classes))
            g = xp.expand_dims(xp.where(valid, g, 0.0), axis=ax)
            return None, g * (probs - xp.astype(idx == arange, zv.dtype))
        g = xp.expand_dims(g, axis=ax)
        return None, g * (probs * xp.sum(tv, axis=ax, keepdims=True) - tv)

    return record(out, (labels, logits), vjp)


def sigmoid_cross_entropy(labels, logits):
    """Elementwise binary cross-entropy of `sigmoid(logits)`, computed stably."""
    xp = namespace()
    zv = value_of(logits)
    tv = value_of(labels)
    # `z * (step(z) - t)` is `max(z, 0) - z * t` without its inf - inf at infinite logits
    # (and in fewer passes than a select)
    step = xp.astype(zv >= 0, zv.dtype)
    out = zv * (step - tv) + xp.log1p(xp.exp(-xp.abs(zv)))
    if not tracked(logits):
        return Tensor(out)
    return record(out, (labels, logits), lambda g: (None, g * (_stable_sigmoid(xp, zv) - tv)))


def dropout(x, rate, noise_shape=None, seed=None):
    """Zeroes entries with probability `rate` and scales the rest by 1 / (1 - rate)."""
    if rate <= 0.0:
        return x
    xv = value_of(x)
    shape = tuple(xv.shape) if noise_shape is None else tuple(
        xv.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    keep = 1.0 - rate
    backend = current()
    mask = backend.rng.bernoulli(shape, keep, dtype=dtype_name(xv.dtype), seed=seed)
    return multiply(x, mask * (1.0 / keep))


# `keras.ops.nn` also holds these; they are implemented in modules of their own.
from kerasx.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool  # noqa: E402
from kerasx.ops.attention import dot_product_attention  # noqa: E402
from kerasx.ops.conv import conv, conv_transpose, depthwise_conv, separable_conv  # noqa: E402
from kerasx.ops.ctc import ctc_decode, ctc_loss  # noqa: E402
from kerasx.ops.nn_extra import (binary_crossentropy, categorical_crossentropy,  # noqa: E402
                                 depth_to_space, multi_hot, polar, psnr, space_to_depth,
                                 sparse_categorical_crossentropy)
from kerasx.ops.normalization import (batch_normalization, layer_normalization,  # noqa: E402
                                      moments, normalize, rms_normalization)
from kerasx.ops.patches import fold, unfold  # noqa: E402
from kerasx.ops.pooling import average_pool, max_pool  # noqa: E402
from kerasx.ops.shape import one_hot  # noqa: E402

hard_swish = hard_silu

# The names of `keras.ops.nn`; `kerasx.ops` makes each the symbolic-aware `kerasx.ops.<name>`.
__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
    "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool",
    "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu", "relu6",
    "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax",
    "softplus", "softsign", "space_to_depth", "sparse_categorical_crossentropy", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]


# -- differentiable VJPs: the backward pass recorded for gradients of gradients ----------
from kerasx.autodiff.higher_order import differentiable_vjp  # noqa: E402
from kerasx.ops.math import _mask  # noqa: E402


def _leaky_relu_rule(g, x, o, env):
    v = value_of(x)
    slope = env["negative_slope"]
    return g * (_mask(v >= 0, g) * (1.0 - slope) + slope)


differentiable_vjp(relu, lambda g, x, o, env: g * _mask(value_of(o) > 0, g))
differentiable_vjp(leaky_relu, _leaky_relu_rule)
differentiable_vjp(tanh, lambda g, x, o, env: g * (1.0 - o * o))
differentiable_vjp(sigmoid, lambda g, x, o, env: g * o * (1.0 - o))
differentiable_vjp(softplus, lambda g, x, o, env: g * sigmoid(x))

from kerasx.ops import nn_grads  # noqa: E402,F401  (the other activations' rules)
