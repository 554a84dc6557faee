"""`Attention`: dot-product (Luong-style) attention."""

__all__ = ["Attention"]

from kerasx import ops
from kerasx.layers.attention._masks import as_bool, causal_mask, check_mask
from kerasx.layers.layer import Layer
from kerasx.layers.regularization._seed import SeedStream


class Attention(Layer):
    """Dot-product attention, a.k.a. Luong-style attention.

    Scores `query . key` of shape `(batch, Tq, Tv)` go through a softmax over the
    value positions, and the resulting distribution mixes the `value` rows.

    Args:
        use_scale: learn a scalar `scale` that multiplies the scores.
        score_mode: `"dot"` (the dot product of query and key) or `"concat"`
            (`concat_score_weight * sum(tanh(scale * (query + key)))`).
        dropout: fraction of the attention weights dropped in training.
        seed: integer seed of the dropout.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`: `(batch, Tq, dim)`,
            `(batch, Tv, dim_v)` and `(batch, Tv, dim)`; `value` is the key when
            no key is given.
        mask: `[query_mask, value_mask]` (either may be None): boolean `(batch, Tq)`
            and `(batch, Tv)`. Output rows of masked query positions are 0; masked
            value positions get no weight. When omitted, the inputs' own masks
            (e.g. from `Embedding(mask_zero=True)`) are used.
        return_attention_scores: return `(output, weights)` with the attention weights
            `(batch, Tq, Tv)` (after masking, softmax and dropout).
        training: apply dropout (default: the surrounding training mode).
        use_causal_mask: query position i attends only to value positions j <= i.

    Output shape: `(batch, Tq, dim_v)`; the output carries the query mask.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{type(self).__name__}: Invalid value for argument score_mode. Expected "
                f"one of {{'dot', 'concat'}}. Received: score_mode={score_mode!r}."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), received "
                             f"dropout={dropout!r}.")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.supports_masking = True

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def _check_inputs(self, shapes, mask=None):
        """Raises a clear error unless `shapes` is a list of 2 or 3 compatible shapes
        and `mask` (if given) a list of 2 or 3 masks."""
        kind = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or len(shapes) not in (2, 3) or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            received = (f"a list of {len(shapes)}" if isinstance(shapes, list)
                        else f"a single input of shape {tuple(shapes)}"
                        if isinstance(shapes, tuple) else type(shapes).__name__)
            how = ("accepts inputs list of length 2 or 3" if isinstance(shapes, list)
                   else "must be called on a list of inputs")
            raise ValueError(
                f"{kind} layer {self.name!r} {how}, namely [query, value] or "
                f"[query, value, key]; received {received}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3)):
            how = ("accepts mask list of length 2 or 3" if isinstance(mask, (list, tuple))
                   else "mask must be a list")
            raise ValueError(
                f"{kind} layer {self.name!r}: layer {how}, namely [query_mask, value_mask] "
                f"(either may be None), received {type(mask).__name__}"
                f"{f' of length {len(mask)}' if isinstance(mask, (list, tuple)) else ''}."
            )
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        if len(query) < 3 or len(value) != len(query) or len(key) != len(query):
            raise ValueError(
                f"{kind} layer {self.name!r} expects query, value and key of the same rank, at "
                f"least 3 (batch, time, features); received shapes {query}, {value}, {key}."
            )
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise ValueError(
                f"{kind} layer {self.name!r}: query and key must have the same last dimension "
                f"(score_mode={self.score_mode!r} combines them feature by feature); received "
                f"query shape {query} and key shape {key}."
            )
        if None not in (key[-2], value[-2]) and key[-2] != value[-2]:
            raise ValueError(
                f"{kind} layer {self.name!r}: key and value must have the same number of "
                f"positions (axis -2); received key shape {key} and value shape {value}."
            )

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        self._check_inputs([tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple))
                           else inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = (mask[0], mask[1]) if mask is not None else (None, None)
        scores = self._calculate_scores(query, key)
        if value_mask is not None:
            value_mask = as_bool(value_mask)
            check_mask(self, "value_mask", value_mask, tuple(value.shape[:-1]), "(batch, Tv)")
        score_mask = self._calculate_score_mask(scores, value_mask, use_causal_mask)
        if score_mask is not None:
            # a large negative bias rather than -inf: a fully masked row stays uniform
            # (65000 in float16, whose range ends at 65504, as Keras)
            penalty = 65000.0 if scores.dtype == "float16" else 1e9
            scores = ops.where(score_mask, scores, ops.subtract(scores, penalty))
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, seed=self._seeds.next())
        output = ops.matmul(weights, value)
        if query_mask is not None:
            query_mask = as_bool(query_mask)
            check_mask(self, "query_mask", query_mask, tuple(query.shape[:-1]), "(batch, Tq)")
            output = ops.where(ops.expand_dims(query_mask, -1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        """The boolean mask of the `(batch, Tq, Tv)` scores (None without masks): the value
        mask `(batch, Tv)` AND, with `use_causal_mask`, a `(1, Tq, Tv)` causal mask (the
        method Keras's `Attention` calls, under Keras's name)."""
        score_mask = None if v_mask is None else ops.expand_dims(as_bool(v_mask), -2)
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            score_mask = causal if score_mask is None else ops.logical_and(score_mask, causal)
        return score_mask

    def _calculate_scores(self, query, key):
        """The `(batch, Tq, Tv)` scores of every query against every key (Keras's name:
        a subclass overriding it changes the scores `call` uses)."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), axis=-1))

    def compute_mask(self, inputs, mask=None):
        """The query mask (the output has one row per query position)."""
        if mask is None or mask[0] is None:
            return None
        return as_bool(mask[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}
