"""Folds a batch normalization into the convolution or `Dense` layer before it, for
inference.

With its moving statistics, `BatchNormalization` is a per-channel affine map
`y * a + c` (`a = gamma / sqrt(moving_variance + epsilon)`, `c = beta -
moving_mean * a`), so after a convolution (or a `Dense` layer) without activation it
equals one convolution with the kernel scaled by `a` along its filters and the bias
`bias * a + c`: the normalization's passes over the layer's output disappear. Sequential
and functional models do this (`kerasx.models.fusion`) when nothing records a
gradient and the normalization runs in inference mode (`training` false, or the
layer frozen); the result equals the two layers' up to float rounding. When the
normalization is followed by max pooling (directly or through an activation that
commutes with max), the folded convolution runs pooled as well
(`call_with_batch_norm_and_max_pool`, `kerasx.ops.conv_pool`), and a `ReLU` layer
right after the normalization runs inside the folded layer. Training runs the
convolution, the normalization and max pooling (with an activation between them) as
one node (`kerasx.ops.conv_batch_norm_pool`, `trained_pool_call`); other training
runs the two layers as they are.
"""

import contextlib
import contextvars
import functools

from kerasx.autodiff.tape import is_recording


@functools.cache
def _layer_types():
    from kerasx.layers import BatchNormalization, Dense
    from kerasx.models.fusion import _pool_types_for

    pools = _pool_types_for()
    return BatchNormalization, frozenset(pools) | {Dense}, pools


def is_foldable(conv, bn):
    """Whether `bn(conv(x))` may be folded (the call's mode is checked in `folded_call`).
    Runs for every layer of every model call, so the type test comes first."""
    bn_type, conv_types, _ = _layer_types()
    if type(bn) is not bn_type or type(conv) not in conv_types:
        return False
    return (conv.activation is _linear() and not bn.renorm
            and is_plain(conv) and is_plain(bn))


@functools.cache
def _linear():
    from kerasx import activations

    return activations.linear


def is_plain(layer):
    """No activity regularizer, no input spec, no mixed-precision policy and no
    rematerialization (`RematScope`): nothing a fused call would skip."""
    return (layer.activity_regularizer is None
            and getattr(layer, "input_spec", None) is None
            and not getattr(layer, "_autocasts", False)
            and getattr(layer, "_remat_mode", None) is None)


# `predict`, `evaluate` and `fit`'s validation keep the folded weights of their calls here
# (keyed by the layers' variables): the weights cannot change between their batches when
# no user callback runs
_KEPT = contextvars.ContextVar("kerasx_folded_weights", default=None)


