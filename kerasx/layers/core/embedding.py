"""`Embedding`: turns integer indices into dense vectors."""

__all__ = ["Embedding"]

import warnings

from kerasx import constraints, initializers, ops, regularizers
from kerasx.autodiff.tensor import value_of
from kerasx.backends.host import is_host_array
from kerasx.layers.core._lora import LoRA, lora_weight
from kerasx.layers.core._quantization import resolve_quantization_config
from kerasx.layers.core._quantized_embedding import QuantizedEmbedding
from kerasx.layers.layer import Layer
from kerasx.saving.serialization import serialize_keras_object

# Keras 3 accepts these short names for its embedding default and its variants.
_INITIALIZER_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


class Embedding(LoRA, QuantizedEmbedding, Layer):
    """Maps each integer index in `[0, input_dim)` to a learned vector of size `output_dim`.

    The lookup is a gather (`kerasx.ops.take`); its gradient is a scatter-add
    into the rows that were looked up, done by a backend kernel when one is
    registered (`numpy.add.at`, `cupyx.scatter_add`).

    Args:
        input_dim: positive integer, the vocabulary size (largest index + 1).
        output_dim: positive integer, the size of each vector.
        embeddings_initializer: initializer of the table (default
            `"uniform"`, i.e. `RandomUniform(-0.05, 0.05)`).
        embeddings_regularizer: optional penalty on the table.
        embeddings_constraint: optional constraint on the table.
        mask_zero: whether index 0 is padding; the layer then outputs a mask
            (`inputs != 0`) that mask-aware layers downstream use, and
            `input_dim` should count index 0.
        weights: optional initial table, a `(input_dim, output_dim)` array.
        lora_rank: if set, the built layer enables LoRA of this rank
            (`enable_lora`): the table is frozen and two low-rank factors train in
            its place. As in Keras, `lora_alpha` is then taken equal to `lora_rank`;
            call `enable_lora(rank, lora_alpha)` on the built layer for another scale.
        lora_alpha: the scale `lora_alpha / lora_rank` of the LoRA update.
        quantization_config: the `kerasx.quantizers.QuantizationConfig` of a layer
            built quantized (its dtype policy names the mode, e.g.
            `"int8_from_float32"`); `layer.quantize("int8")` or `("int4")`
            quantizes a built layer.

    Input shape: integer array `(batch, ...)`.
    Output shape: `(batch, ..., output_dim)`.
    Weights: `embeddings` of shape `(input_dim, output_dim)`.
    """

    _lora_weight_name = "embeddings"
    embeddings = lora_weight("embeddings")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Embedding: {arg} must be a positive integer, received {arg}={value!r} "
                    f"(of type {type(value).__name__}).")
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Embedding: argument `input_length` is deprecated; remove it.",
                          stacklevel=2)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        if isinstance(embeddings_initializer, str):
            embeddings_initializer = _INITIALIZER_ALIASES.get(embeddings_initializer,
                                                              embeddings_initializer)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = resolve_quantization_config(quantization_config)
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        if self.quantization_mode is not None:
            self._quantized_build(self.quantization_mode, self.quantization_config)
            self.built = True
            return
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    def call(self, inputs):
        if inputs.dtype not in ("int32", "int64"):
            if inputs.dtype.startswith(("int", "uint")):
                inputs = ops.cast(inputs, "int64")
            else:
                inputs = ops.cast(inputs, "int32")
        ids = value_of(inputs)
        # NumPy reads a negative index from the end of the table; refuse it where that costs
        # no device transfer (a batch of 512 x 256 ids: 0.014 ms)
        if is_host_array(ids) and ids.size and ids.min() < 0:
            raise ValueError(
                f"Embedding layer {self.name!r} received the negative index {ids.min()}; "
                f"indices must be in [0, {self.input_dim}). Use 0 for padding (with "
                "mask_zero=True to skip it) and shift the other ids to start at 1.")
        try:
            if self._quantized is not None:
                return self._quantized_lookup(inputs)
            outputs = ops.take(self.embeddings, inputs, axis=0)
        except IndexError as e:
            raise ValueError(
                f"Embedding layer {self.name!r} received an index outside [0, {self.input_dim}) "
                f"({e}). Every index must be smaller than input_dim={self.input_dim}; increase "
                "input_dim to the vocabulary size (largest index + 1).") from None
        if self._autocasts and outputs.dtype != self.compute_dtype:
            outputs = ops.cast(outputs, self.compute_dtype)  # a mixed policy's, as Keras
        return outputs

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(ops.convert_to_tensor(inputs), 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
        return self._lora_config(self._quantized_config(config))
