"""`AdditiveAttention`: additive (Bahdanau-style) attention."""

__all__ = ["AdditiveAttention"]

from kerasx import ops
from kerasx.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention, a.k.a. Bahdanau-style attention.

    The scores are `sum(scale * tanh(query + key))` over the features, shape
    `(batch, Tq, Tv)`; masks, causal masking, dropout and the outputs are as in
    `Attention`.

    Args:
        use_scale: learn a `scale` vector of the feature size (glorot-uniform
            initialized); without it the scale is 1.
        dropout: fraction of the attention weights dropped in training.
        seed: integer seed of the dropout.

    Call arguments: as `Attention`.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale")

    def _calculate_scores(self, query, key):
        features = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            features = ops.multiply(self.scale, features)
        return ops.sum(features, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
