"""The attention computation of `MultiHeadAttention` as Keras exposes it to subclasses.

Keras documents `_compute_attention(query, key, value, attention_mask, training, ...)`
as the method a subclass overrides to customize attention (the keras.io ViT-on-small-
datasets example scales the query by a trainable temperature that way), and such
overrides read the layer's `_key_dim`, `_dot_product_equation`, `_combine_equation`,
`_masked_softmax` and `_dropout_layer`. This mixin provides them with Keras's meanings.
"""

__all__ = []

import math
import string

from kerasx import ops
from kerasx.layers.activations.softmax import Softmax
from kerasx.layers.attention._masks import with_causal_mask


def attention_equations(rank, attention_axes):
    """The einsum equations of Keras's attention for projected tensors of `rank`
    (`(batch..., heads, size)` with `attention_axes` among the middle axes):
    `key, query -> scores` and `scores, value -> output`, with the scores laid out as
    `(batch axes, heads, query attention axes, key attention axes)`."""
    letters = string.ascii_lowercase
    query = letters[:rank]
    key_letters = dict(zip(attention_axes, letters[rank:rank + len(attention_axes)]))
    key = "".join(key_letters.get(i, query[i]) for i in range(rank))
    batch = [i for i in range(rank - 1) if i not in attention_axes and i != rank - 2]
    scores = ("".join(query[i] for i in batch) + query[rank - 2]
              + "".join(query[i] for i in attention_axes)
              + "".join(key_letters[i] for i in attention_axes))
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}"


class AttentionHooks:
    """Keras's overridable attention step and the attributes overrides use."""

    @property
    def _key_dim(self):
        return self.key_dim

    @property
    def _value_dim(self):
        return self.value_dim

    @property
    def _num_heads(self):
        return self.num_heads

    @property
    def _dropout(self):
        return self.dropout

    @property
    def _query_dense(self):
        return self.query_dense

    @property
    def _key_dense(self):
        return self.key_dense

    @property
    def _value_dense(self):
        return self.value_dense

    @property
    def _output_dense(self):
        return self.output_dense

    @property
    def _sliding_window(self):
        return self.sliding_window

    @property
    def _inverse_sqrt_key_dim(self):
        return 1.0 / math.sqrt(float(self.key_dim))

    @property
    def _attention_axes(self):
        return tuple(self.attention_axes)

    @property
    def _dot_product_equation(self):
        return attention_equations(len(self.attention_axes) + 3, self._attention_axes)[0]

    @property
    def _combine_equation(self):
        return attention_equations(len(self.attention_axes) + 3, self._attention_axes)[1]

    def _masked_softmax(self, attention_scores, attention_mask=None):
        """The softmax over the key axes of `(batch..., heads, query axes, key axes)`
        scores; a `(batch, T, S)` mask gains the heads axis."""
        key_axes = len(self.attention_axes)
        if attention_mask is not None:
            while len(attention_mask.shape) < len(attention_scores.shape):
                attention_mask = ops.expand_dims(attention_mask, -2 * key_axes - 1)
        if key_axes == 1:
            return self._softmax(attention_scores, mask=attention_mask)
        softmax = Softmax(axis=tuple(range(-key_axes, 0)), dtype=self._sublayer_dtype())
        return softmax(attention_scores, mask=attention_mask)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Attention of the projected `(batch..., heads, size)` tensors: the output and
        the `(batch..., heads, query axes, key axes)` weights. `attention_mask` is
        boolean `(batch, T, S)`; with `use_causal_mask` (as Keras) a causal mask over
        axis 1 is combined with it (`call` folds the causal mask in upstream)."""
        attention_mask = with_causal_mask(query, key, attention_mask, use_causal_mask)
        fused = self.dropout == 0 and not return_attention_scores and len(query.shape) == 4
        return self._attend(query, key, value, attention_mask, training, fused)

    def _overrides_compute_attention(self):
        return type(self)._compute_attention is not AttentionHooks._compute_attention