@contextlib.contextmanager
def kept_folded_weights():
    """Within it, `folded_weights` computes each layer pair's weights once."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


@contextlib.contextmanager
def folded_weights_not_kept():
    """Within it, `folded_weights` computes each call's weights afresh: a recorded step
    (`kerasx.trainers.compiled_step`) must compute them from the variables it reads,
    not take arrays kept from an earlier batch as constants."""
    token = _KEPT.set(None)
    try:
        yield
    finally:
        _KEPT.reset(token)


def folded_weights(kernel, bias, bn):
    """`(kernel, bias)` of the layer that computes `bn(y)` in inference mode for
    `y = x (*) kernel + bias`, where the last kernel axis is the normalized one."""
    kept = _KEPT.get()
    if kept is None:
        return _folded_weights(kernel, bias, bn)
    key = (id(kernel), id(bias), id(bn))
    if key not in kept:
        kept[key] = _folded_weights(kernel, bias, bn)
    return kept[key]


def _folded_weights(kernel, bias, bn):
    from kerasx.backends import current
    from kerasx.autodiff.tensor import value_of

    xp = current().xp
    a = 1.0 / xp.sqrt(value_of(bn.moving_variance) + bn.epsilon)
    if bn.gamma is not None:
        a = a * value_of(bn.gamma)
    shift = -value_of(bn.moving_mean) * a
    if bn.beta is not None:
        shift = shift + value_of(bn.beta)
    return value_of(kernel) * a, shift if bias is None else value_of(bias) * a + shift


def folded_call(conv, bn, x, training, check_only=False, relu=False):
    """`bn(conv(x))` as one folded convolution (then the ReLU with `relu`), or None when
    this call must run the layers (a gradient is recorded, the normalization trains,
    or an unusual input). With `check_only`, True instead of running when the call
    could fold."""
    if is_recording():  # first: training steps take this exit for every layer pair
        return None
    from kerasx import config
    from kerasx.layers._call_arguments import _TRAINING
    from kerasx.models.fusion import concrete_input

    if not (config.layer_fusion() and conv.built and bn.built):
        return None
    if training is None:
        training = _TRAINING.get()
    if training and bn.trainable:
        return None
    if check_only:
        return True
    x = concrete_input(conv, x)
    if x is None:
        return None
    return conv.call_with_batch_norm(x, bn, relu)


def folded_pool_call(conv, bn, between, pool, x, training):
    """`pool(between(bn(conv(x))))` as one pooled convolution with the normalization
    folded in (inference), or None when this call must run otherwise. `between` (an
    activation layer or None) and `pool` must form a fusable chain after `bn`."""
    if folded_call(conv, bn, None, training, check_only=True) is None:
        return None
    activation = _pool_chain_activation(conv, bn, between, pool)
    if activation is None:
        return None
    from kerasx.models.fusion import concrete_input

    x = concrete_input(conv, x)
    if x is None:
        return None
    return conv.call_with_batch_norm_and_max_pool(x, bn, pool, activation)


def trained_pool_call(conv, bn, between, pool, x, training):
    """`pool(between(bn(conv(x))))` as one training node with the batch's statistics
    (`kerasx.ops.conv_batch_norm_pool`), or None when this call must run otherwise (the
    normalization does not train, an unusual input, a chain that cannot fuse)."""
    from kerasx import config
    from kerasx.models.fusion import concrete_input

    if not config.layer_fusion():
        return None
    activation = _pool_chain_activation(conv, bn, between, pool)
    if activation is None:
        return None
    x = concrete_input(conv, x)
    if x is None:
        return None
    return bn.call_after_conv_with_max_pool(conv, x, pool, activation, training)


def _pool_chain_activation(conv, bn, between, pool):
    """The activation of `pool(between(bn(conv(x))))` when the built layers form a chain
    that may run as one op (a max pooling of the convolution's rank and data format,
    and an activation that commutes with max), else None."""
    from kerasx.models.fusion import fused_activation

    if not (conv.built and bn.built and pool.built):
        return None
    activation = fused_activation(bn, pool, between)
    if activation is None or type(pool) not in _layer_types()[2].get(type(conv), ()) \
            or conv.data_format != pool.data_format:
        return None
    return activation


class FoldedConvBN:
    """A functional model's plan entry for a convolution call and the batch
    normalization call that alone reads it, optionally with the chain that reads the
    normalization: an activation layer and max pooling (either may be missing), or a
    ReLU layer alone."""

    __slots__ = ("conv", "bn", "between", "pool")

    def __init__(self, conv, bn, between=None, pool=None):
        self.conv, self.bn, self.between, self.pool = conv, bn, between, pool

    def __call__(self, x, training=None):
        from kerasx.models.fusion import FusedChain

        kwargs = {} if training is None else {"training": training}
        if self.pool is not None:
            out = folded_pool_call(self.conv, self.bn, self.between, self.pool, x, training)
            if out is None:
                out = trained_pool_call(self.conv, self.bn, self.between, self.pool, x,
                                        training)
            if out is not None:
                return out
        if self.pool is None and self.between is not None:  # a ReLU layer after the pair
            out = folded_call(self.conv, self.bn, x, training, relu=True)
            if out is not None:
                return out
        out = folded_call(self.conv, self.bn, x, training)
        if out is not None:  # inference: then the activation and the pooling
            if self.pool is None:
                return out
            if self.between is None:
                return self.pool(out, **kwargs)
            return FusedChain(None, self.between, self.pool)(out, training)
        y = self.conv(x, **kwargs)
        if self.pool is None and self.between is None:
            return self.bn(y, **kwargs)
        return FusedChain(self.bn, self.between, self.pool)(y, training)
