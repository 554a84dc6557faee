"""Differentiable VJPs of the normalizations, for gradients of gradients
(`kerasx.autodiff.higher_order`).

Each normalization is one fused node; its differentiable rule recomputes the
forward from recorded kerasx ops (means, square roots, products) and runs their
recorded backward (`composite_vjp`), reading the op's arguments from the
first-order VJP closure by the names in `kerasx.ops.normalization`. The backend
kernels' closures (`_fast_layer_norm`, `_fused_batch_norm_kernel`) keep no normalized
copy of an input that takes no gradient: the rule reads it back from the output, or,
where a scale is 0 and the output does not tell, normalizes the input again.
"""

from kerasx.autodiff.higher_order import composite_vjp, differentiable_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.math import _mask, sqrt, where
from kerasx.ops.normalization import (_fast_layer_norm, _fused_batch_norm_kernel,
                                      batch_normalization, fused_batch_normalization,
                                      layer_normalization, moments, normalize,
                                      rms_normalization)
from kerasx.ops.reduction import _expand_back_recorded, mean
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import reshape


def _lifted(p, bshape):
    """A per-feature parameter (a Tensor or an array; None stays None) reshaped to broadcast."""
    if p is None or tuple(p.shape) == tuple(bshape):
        return p
    return reshape(Tensor(p) if current().is_native(p) else p, tuple(bshape))


def _normalized(x, axes, eps, rms_scaling=False):
    centered = x - mean(x, axis=axes, keepdims=True)
    rinv = 1.0 / sqrt(mean(centered * centered, axis=axes, keepdims=True) + eps)
    return (x if rms_scaling else centered) * rinv


def _scaled(xhat, scale, offset, bshape):
    out = xhat if scale is None else xhat * _lifted(scale, bshape)
    return out if offset is None else out + _lifted(offset, bshape)


def _bshape(shape, axes):
    return tuple(n if i in axes else 1 for i, n in enumerate(shape))


@differentiable_vjp(layer_normalization)
def _layer_normalization_rule(g, parents, out, env):
    axes, rms, eps = env["axes"], env["rms_scaling"], env["eps"]
    shape = tuple(g.shape)
    bshape = _bshape(shape, axes)
    beta = env["bv"] if env["use_beta"] else None

    def forward(x, gamma, beta):
        xhat = _normalized(x, axes, eps, rms) if x is not None else Tensor(env["xhat"])
        return _scaled(xhat, gamma, beta, bshape)

    return composite_vjp(forward, g, parents, (None, env["gv"], beta))


def _constant_xhat(env, out, scale, offset, bshape, axes, eps):
    """The normalized constant input of a kernel that kept none (normalized over `axes`),
    from its output `xhat * scale + offset` (arrays; None for a missing parameter; both
    of broadcast shape `bshape`), or, where a scale is 0 and the output does not tell,
    by normalizing the input again (`env["x"]`, which the closure holds)."""
    xp = current().xp
    y = out if offset is None else out - xp.reshape(offset, bshape)
    if scale is None:
        return Tensor(y)
    scale = xp.reshape(scale, bshape)
    if bool(xp.any(scale == 0)):
        return _normalized(Tensor(value_of(env["x"])), axes, eps)
    return Tensor(y / scale)


@differentiable_vjp(_fast_layer_norm)
def _fast_layer_norm_rule(g, parents, out, env):
    axes = (len(g.shape) - 1,)
    bshape = _bshape(tuple(g.shape), axes)
    xhat = None
    if parents[0] is None:  # the kernel kept no copy of the constant input
        xhat = _constant_xhat(env, value_of(out), env["gv"], env["bv"], bshape, axes,
                              env["eps"])

    def forward(x, gamma, beta):
        xhat_ = xhat if x is None else _normalized(x, axes, env["eps"])
        return _scaled(xhat_, gamma, beta, bshape)

    return composite_vjp(forward, g, parents, (None, env["gv"], env["bv"]))


