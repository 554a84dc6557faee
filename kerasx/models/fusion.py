"""Runs a convolution layer and the pooling layer that reads it as one op.

Sequential and functional models fuse a `Conv1D`/`Conv2D`/`Conv3D` layer with the
`MaxPooling1D`/`2D`/`3D` or `GlobalMaxPooling1D`/`2D`/`3D` layer (same data format)
that alone reads its output, optionally through an `Activation` or default `ReLU`
layer between them (the convolution then has no activation of its own). An
activation layer followed by max pooling alone (after a batch normalization, say)
pools first as well. A convolution and the `AveragePooling1D`/`2D`/`3D` layer after
it are one op too when the activation between them is ReLU or none: average pooling
does not commute with an activation, so `kerasx.ops.conv_avg_pool` applies it to
every position before averaging.

The activation must be ReLU, the identity or strictly increasing (sigmoid, tanh,
ELU, SELU, softplus, softsign, exponential, leaky ReLU, CELU): max pooling commutes
with those, so `kerasx.ops.conv_pool` pools the raw convolution, then adds the bias
and applies the activation on the pooled output, and skips the convolution
positions no window reads. The result is that of the layers run one by one (see
`kerasx.ops.conv_pool` for tie-breaking; a saturating activation such as sigmoid
can also tie windows whose raw maxima differ, and their vanishing gradients may
then reach another position).

Anything unusual about a call (a symbolic or masked input, a layer not built yet,
an input spec, an activity regularizer, a subclass of any of the layers) runs the
layers one by one instead. In training, a `BatchNormalization` followed by max
pooling (directly or through such an activation layer) is one node as well
(`kerasx.ops.batch_norm_pool`: the normalization is a per-channel affine map with
the batch's statistics, so it also commutes with max, turning it into min where
its scale is negative), together with the convolution right before it when the
pooling windows tile the convolution output (`kerasx.ops.conv_batch_norm_pool`), and
without pooling a `BatchNormalization` and the `ReLU` layer after it are one node
(the ReLU in the normalization's last pass). For inference, a batch normalization
right after a convolution is folded into it (`kerasx.models.batch_norm_folding`).
`kerasx.config.set_layer_fusion(False)` turns all of this off.
"""

import functools

from kerasx import activations, config
from kerasx.autodiff.tensor import Tensor
from kerasx.models.batch_norm_folding import (FoldedConvBN, folded_call, folded_pool_call,
                                              is_foldable, is_plain, trained_pool_call)


@functools.cache
def _pool_types_for():
    from kerasx.layers import (Conv1D, Conv2D, Conv3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                               GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)

    return {Conv1D: (MaxPooling1D, GlobalMaxPooling1D),
            Conv2D: (MaxPooling2D, GlobalMaxPooling2D),
            Conv3D: (MaxPooling3D, GlobalMaxPooling3D)}


@functools.cache
def _average_pool_types_for():
    from kerasx.layers import (AveragePooling1D, AveragePooling2D, AveragePooling3D, Conv1D,
                               Conv2D, Conv3D)

    return {Conv1D: AveragePooling1D, Conv2D: AveragePooling2D, Conv3D: AveragePooling3D}


@functools.cache
def _pools_after_normalization():
    from kerasx.layers import BatchNormalization, MaxPooling1D, MaxPooling2D, MaxPooling3D

    return BatchNormalization, (MaxPooling1D, MaxPooling2D, MaxPooling3D)


def _pools_after(layer):
    """The pooling layer types that may be fused after `layer` (a convolution or a batch
    normalization)."""
    normalization, pools = _pools_after_normalization()
    if type(layer) is normalization:
        return pools
    return _pool_types_for().get(type(layer), ())


@functools.cache
def _max_pool_types():
    return frozenset(t for pair in _pool_types_for().values() for t in pair)


@functools.cache
def _commuting_activations():
    a = activations
    return (a.relu, a.linear, a.sigmoid, a.tanh, a.elu, a.selu, a.softplus, a.softsign,
            a.exponential, a.leaky_relu, a.celu)


@functools.cache
def _activation_layer_types():
    from kerasx.layers import Activation, ReLU

    return Activation, ReLU


