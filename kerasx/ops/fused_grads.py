"""Differentiable VJPs of the fused nodes models run a convolution, a batch
normalization, an activation and a pooling layer as (`kerasx.ops.conv_pool`,
`batch_norm_pool`, `conv_batch_norm_pool`; see `kerasx.models.fusion`), for
gradients of gradients (`kerasx.autodiff.higher_order`).

Each rule recomputes the node's output from the unfused ops, which have rules of
their own, and runs their recorded backward (`composite_vjp`); the node keeps the
arguments those ops need (`_Conv`'s, or its VJP's `unfused` attribute).
"""

from kerasx.autodiff.higher_order import composite_vjp, differentiable_vjp
from kerasx.ops._helpers import value_of
from kerasx.ops.batch_norm_pool import batch_norm_max_pool
from kerasx.ops.conv import conv
from kerasx.ops.conv_batch_norm_pool import conv_batch_norm_max_pool
from kerasx.ops.conv_pool import conv_avg_pool, conv_global_max_pool, conv_max_pool
from kerasx.ops.nn import relu as relu_op
from kerasx.ops.normalization import batch_normalization, moments
from kerasx.ops.pooling import pool
from kerasx.ops.reduction import max as reduce_max


def _spatial_axes(rank, data_format):
    return tuple(range(2, rank)) if data_format == "channels_first" else \
        tuple(range(1, rank - 1))


def _conv_rule(finish):
    """The rule of a `conv_pool` node: `finish(y, env)` pools the activated convolution
    `y`, recomputed from `_Conv`'s arguments."""
    def rule(g, parents, out, env):
        c, relu = env["c"], env["relu"]

        def forward(x, w, b):
            y = conv(x, w, c.strides, c.padding, c.data_format, c.dilation, c.groups, bias=b)
            return finish(relu_op(y) if relu else y, env)

        return composite_vjp(forward, g, parents, (c.inputs, c.wv, c.bv))

    return rule


def _pooled(mode):
    def finish(y, env):
        c = env["c"]
        size, strides, padding = c.pool
        return pool(y, size, strides, padding, c.data_format, mode)

    return finish


def _global_max(y, env):
    return reduce_max(y, axis=_spatial_axes(len(y.shape), env["c"].data_format),
                      keepdims=env["keepdims"])


differentiable_vjp(conv_max_pool, _conv_rule(_pooled("max")))
differentiable_vjp(conv_avg_pool, _conv_rule(_pooled("average")))
differentiable_vjp(conv_global_max_pool, _conv_rule(_global_max))


def _normalized_max_pool(y, scale, offset, data_format, unfused, relu):
    """`max_pool(act(batch_norm(y)))` with `y`'s own statistics, as unfused ops."""
    rank = len(y.shape)
    channel = 1 if data_format == "channels_first" else rank - 1
    mean, variance = moments(y, tuple(a for a in range(rank) if a != channel))
    y = batch_normalization(y, mean, variance, channel, offset, scale, unfused["epsilon"])
    size, strides, padding = unfused["pool"]
    return pool(relu_op(y) if relu else y, size, strides, padding, data_format, "max")


def _values_of(*xs):
    return tuple(None if x is None else value_of(x) for x in xs)


@differentiable_vjp(batch_norm_max_pool)
def _batch_norm_max_pool_rule(g, parents, out, env):
    def forward(x, scale, offset):
        return _normalized_max_pool(x, scale, offset, env["data_format"], env["unfused"],
                                    env["relu"])

    return composite_vjp(forward, g, parents, _values_of(env["inputs"], env["scale"],
                                                        env["offset"]))


@differentiable_vjp(conv_batch_norm_max_pool)
def _conv_batch_norm_max_pool_rule(g, parents, out, env):
    unfused, data_format = env["unfused"], env["data_format"]
    strides, padding, dilation, groups = unfused["conv"]

    def forward(x, w, b, scale, offset):
        y = conv(x, w, strides, padding, data_format, dilation, groups, bias=b)
        return _normalized_max_pool(y, scale, offset, data_format, unfused, unfused["relu"])

    return composite_vjp(forward, g, parents, _values_of(
        env["inputs"], env["kernel"], env["bias"], env["scale"], env["offset"]))
