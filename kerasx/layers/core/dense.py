"""`Dense`: the densely connected layer."""

__all__ = ["Dense"]

from kerasx import activations, constraints, initializers, ops, regularizers
from kerasx.layers.core._lora import LoRA, lora_weight
from kerasx.layers.core._quantization import resolve_quantization_config
from kerasx.layers.core._quantized_dense import QuantizedDense
from kerasx.layers.layer import Layer


class Dense(LoRA, QuantizedDense, Layer):
    """`activation(inputs @ kernel + bias)` over the last axis of the input.

    Args:
        units: positive integer, the size of the output's last axis.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (`glorot_uniform`, `zeros`).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.
        lora_rank: if set, the built layer enables LoRA of this rank
            (`enable_lora`): the kernel is frozen and two low-rank factors train in
            its place. As in Keras, `lora_alpha` is then taken equal to `lora_rank`;
            call `enable_lora(rank, lora_alpha)` on the built layer for another scale.
        lora_alpha: the scale `lora_alpha / lora_rank` of the LoRA update.
        quantization_config: the `kerasx.quantizers.QuantizationConfig` of a layer
            built quantized (its dtype policy names the mode, e.g.
            `"int8_from_float32"`); `layer.quantize(mode)` quantizes a built layer.

    Input shape: `(batch, ..., input_dim)`. Output shape: `(batch, ..., units)`.
    """

    kernel = lora_weight("kernel")

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, received units={units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True
        self.quantization_config = resolve_quantization_config(quantization_config)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense layer {self.name!r} needs a known last input dimension, got input shape {input_shape}."
            )
        mode = self.quantization_mode
        if mode is not None:
            self._quantized_build((input_dim, self.units), mode, self.quantization_config)
        if mode in (None, "float8"):
            self.kernel = self.add_weight((input_dim, self.units), self.kernel_initializer,
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    def call(self, inputs):
        self._check_features(inputs)
        if self._quantized is not None:
            return self._quantized_call(inputs)
        if self.activation is activations.relu:
            return ops.dense(inputs, self.kernel, self.bias, relu=True)
        outputs = ops.dense(inputs, self.kernel, self.bias)
        # Keras skips an activation set to None after construction (grad_cam does so)
        return outputs if self.activation is None else self.activation(outputs)

    def call_with_batch_norm(self, inputs, bn, relu=False):
        """`bn(self(inputs))` for a `BatchNormalization` layer in inference mode, as one
        product with the normalization folded into the kernel and bias
        (`kerasx.models.batch_norm_folding`; no gradient is recorded), with the ReLU
        after it when `relu`."""
        self._check_features(inputs)
        if self._quantized is not None or \
                bn._feature_axis(tuple(inputs.shape)) != len(inputs.shape) - 1:
            out = bn(self(inputs), training=False)
            return ops.relu(out) if relu else out
        from kerasx.models.batch_norm_folding import folded_weights

        return ops.dense(inputs, *folded_weights(self.kernel, self.bias, bn), relu=relu)

    def _check_features(self, inputs):
        shape = inputs.shape
        if len(shape) < 2:
            raise ValueError(
                f"Dense layer {self.name!r} expects inputs of rank 2 or more (batch, ..., "
                f"features), but received input of shape {tuple(shape)} (rank {len(shape)}). "
                "Add the batch axis, e.g. x[None] or x.reshape(1, -1) for one sample."
            )
        if shape[-1] != self._input_dim():
            raise ValueError(
                f"Dense layer {self.name!r} expects inputs with last dimension "
                f"{self._input_dim()}, but received input of shape {tuple(inputs.shape)}. "
                "Check the feature size of your data and of the previous layer."
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = _maybe_serialize(self.activity_regularizer)
        return self._lora_config(self._quantized_config({
            **config,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _maybe_serialize(self.kernel_regularizer),
            "bias_regularizer": _maybe_serialize(self.bias_regularizer),
            "kernel_constraint": _maybe_serialize(self.kernel_constraint),
            "bias_constraint": _maybe_serialize(self.bias_constraint),
            "quantization_config": None,
        }))


def _maybe_serialize(obj):
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)