def _training_batch_norm(g, parents, env, red, relu_out, xhat):
    """The rule of both training batch normalizations: `relu_out` is the output when
    the ReLU was fused (its mask is constant), `red` the reduced axes, `xhat` the
    normalized input (used where the input is a constant)."""
    shape = tuple(g.shape)
    bshape = tuple(1 if i in red else n for i, n in enumerate(shape))
    if relu_out is not None:
        g = g * _mask(value_of(relu_out) > 0, g)

    def forward(x, scale, offset):
        xhat_ = xhat if x is None else _normalized(x, red, env["epsilon"])
        return _scaled(xhat_, scale, offset, bshape)

    return composite_vjp(forward, g, parents, (None, env["sv"], None))


@differentiable_vjp(fused_batch_normalization)
def _fused_batch_normalization_rule(g, parents, out, env):
    return _training_batch_norm(g, parents, env, env["red"], env["out"] if env["relu"] else None,
                                Tensor(env["xhat"]))


@differentiable_vjp(_fused_batch_norm_kernel)
def _fused_batch_norm_kernel_rule(g, parents, out, env):
    red = tuple(range(len(g.shape) - 1))
    xhat = None
    if parents[0] is None:  # the kernel kept no copy of the constant input
        # where a fused ReLU zeroed the output, the gradient is masked: any value will do
        offset = env["offset"]
        xhat = _constant_xhat(env, env["out"], env["sv"],
                              None if offset is None else value_of(offset),
                              tuple(1 if i in red else n for i, n in enumerate(g.shape)), red,
                              env["epsilon"])
    return _training_batch_norm(g, parents, env, red, env["out"] if env["relu"] else None, xhat)


@differentiable_vjp(batch_normalization)
def _batch_normalization_rule(g, parents, out, env):
    bshape = tuple(env["m"].shape)
    eps = env["epsilon"]

    def forward(x, m, v, offset, scale):
        rinv = 1.0 / sqrt(_lifted(v, bshape) + eps)
        return _scaled((x - _lifted(m, bshape)) * rinv, scale, offset, bshape)

    constants = (env["xv"], env["mv"], env["vv"], env["ov"], env["sv"])
    return composite_vjp(forward, g, parents, constants)


@differentiable_vjp(rms_normalization)
def _rms_normalization_rule(g, parents, out, env):
    axes, eps = env["axes"], env["eps"]
    bshape = _bshape(tuple(g.shape), axes)

    def forward(x, scale):
        if x is None:
            xhat = Tensor(env["xhat"])
        else:
            xhat = x * (1.0 / sqrt(mean(x * x, axis=axes, keepdims=True) + eps))
        return _scaled(xhat, scale, None, bshape)

    return composite_vjp(forward, g, parents, (None, env["sv"]))


@differentiable_vjp(normalize)
def _normalize_rule(g, parents, out, env):
    # below epsilon the norm is replaced by the constant epsilon: a constant factor there
    limited, inv = env["limited"], env["inv"]

    def forward(x):
        square_sum = reduce_sum(x * x, axis=env["axes"], keepdims=True)
        safe = where(Tensor(limited), 1.0, square_sum)
        return x * where(Tensor(limited), Tensor(inv), 1.0 / sqrt(safe))

    return composite_vjp(forward, g, parents, (None,))


@differentiable_vjp(moments)
def _moments_rule(grads, parents, outs, env):
    x = parents[0]
    g_mean, g_var = grads
    shape, kshape, count = env["shape"], env["kshape"], env["count"]
    axes = tuple(i for i, (n, k) in enumerate(zip(shape, kshape)) if k == 1 and n != 1)
    total = None
    if g_mean is not None:
        total = _expand_back_recorded(reshape(g_mean, kshape) / count, axes, True, shape)
    if g_var is not None:
        centered = x - mean(x, axis=axes, keepdims=True) if axes else x - x
        part = reshape(g_var, kshape) * centered * (2.0 / count)
        total = part if total is None else total + part
    return (total,)