def layer_activation(layer):
    """The activation an `Activation` or default `ReLU` layer applies, else None."""
    Activation, ReLU = _activation_layer_types()
    if type(layer) is Activation:
        return layer.activation
    if (type(layer) is ReLU and layer.max_value is None and layer.negative_slope == 0.0
            and layer.threshold == 0.0):
        return activations.relu
    return None


def fused_activation(conv, pool, between=None):
    """The activation of `pool(between(conv(x)))` run as one op, or None when these
    layers cannot be fused (checked again at every call). `conv` may be None: an
    activation layer and the pooling after it then pool first."""

    if conv is None:
        if type(pool) not in _max_pool_types() or not (is_plain(pool) and is_plain(between)):
            return None
        activation = layer_activation(between)
    else:
        average = type(pool) is _average_pool_types_for().get(type(conv))
        if (not (average or type(pool) in _pools_after(conv))
                or getattr(conv, "data_format", pool.data_format) != pool.data_format
                or not (is_plain(conv) and is_plain(pool))):
            return None
        activation = getattr(conv, "activation", activations.linear)
        if between is not None:
            if activation is not activations.linear or not is_plain(between):
                return None
            activation = layer_activation(between)
        if average:  # applied before the averaging, by the fused op itself
            return activation if activation in (activations.relu, activations.linear) else None
    return activation if activation in _commuting_activations() else None


def normalization_activation(bn, between):
    """The ReLU when `between` is a ReLU layer that the batch normalization `bn` can
    apply in its own training node, else None."""
    normalization, _ = _pools_after_normalization()
    if type(bn) is not normalization or not (is_plain(bn) and is_plain(between)):
        return None
    activation = layer_activation(between)
    return activation if activation is activations.relu else None


def fused_call(conv, pool, x, between=None, training=None):
    """`pool(between(conv(x)))` as one op (`conv` may be None, or a batch normalization;
    `pool` None for a normalization and its ReLU), or None when this call must run
    layer by layer."""
    if not (config.layer_fusion() and (pool is None or pool.built)
            and (conv is None or conv.built)):
        return None
    if pool is None:
        activation = normalization_activation(conv, between)
    else:
        activation = fused_activation(conv, pool, between)
    if activation is None:
        return None
    x = concrete_input(conv or between, x)
    if x is None:
        return None
    if conv is None:
        return activation(pool(x))
    if pool is None:
        return conv.call_with_activation(x, activation, training=training)
    return conv.call_with_pool(x, pool, activation, training=training)


def concrete_input(layer, x):
    """`x` as `layer` would take it (a Tensor), or None for an input that must go
    through the layers one by one (symbolic, structured or masked)."""
    if not isinstance(x, Tensor):
        from kerasx.layers.core.keras_tensor import KerasTensor

        if isinstance(x, KerasTensor) or isinstance(x, (list, tuple, dict)):
            return None
        return layer._convert_inputs(x)
    return None if x._keras_mask is not None else x


def _chain_at(layers, i):
    """`(conv or None, between or None, pool)` when `layers[i:]` starts with a fusable
    chain, else None."""
    first = layers[i]
    if i + 1 >= len(layers):
        return None
    if not hasattr(first, "call_with_pool"):
        if fused_activation(None, layers[i + 1], first) is not None:
            return None, first, layers[i + 1]
        return None
    if fused_activation(first, layers[i + 1]) is not None:
        return first, None, layers[i + 1]
    if i + 2 < len(layers) and fused_activation(first, layers[i + 2], layers[i + 1]) is not None:
        return first, layers[i + 1], layers[i + 2]
    if normalization_activation(first, layers[i + 1]) is not None:
        return first, layers[i + 1], None
    return None


