"""`MultiHeadAttention`: scaled dot-product attention with several heads."""

__all__ = ["MultiHeadAttention"]

import math

from kerasx import ops
from kerasx.layers.activations.softmax import Softmax
from kerasx.layers.attention._keras_hooks import AttentionHooks
from kerasx.layers.attention._masks import (as_bool, check_mask, fused_attention_weights,
                                            logical_and_all)
from kerasx.layers.attention._projected import ProjectedAttention
from kerasx.layers.attention._projection import projection_equation
from kerasx.layers.regularization.dropout import Dropout


class MultiHeadAttention(AttentionHooks, ProjectedAttention):
    """Multi-head attention ("Attention is all you need", Vaswani et al., 2017).

    `query`, `key` and `value` are projected to `num_heads` heads
    (`(batch, T, num_heads, key_dim)` and so on); each query position attends to
    the key positions with `softmax(q . k / sqrt(key_dim))`, the weights mix the
    projected values, and the heads are projected back to `output_shape` (by
    default the query's last dimension). With `query`, `key` and `value` the same
    tensor this is self-attention.

    Args:
        num_heads: positive integer, the number of attention heads.
        key_dim: positive integer, the size of each head for query and key.
        value_dim: the size of each head for value (default `key_dim`).
        dropout: dropout rate applied to the attention weights in training.
        use_bias: whether the projections have biases.
        output_shape: the output's shape besides the batch and sequence axes (an
            int or a tuple); default: the query's last dimension.
        attention_axes: the query axes attention runs over (default: every axis
            between the batch and feature axes, e.g. the sequence axis of a
            `(batch, seq, dim)` input); the other axes act as batch axes.
        sliding_window: optional positive integer: a query position sees only the
            key positions less than `sliding_window` away.
        flash_attention: accepted for compatibility; the scores are always computed
            explicitly.
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties of the
            projections (the activity penalty applies to each projection's output).
        kernel_constraint, bias_constraint: constraints of the projections.
        use_gate: multiply the heads by `sigmoid(gate projection of the query)`
            before the output projection (gated attention).
        seed: integer seed of the dropout.

    Call arguments:
        query: `(batch, T, dim)`. value: `(batch, S, dim_v)`. key: optional
            `(batch, S, dim_k)`; `value` is used when omitted.
        query_mask, value_mask, key_mask: optional boolean `(batch, T)` /
            `(batch, S)` padding masks. When omitted they are read from the
            tensors' own masks (e.g. from `Embedding(mask_zero=True)`).
        attention_mask: optional boolean mask broadcastable to `(batch, T, S)`:
            True where a query position may attend to a key position.
        return_attention_scores: return `(output, weights)` with the attention weights
            `(batch, num_heads, T, S)`.
        training: apply dropout (default: the surrounding training mode).
        use_causal_mask: query position i attends only to key positions j <= i.

    All masks are combined with a logical AND; a query position that may attend to
    nothing gets all-zero weights. The output carries the query's mask. As in Keras,
    the layer consumes the masks of its inputs: after the call `query`, `value` and
    `key` carry none, so a later layer reading the same tensors sees no mask.

    Output shape: `(batch, T, *output_shape)`, plus the scores when asked for.

    The projections (`query_dense`, `key_dense`, `value_dense`, `output_dense`) are
    `EinsumDense` layers with Keras's equations (`"abc,cde->abde"` for rank-3 inputs):
    `model.quantize(...)`, `enable_lora(rank)` and `DTypePolicyMap` entries keyed by
    their paths (`"<layer path>/query"`) apply to them as in Keras.
    """

    _public_name = "MultiHeadAttention"

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                     ("value_dim", value_dim, True),
                                     ("sliding_window", sliding_window, True)):
            if optional and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"MultiHeadAttention: invalid value for argument `{arg}`, expected a positive integer"
                    f"{' or None' if optional else ''}, received {arg}={value!r}."
                )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), received "
                             f"dropout={dropout!r}.")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        self.seed = seed
        self._projected_shape = _output_shape_argument(output_shape)
        self.attention_axes = _attention_axes_argument(attention_axes)
        self._set_projection_arguments(kernel_initializer, bias_initializer, kernel_regularizer,
                                       bias_regularizer, activity_regularizer,
                                       kernel_constraint, bias_constraint)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the query, key, value (and gate) projections and the output projection
        for inputs of these shapes."""
        if value_shape is None:
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: build needs `query_shape` and "
                f"`value_shape`, received only query_shape={query_shape}."
            )
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        given_key = key_shape is not None
        key_shape = tuple(key_shape) if given_key else value_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if given_key:
            self._build_shapes["key_shape"] = key_shape
        self.attention_axes = self._normalized_axes(len(query_shape))
        self.query_dense = self._head_projection("query", query_shape, self.key_dim)
        self.key_dense = self._head_projection("key", key_shape, self.key_dim)
        if self.use_gate:
            self._gate_dense = self._head_projection("gate", query_shape, self.value_dim,
                                                     activation="sigmoid")
        self.value_dense = self._head_projection("value", value_shape, self.value_dim)
        self._softmax = Softmax(axis=-1, dtype=self._sublayer_dtype())
        self._dropout_layer = Dropout(self.dropout, seed=self.seed, dtype=self._sublayer_dtype())
        out_shape = self._projected_shape or (query_shape[-1],)
        free = len(query_shape) - 1
        equation, bias_axes = projection_equation(free, 2, len(out_shape))
        self.output_dense = self._projection(
            "attention_output", equation, (None,) * (free - 1) + tuple(out_shape), bias_axes,
            query_shape[:-1] + (self.num_heads, self.value_dim))

    def _head_projection(self, name, input_shape, size, activation=None):
        """A projection of `(batch, ..., dim)` inputs to `(batch, ..., num_heads, size)`,
        with Keras's equation for the input's rank."""
        free = len(input_shape) - 1
        equation, bias_axes = projection_equation(free, 1, 2)
        return self._projection(name, equation, (None,) * (free - 1) + (self.num_heads, size),
                                bias_axes, input_shape, activation=activation)

    def _check_shapes(self, query_shape, value_shape, key_shape):
        where = f"MultiHeadAttention {self.name!r}"
        self._check_value_key(value_shape, key_shape)
        if len(query_shape) < 3 or len(value_shape) != len(query_shape):
            raise ValueError(
                f"{where} expects `query` and `value` of the same rank, at least 3 "
                f"(batch, sequence..., features), received query_shape={query_shape} and "
                f"value_shape={value_shape}."
            )
        if query_shape[-1] is None or key_shape[-1] is None or value_shape[-1] is None:
            raise ValueError(
                f"{where} needs known feature (last) dimensions, received "
                f"query_shape={query_shape}, value_shape={value_shape}, key_shape={key_shape}."
            )

    def _normalized_axes(self, rank):
        inner = tuple(range(1, rank - 1))
        if self.attention_axes is None:
            return inner
        axes = tuple(a + rank if a < 0 else a for a in self.attention_axes)
        if any(a not in inner for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: attention_axes={self.attention_axes} are "
                f"not distinct axes between the batch and feature axes of a rank-{rank} query; "
                f"choose from {inner} (or {tuple(a - rank for a in inner)})."
            )
        return axes

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        for tensor in (query, value, key):
            if getattr(tensor, "_keras_mask", None) is not None:
                tensor._keras_mask = None
        mask = self._attention_mask(query, value, key, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        projected = (self.query_dense(query), self.key_dense(key), self.value_dense(value))
        if self._overrides_compute_attention():
            # a subclass's own attention step, called as Keras calls it
            output, scores = self._compute_attention(*projected, mask, training,
                                                     return_attention_scores)
        else:
            # as Keras: without dropout or returned scores, a rank-3 query takes the fused
            # dot-product path, which treats rows with every key masked differently
            fused = self.dropout == 0 and not return_attention_scores and len(query.shape) == 3
            output, scores = self._attend(*projected, mask, training, fused)
        if self.use_gate:
            output = ops.multiply(output, self._gate_dense(query))
        output = self.output_dense(output)
        if query_mask is not None:
            output._keras_mask = as_bool(query_mask)
        return (output, scores) if return_attention_scores else output

    def _attention_mask(self, query, value, key, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        """The AND of every mask given, broadcastable to `(batch, T, S)` (None if none)."""
        q_shape, v_shape = tuple(query.shape), tuple(value.shape)
        padding = query_mask is not None or value_mask is not None or key_mask is not None
        # as Keras, the causal and band masks run over axis 1, so a higher-rank input
        # takes them when attention runs over axis 1 alone
        band = (use_causal_mask or self.sliding_window is not None) \
            and tuple(self.attention_axes) != (1,)
        # padding masks of shape (batch, ..., length) pair the steps of the last sequence
        # axis, so a higher-rank input takes them when attention runs over that axis alone
        last_axis = (len(q_shape) - 2,)
        if len(q_shape) != 3 and ((padding and tuple(self.attention_axes) != last_axis)
                                  or band):
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: padding masks need attention_axes="
                f"{last_axis} on a query of shape {q_shape}, and use_causal_mask or "
                f"sliding_window with attention_axes other than (1,), need (batch, sequence, "
                f"features) inputs; received attention_axes={tuple(self.attention_axes)}. "
                f"Pass an explicit `attention_mask` instead."
            )
        masks = self._sequence_masks(query, value, key, query_mask, value_mask, key_mask,
                                     use_causal_mask)
        if attention_mask is not None:
            attention_mask = as_bool(attention_mask)
            batch_axes = [0] + [a for a in range(1, len(q_shape) - 1)
                                if a not in self.attention_axes]
            lead = tuple(q_shape[a] for a in batch_axes)
            axes = (tuple(q_shape[a] for a in self.attention_axes)
                    + tuple(v_shape[a] for a in self.attention_axes))
            if len(attention_mask.shape) == len(lead) + 1 + len(axes):
                # a mask per head, `(batch, num_heads, T, S)` for rank-3 inputs (as Keras)
                check_mask(self, "attention_mask", attention_mask,
                           lead + (self.num_heads,) + axes, lead + (self.num_heads,) + axes)
                head_axis = -len(axes) - 1
                masks = [ops.expand_dims(m, head_axis) for m in masks]
            else:
                check_mask(self, "attention_mask", attention_mask, lead + axes,
                           "(batch, query_length, key_length)" if len(q_shape) == 3
                           else lead + axes)
            masks.insert(0, attention_mask)
        return logical_and_all(masks)

    def _attend(self, query, key, value, mask, training, fused=False):
        """Attention of the projected `(batch, *axes, heads, size)` tensors: the output
        `(batch, *query axes, heads, value_dim)` and the weights in Keras's layout
        `(batch, *other axes, heads, *query attention axes, *key attention axes)`."""
        rank = len(query.shape)
        axes = self.attention_axes
        batch_axes = [0] + [a for a in range(1, rank - 2) if a not in axes]
        perm = batch_axes + [rank - 2] + list(axes) + [rank - 1]
        lead = tuple(query.shape[a] for a in batch_axes)
        if tuple(key.shape[a] for a in batch_axes) != lead:
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: query and key must agree on the axes "
                f"attention does not run over; received query shape "
                f"{tuple(query.shape[:-2])} and key shape {tuple(key.shape[:-2])} with "
                f"attention_axes={axes}."
            )
        q_axes = tuple(query.shape[a] for a in axes)
        k_axes = tuple(key.shape[a] for a in axes)
        merged = len(axes) > 1

        def heads_first(x, sizes):
            x = ops.transpose(x, perm)
            if merged:
                x = ops.reshape(x, lead + (self.num_heads, math.prod(sizes), x.shape[-1]))
            return x

        query = ops.multiply(query, 1.0 / math.sqrt(self.key_dim))
        q, k, v = heads_first(query, q_axes), heads_first(key, k_axes), heads_first(value, k_axes)
        logits = ops.matmul(q, ops.swapaxes(k, -1, -2))
        layout = lead + (self.num_heads,) + q_axes + k_axes
        if mask is not None:
            while len(mask.shape) < len(layout):
                mask = ops.expand_dims(mask, -2 * len(axes) - 1)
            if merged:
                mask = ops.reshape(ops.broadcast_to(mask, layout), tuple(logits.shape))
        if fused:
            weights = fused_attention_weights(logits, mask)
        else:
            weights = self._softmax(logits, mask=mask)
            weights._keras_mask = None  # the softmax passes the mask on; the weights need none
        output = ops.matmul(self._dropout_layer(weights, training=training), v)
        if merged:
            output = ops.reshape(output, lead + (self.num_heads,) + q_axes + (self.value_dim,))
            weights = ops.reshape(weights, layout)
        inverse = [perm.index(i) for i in range(rank)]
        return ops.transpose(output, inverse), weights

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None:
            self._check_value_key(value_shape, value_shape if key_shape is None else key_shape)
        if self._projected_shape:
            return query_shape[:-1] + self._projected_shape
        return query_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self._projected_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            **self._projection_config(),
            "seed": self.seed,
        }


def _output_shape_argument(output_shape):
    if not output_shape:
        return None
    if isinstance(output_shape, int):
        return (output_shape,)
    try:
        shape = tuple(int(n) for n in output_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"MultiHeadAttention: Invalid `output_shape`: {output_shape!r}; it must be an "
            "int or a tuple or list of ints."
        ) from None
    if any(n <= 0 for n in shape):
        raise ValueError(f"MultiHeadAttention: output_shape sizes must be positive, received "
                         f"output_shape={output_shape!r}.")
    return shape


def _attention_axes_argument(attention_axes):
    if attention_axes is None:
        return None
    if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
        return (attention_axes,)
    if isinstance(attention_axes, (list, tuple)) and attention_axes and all(
            isinstance(a, int) and not isinstance(a, bool) for a in attention_axes):
        return tuple(attention_axes)
    raise ValueError(
        f"MultiHeadAttention: attention_axes must be None, an int or a non-empty list/tuple of "
        f"ints, received attention_axes={attention_axes!r}."
    )
