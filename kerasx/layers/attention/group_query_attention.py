"""`GroupQueryAttention`: attention whose query heads share fewer key/value heads."""

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]

import math

from kerasx import ops
from kerasx.layers.activations.softmax import Softmax
from kerasx.layers.attention._masks import (as_bool, check_mask,
                                            fused_attention_weights, logical_and_all,
                                            with_causal_mask)
from kerasx.layers.attention._projected import ProjectedAttention
from kerasx.layers.regularization.dropout import Dropout


class GroupedQueryAttention(ProjectedAttention):
    """Grouped-query attention (Ainslie et al., 2023), public as `GroupQueryAttention`.

    `query` is projected to `num_query_heads` heads and `key` / `value` to
    `num_key_value_heads` heads of size `head_dim`; query head `i` attends with
    key/value head `i // (num_query_heads // num_key_value_heads)` (the key and
    value heads repeated, as `ops.repeat` along the head axis). The weights are
    `softmax(q . k / sqrt(head_dim))`, the heads mix the values and are projected
    back to the query's feature size. `num_key_value_heads=1` is multi-query
    attention, `num_key_value_heads == num_query_heads` multi-head attention.

    Args:
        head_dim: positive integer, the size of each head.
        num_query_heads: positive integer, the number of query heads.
        num_key_value_heads: positive integer dividing `num_query_heads`, the number
            of key and value heads (groups).
        dropout: dropout rate applied to the attention weights in training.
        use_bias: whether the projections have biases.
        sliding_window: optional positive integer: a query position sees only the
            key positions less than `sliding_window` away.
        flash_attention: accepted for compatibility (the weights are always computed
            explicitly); True refuses `dropout > 0` and `return_attention_scores`, as
            Keras's flash kernel does.
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties of the
            projections (the activity penalty applies to each projection's output, and
            to the layer's outputs, as in Keras).
        kernel_constraint, bias_constraint: constraints of the projections.
        use_gate: multiply the heads by `sigmoid(gate projection of the query)`
            before the output projection (gated attention).
        seed: integer seed of the dropout.

    Call arguments:
        query: `(batch, T, dim)`. value: `(batch, S, dim_v)`. key: optional
            `(batch, S, dim_k)`; `value` is used when omitted.
        query_mask, value_mask, key_mask: optional boolean `(batch, T)` /
            `(batch, S)` padding masks, read from the tensors' own masks (e.g. from
            `Embedding(mask_zero=True)`) when omitted.
        attention_mask: optional boolean mask broadcastable to `(batch, T, S)`:
            True where a query position may attend to a key position.
        return_attention_scores: return `(output, weights)` with the attention
            weights `(batch, num_query_heads, T, S)`.
        training: apply dropout (default: the surrounding training mode).
        use_causal_mask: query position i attends only to key positions j <= i.

    All masks are combined with a logical AND; a query position that may attend to
    nothing gets all-zero weights. The output carries the query's mask.

    Output shape: `(batch, T, dim)`, plus the weights when asked for.
    Weights (Keras's order and shapes): `query` kernel `(dim, num_query_heads,
    head_dim)` and bias, `key` and `value` kernels `(dim_k, num_key_value_heads,
    head_dim)` and biases (the `gate` projection between them with `use_gate`), and
    the `attention_output` kernel `(num_query_heads, head_dim, dim)` and bias.
    """

    # the name Keras exports the class under and writes in saved configs
    _keras_class_name = _public_name = "GroupQueryAttention"

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        for arg, value, optional in (("head_dim", head_dim, False),
                                     ("num_query_heads", num_query_heads, False),
                                     ("num_key_value_heads", num_key_value_heads, False),
                                     ("sliding_window", sliding_window, True)):
            if optional and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"GroupQueryAttention: `{arg}` must be a positive integer"
                    f"{' or None' if optional else ''}, received {arg}={value!r}.")
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"GroupQueryAttention: `num_query_heads` must be divisible by "
                f"`num_key_value_heads`, received num_query_heads={num_query_heads} and "
                f"num_key_value_heads={num_key_value_heads}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"GroupQueryAttention: dropout must be in [0, 1), received "
                             f"dropout={dropout!r}.")
        if flash_attention and dropout > 0.0:
            raise ValueError(
                "GroupQueryAttention: dropout is not supported with flash_attention=True; "
                f"set dropout=0.0 or flash_attention=None (received dropout={dropout}).")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self._flash_attention = bool(flash_attention)
        self.seed = seed
        self._set_projection_arguments(kernel_initializer, bias_initializer, kernel_regularizer,
                                       bias_regularizer, activity_regularizer,
                                       kernel_constraint, bias_constraint)
        # as in Keras, the penalty also applies to the layer's outputs (and scores)
        self.activity_regularizer = self.projection_activity_regularizer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections for inputs of these shapes (in Keras's order: query,
        key, gate, value, attention_output)."""
        if value_shape is None:
            raise ValueError(f"GroupQueryAttention {self.name!r}: build needs `query_shape` "
                             f"and `value_shape`, received only query_shape={query_shape}.")
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        given_key = key_shape is not None
        key_shape = tuple(key_shape) if given_key else value_shape
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"GroupQueryAttention {self.name!r} expects `{what}` of shape (batch, "
                    f"sequence, features) with a known feature size, received {shape}.")
        if value_shape[1] is not None and key_shape[1] is not None \
                and value_shape[1] != key_shape[1]:
            raise ValueError(
                f"GroupQueryAttention {self.name!r}: `key` and `value` must have the same "
                f"sequence length, received value_shape={value_shape} and "
                f"key_shape={key_shape}.")
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if given_key:
            self._build_shapes["key_shape"] = key_shape
        self.feature_dim = query_shape[-1]
        q_heads = (None, self.num_query_heads, self.head_dim)
        kv_heads = (None, self.num_key_value_heads, self.head_dim)
        q_bias, kv_bias = "uh", "vh"
        self._query_dense = self._projection("query", "bqm,muh->bquh", q_heads, q_bias,
                                             query_shape)
        self._key_dense = self._projection("key", "bkm,mvh->bkvh", kv_heads, kv_bias, key_shape)
        if self.use_gate:
            self._gate_dense = self._projection("gate", "bqm,muh->bquh", q_heads, q_bias,
                                                query_shape, activation="sigmoid")
        self._value_dense = self._projection("value", "bkm,mvh->bkvh", kv_heads, kv_bias,
                                             value_shape)
        self._softmax = Softmax(axis=-1, dtype=self._sublayer_dtype())
        self._dropout_layer = Dropout(self.dropout, seed=self.seed, dtype=self._sublayer_dtype())
        self._output_dense = self._projection("attention_output", "bquh,uhm->bqm",
                                              (None, self.feature_dim), "m",
                                              (None, None) + q_heads[1:])

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                f"GroupQueryAttention {self.name!r}: return_attention_scores=True is not "
                "supported with flash_attention=True; build the layer with "
                "flash_attention=None to get the scores.")
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        mask = self._attention_mask(query, value, key, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        # as Keras: without dropout or returned scores the fused dot-product path runs
        fused = self.dropout == 0 and not return_attention_scores
        projected = (self._query_dense(query), self._key_dense(key), self._value_dense(value))
        if type(self)._compute_attention is not GroupedQueryAttention._compute_attention:
            # a subclass's own attention step, called as Keras calls it: on key and value
            # with their heads repeated up to the query's
            q, k, v = projected
            k, v = (ops.repeat(t, self.num_repeats, axis=2) for t in (k, v))
            output, scores = self._compute_attention(q, k, v, mask, training)
        else:
            output, scores = self._attend(*projected, mask, training, fused)
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if not return_attention_scores:
            return output  # the query's mask is passed on by `Layer`
        if getattr(query, "_keras_mask", None) is not None:
            output._keras_mask = query._keras_mask
        return output, scores

    def _attention_mask(self, query, value, key, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        """The AND of every mask given, broadcastable to `(batch, T, S)` (None if none)."""
        q_shape, v_shape = tuple(query.shape), tuple(value.shape)
        masks = self._sequence_masks(query, value, key, query_mask, value_mask, key_mask,
                                     use_causal_mask)
        if attention_mask is not None:
            attention_mask = as_bool(attention_mask)
            check_mask(self, "attention_mask", attention_mask, (q_shape[0], q_shape[1],
                                                                v_shape[1]),
                       "(batch, query_length, key_length)")
            masks.insert(0, attention_mask)
        return logical_and_all(masks)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Keras's override point: attention of the projected `(batch, T, query_heads,
        head_dim)` query and `(batch, S, query_heads, head_dim)` key and value (heads
        already repeated); returns the output and the `(batch, query_heads, T, S)`
        weights. `attention_mask` is boolean `(batch, T, S)`; with `use_causal_mask` a
        causal mask is combined with it."""
        attention_mask = with_causal_mask(query, key, attention_mask, use_causal_mask)
        fused = self.dropout == 0 and not return_attention_scores
        return self._attend(query, key, value, attention_mask, training, fused,
                            groups=key.shape[2])

    def _attend(self, query, key, value, mask, training, fused=False, groups=None):
        """Attention of the projected `(batch, T, heads, head_dim)` query and
        `(batch, S, kv_heads, head_dim)` key and value: the output `(batch, T,
        query_heads, head_dim)` and the weights `(batch, query_heads, T, S)`.

        The query heads are grouped as `(kv_heads, repeats)`, so each group meets its
        one key/value head by broadcasting instead of a repeated copy."""
        batch, q_len = query.shape[0], query.shape[1]
        k_len = key.shape[1]
        groups = self.num_key_value_heads if groups is None else groups
        repeats = self.num_query_heads // groups
        query = ops.multiply(query, 1.0 / math.sqrt(self.head_dim))
        q = ops.reshape(ops.transpose(query, (0, 2, 1, 3)),
                        (batch, groups, repeats, q_len, self.head_dim))
        k = ops.expand_dims(ops.transpose(key, (0, 2, 3, 1)), 2)    # (b, g, 1, h, S)
        v = ops.expand_dims(ops.transpose(value, (0, 2, 1, 3)), 2)  # (b, g, 1, S, h)
        logits = ops.reshape(ops.matmul(q, k),
                             (batch, self.num_query_heads, q_len, k_len))
        if mask is not None:
            while len(mask.shape) < 4:
                mask = ops.expand_dims(mask, -3)
        if fused:
            weights = fused_attention_weights(logits, mask)
        else:
            weights = self._softmax(logits, mask=mask)
            weights._keras_mask = None  # the softmax passes the mask on; the weights need none
        dropped = self._dropout_layer(weights, training=training) if self.dropout > 0 \
            else weights
        grouped = ops.reshape(dropped, (batch, groups, repeats, q_len, k_len))
        output = ops.reshape(ops.matmul(grouped, v),
                             (batch, self.num_query_heads, q_len, self.head_dim))
        return ops.transpose(output, (0, 2, 1, 3)), weights

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is not None:
            if query_shape[-1] != value_shape[-1]:
                raise ValueError(
                    f"GroupQueryAttention {self.name!r}: the last dimension of `query_shape` "
                    f"and `value_shape` must be equal, but are {query_shape[-1]}, "
                    f"{value_shape[-1]}. Received: query_shape={tuple(query_shape)}, "
                    f"value_shape={tuple(value_shape)}.")
            self._check_value_key(value_shape, value_shape if key_shape is None else key_shape)
        return tuple(query_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            **self._projection_config(),
            "seed": self.seed,
        }


# Keras's public name of the class; its weight files name the class's groups after
# `GroupedQueryAttention` (`grouped_query_attention`), as this class does.
GroupQueryAttention = GroupedQueryAttention