def run_sequence(layers, x, training):
    """Calls `layers` in turn on `x`, fusing each convolution with the pooling after it
    (and, for inference, folding a batch normalization into the convolution before it)."""
    i, n = 0, len(layers)
    enabled = config.layer_fusion()
    while i < n:
        if enabled and i + 1 < n and is_foldable(layers[i], layers[i + 1]):
            tail = _chain_at(layers, i + 1)  # the normalization starts it, if any
            if tail is not None:
                # for inference: the folded layer pooled, or with the ReLU layer inside it;
                # in training: convolution, normalization and pooling as one node
                if tail[2] is None:
                    out = folded_call(layers[i], tail[0], x, training, relu=True)
                else:
                    out = folded_pool_call(layers[i], *tail, x, training)
                    if out is None:
                        out = trained_pool_call(layers[i], *tail, x, training)
                if out is not None:
                    x = out
                    i += 1 + sum(layer is not None for layer in tail)
                    continue
            out = folded_call(layers[i], layers[i + 1], x, training)
            if out is not None:
                x = out
                i += 2
                continue
        chain = _chain_at(layers, i) if enabled else None
        if chain is not None:
            conv, between, pool = chain
            out = fused_call(conv, pool, x, between, training)
            if out is not None:
                x = out
                i += sum(layer is not None for layer in chain)
                continue
        x = layers[i](x, training=training)
        i += 1
    return x


class FusedChain:
    """A functional model's plan entry for a chain of calls (convolution, activation
    layer, pooling; convolution or activation optional), each alone reading the one
    before."""

    __slots__ = ("conv", "between", "pool")

    def __init__(self, conv, between, pool):
        self.conv, self.between, self.pool = conv, between, pool

    def __call__(self, x, training=None):
        out = fused_call(self.conv, self.pool, x, self.between, training)
        if out is not None:
            return out
        kwargs = {} if training is None else {"training": training}
        if self.conv is not None:
            x = self.conv(x, **kwargs)
            if self.between is not None and self.pool is not None:  # it may still pool first
                out = fused_call(None, self.pool, x, self.between, training)
                if out is not None:
                    return out
        for layer in (self.between, self.pool):
            if layer is not None:
                x = layer(x, **kwargs)
        return x


def fuse_plan(plan, output_ids, consumers):
    """`plan` (functional call steps `(layer, single input id, node, output ids)`) with
    each fusable chain of steps merged into one.

    `consumers` counts the steps reading each tensor id; `output_ids` are the
    model's outputs, which must stay materialized.
    """
    by_input = {}
    for index, (_, single, _, _) in enumerate(plan):
        if single is not None:
            by_input.setdefault(single, index)

    def sole_reader(step):
        """The index of the one single-input step reading `step`'s only output, or None."""
        out_ids = step[3]
        if len(out_ids) != 1 or out_ids[0] in output_ids or consumers.get(out_ids[0]) != 1:
            return None
        return by_input.get(out_ids[0])

    fused, skip = [], set()
    for index, step in enumerate(plan):
        if index in skip:
            continue
        nxt = sole_reader(step) if step[1] is not None else None
        if nxt is not None and is_foldable(step[0], plan[nxt][0]):
            # the normalization may start a pooling chain of its own (for training)
            tail = _functional_chain(plan, nxt, sole_reader)
            between, pool = (None, None) if tail is None else (
                None if i is None else plan[i][0] for i in tail[1:])
            used = [nxt] + ([] if tail is None else [i for i in tail[1:] if i is not None])
            skip.update(used)
            fused.append((FoldedConvBN(step[0], plan[nxt][0], between, pool), step[1], None,
                          plan[used[-1]][3]))
            continue
        chain = _functional_chain(plan, index, sole_reader)
        if chain is None:
            fused.append(step)
            continue
        used = [i for i in chain if i is not None]
        skip.update(i for i in used if i != index)
        conv, between, pool = (None if i is None else plan[i][0] for i in chain)
        fused.append((FusedChain(conv, between, pool), step[1], None, plan[used[-1]][3]))
    return fused


def _functional_chain(plan, index, sole_reader):
    """The plan indices `(conv, between, pool)` (None for a missing one) of a fusable
    chain starting at `index`, or None."""
    first, single = plan[index][0], plan[index][1]
    if single is None:
        return None
    nxt = sole_reader(plan[index])
    if nxt is None:
        return None
    if not hasattr(first, "call_with_pool"):
        if fused_activation(None, plan[nxt][0], first) is not None:
            return None, index, nxt
        return None
    if fused_activation(first, plan[nxt][0]) is not None:
        return index, None, nxt
    last = sole_reader(plan[nxt])
    if last is not None and fused_activation(first, plan[last][0], plan[nxt][0]) is not None:
        return index, nxt, last
    if normalization_activation(first, plan[nxt][0]) is not None:
        return index, nxt, None
    return None
