"""`ReversibleEmbedding`: an embedding that can also project vectors back to logits."""

__all__ = ["ReversibleEmbedding"]

from kerasx import ops
from kerasx.backends.base import dtype_name
from kerasx.layers.core._quantized_reversible_embedding import QuantizedReversibleEmbedding
from kerasx.layers.core.embedding import Embedding


class ReversibleEmbedding(QuantizedReversibleEmbedding, Embedding):
    """An `Embedding` whose reverse call maps `(..., output_dim)` vectors to
    `(..., input_dim)` logits, as the output layer of a language model.

    `layer(ids)` looks the ids up like `Embedding`; `layer(x, reverse=True)` is
    `x @ embeddings.T` with tied weights (the default) or `x @ reverse_embeddings`
    with `tie_weights=False`. The layer has no bias.

    Args:
        input_dim, output_dim: the vocabulary size and the vector size.
        tie_weights: reuse the (transposed) embedding table for the reverse
            projection; False creates a separate trainable `reverse_embeddings`
            `(output_dim, input_dim)`, drawn with `embeddings_initializer`.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint,
            mask_zero: as for `Embedding`.
        reverse_dtype: the float dtype the reverse projection computes in (inputs
            and kernel are cast to it); default: the layer's dtype. A quantized
            layer computes in its compute dtype, as in Keras.
        logit_soft_cap: optional positive number `c`: reverse logits become
            `c * tanh(logits / c)`.

    Call arguments:
        inputs: integer ids, or with `reverse=True` float vectors `(..., output_dim)`.
        reverse: project back to the vocabulary instead of looking up.

    The forward output carries the padding mask with `mask_zero=True`; the reverse
    output carries none. `quantize("int8")` / `("int4")` quantizes the table and the
    untied `reverse_embeddings` (see `_quantized_reversible_embedding.py`).
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        if reverse_dtype is not None:
            reverse_dtype = dtype_name(reverse_dtype)
            if not reverse_dtype.startswith(("float", "bfloat")):
                raise ValueError(f"ReversibleEmbedding: `reverse_dtype` must be a float dtype "
                                 f"or None, received reverse_dtype={reverse_dtype!r}.")
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool) or not isinstance(
                logit_soft_cap, (int, float)) or logit_soft_cap <= 0):
            raise ValueError(f"ReversibleEmbedding: `logit_soft_cap` must be a positive number "
                             f"or None, received logit_soft_cap={logit_soft_cap!r}.")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights and self._quantized is None:  # else quantized_build made it
            self.reverse_embeddings = self.add_weight(
                (self.output_dim, self.input_dim), self.embeddings_initializer,
                name="reverse_embeddings")
        self.built = True

    def call(self, inputs, reverse=False):
        self._set_untracked("_reverse_call", bool(reverse))  # read by compute_mask
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"ReversibleEmbedding {self.name!r}: a reverse call expects vectors of size "
                f"output_dim={self.output_dim} on the last axis, received shape "
                f"{tuple(inputs.shape)}.")
        if self._quantized is not None:
            return self._quantized_reverse(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        elif not inputs.dtype.startswith(("float", "bfloat")):
            inputs = ops.cast(inputs, self.dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        if getattr(self, "_reverse_call", False):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        input_shape = tuple(input_shape)
        if reverse:
            return input_shape[:-1] + (self.input_dim,)
        return input_shape + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
