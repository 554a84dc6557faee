"""Runs a convolution layer and the max pooling layer that reads it as one op.

Sequential and functional models call `fused_call` for a `Conv1D`/`Conv2D`/
`Conv3D` layer (ReLU or no activation) whose output only a `MaxPooling1D`/`2D`/
`3D` layer of the same data format reads; `kerasx.ops.conv_pool` then pools
before the bias and the ReLU and skips the convolution positions no window
reads. The result is the same as running the two layers (see that module for
the one difference in tie-breaking). Anything unusual about a call (a symbolic
or masked input, a layer not built yet, an input spec, an activity
regularizer, a subclass of either layer) runs the layers one by one instead.
"""

import functools

from kerasx.autodiff.tensor import Tensor

_ENABLED = True  # tests switch this off to compare with the layer-by-layer run


@functools.cache
def _pool_type_for():
    from kerasx.layers import (Conv1D, Conv2D, Conv3D, MaxPooling1D, MaxPooling2D,
                               MaxPooling3D)

    return {Conv1D: MaxPooling1D, Conv2D: MaxPooling2D, Conv3D: MaxPooling3D}


def is_fusable(conv, pool):
    """Whether `pool(conv(x))` may run as one op (checked again at every call)."""
    from kerasx import activations

    return (_pool_type_for().get(type(conv)) is type(pool)
            and conv.activation in (activations.relu, activations.linear)
            and conv.activity_regularizer is None and pool.activity_regularizer is None
            and conv.data_format == pool.data_format
            and getattr(conv, "input_spec", None) is None
            and getattr(pool, "input_spec", None) is None)


def fused_call(conv, pool, x):
    """`pool(conv(x))` as one op, or None when this call must run layer by layer."""
    if not (_ENABLED and conv.built and pool.built and is_fusable(conv, pool)):
        return None
    if not isinstance(x, Tensor):
        from kerasx.layers.core.input_layer import KerasTensor

        if isinstance(x, KerasTensor) or isinstance(x, (list, tuple, dict)):
            return None
        x = conv._convert_inputs(x)
    elif x._keras_mask is not None:
        return None
    return conv.call_with_max_pool(x, pool)


def run_sequence(layers, x, training):
    """Calls `layers` in turn on `x`, fusing each convolution with the pooling after it."""
    i, n = 0, len(layers)
    while i < n:
        layer = layers[i]
        if i + 1 < n:
            out = fused_call(layer, layers[i + 1], x) if hasattr(layer, "call_with_max_pool") \
                else None
            if out is not None:
                x = out
                i += 2
                continue
        x = layer(x, training=training)
        i += 1
    return x


class FusedPair:
    """A functional model's plan entry for a convolution call and the pooling call
    that alone reads its output."""

    __slots__ = ("conv", "pool")

    def __init__(self, conv, pool):
        self.conv, self.pool = conv, pool

    def __call__(self, x, training=None):
        out = fused_call(self.conv, self.pool, x)
        if out is None:
            kwargs = {} if training is None else {"training": training}
            out = self.pool(self.conv(x, **kwargs), **kwargs)
        return out


def fuse_plan(plan, output_ids, consumers):
    """`plan` (functional call steps `(layer, single input id, node, output ids)`) with
    each fusable convolution step merged into the pooling step that alone reads it.

    `consumers` counts the steps reading each tensor id; `output_ids` are the
    model's outputs, which must stay materialized.
    """
    by_input = {}
    for index, (layer, single, _, _) in enumerate(plan):
        if single is not None:
            by_input.setdefault(single, index)
    fused, skip = [], set()
    for index, step in enumerate(plan):
        if index in skip:
            continue
        layer, single, node, out_ids = step
        if (single is not None and len(out_ids) == 1 and hasattr(layer, "call_with_max_pool")
                and out_ids[0] not in output_ids and consumers.get(out_ids[0]) == 1):
            reader = by_input.get(out_ids[0])
            if reader is not None and is_fusable(layer, plan[reader][0]):
                pool_step = plan[reader]
                fused.append((FusedPair(layer, pool_step[0]), single, None, pool_step[3]))
                skip.add(reader)
                continue
        fused.append(step)
    return fused
