"""The quantized modes of `ReversibleEmbedding`, as Keras's: int8 and int4 for the table
(as `Embedding`'s) and for the untied `reverse_embeddings` `(output_dim, input_dim)`,
quantized per column (one scale per vocabulary entry) or, for grouped int4, in groups
of `block_size` rows with zero points, packed two values per byte along the rows.

The reverse call quantizes its inputs per row with the config's activation quantizer
(int8's default: abs-max to int8; int4's default: none, float inputs) and multiplies
them with the integer kernel, or with the dequantized kernel for grouped int4; as in
Keras it computes in the compute dtype (`reverse_dtype` is not used) and leaves LoRA
out. Gradients are Keras's too: through float inputs, `upstream @ dequantized_kernel.T`;
through int8-quantized inputs, only the path through their scales (the integer values
carry none).
"""

import math

from kerasx import ops
from kerasx.layers.core._quantization import int8_product
from kerasx.layers.core._quantized_dense import quantized_over_rows
from kerasx.layers.core._quantized_embedding import QuantizedEmbedding
from kerasx.quantizers import AbsMaxQuantizer, dequantize_with_sz_map, pack_int4, unpack_int4
from kerasx.quantizers.quantization_config import QuantizationConfig, block_size_for_layer

_REVERSE_NAMES = {"int8": ("reverse_embeddings", "reverse_embeddings_scale"),
                  "int4": ("reverse_embeddings", "reverse_embeddings_scale",
                           "reverse_embeddings_zero")}


class QuantizedReversibleEmbedding(QuantizedEmbedding):
    """The quantization half of `ReversibleEmbedding` (a mixin; see the module docstring)."""

    @property
    def _saved_order(self):
        order = QuantizedEmbedding._saved_order
        if self.tie_weights:
            return order
        return {mode: names + _REVERSE_NAMES[mode] for mode, names in order.items()}

    def _quantize_weights(self, mode, config):
        reverse = None if self.tie_weights else self.reverse_embeddings
        block_size = block_size_for_layer(self, config)
        reverse_values = {} if reverse is None else \
            _reverse_int_values(mode, reverse, config, block_size)
        if reverse is not None:
            self._replace_variable(reverse)
        super()._quantize_weights(mode, config)
        for name, value in reverse_values.items():
            getattr(self, name).assign(value)

    def _quantized_build(self, mode, config):
        super()._quantized_build(mode, config)
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
            config, AbsMaxQuantizer(axis=-1))
        if self.tie_weights:
            return
        rows, columns = self.output_dim, self.input_dim
        if mode == "int8":
            self.reverse_embeddings = self.add_weight((rows, columns), "zeros", dtype="int8",
                                                      trainable=False, name="reverse_embeddings")
            self.reverse_embeddings_scale = self.add_weight(
                (columns,), "ones", trainable=False, name="reverse_embeddings_scale")
            return
        self.reverse_embeddings = self.add_weight((((rows + 1) // 2), columns), "zeros",
                                                  dtype="int8", trainable=False,
                                                  name="reverse_embeddings")
        block_size = self._int4_block_size
        grouped = block_size is not None and block_size > 0
        shape = (math.ceil(rows / block_size), columns) if grouped else (columns,)
        self.reverse_embeddings_scale = self.add_weight(shape, "ones", trainable=False,
                                                        name="reverse_embeddings_scale")
        if grouped:  # float32 in Keras, unlike the table's int8 zero points
            self.reverse_embeddings_zero = self.add_weight(
                shape, "zeros", trainable=False, name="reverse_embeddings_zero")

    def quantized_call(self, inputs, reverse=False):
        """The layer's output in its quantization mode (the reverse projection with
        `reverse=True`)."""
        if self._quantized is None or not reverse:
            return super().quantized_call(inputs)
        return self._quantized_reverse(inputs)

    def _quantized_reverse(self, inputs):
        """The reverse logits `(..., input_dim)` from the integer kernel."""
        dtype = self.compute_dtype
        kernel, scale = self._reverse_integer_kernel()
        x, inputs_scale = inputs, None
        if self.inputs_quantizer:
            x, inputs_scale = self.inputs_quantizer(inputs)
        if kernel is None:
            logits = ops.matmul(ops.cast(x, dtype), self._reverse_dequantized_kernel())
            if inputs_scale is not None:
                logits = ops.divide(logits, inputs_scale)
        elif inputs_scale is not None:
            # the integer product carries no gradient: as in Keras, the inputs' gradient
            # flows through their scale only
            logits = ops.cast(int8_product(None, ops.convert_to_tensor(x).value,
                                           ops.convert_to_tensor(kernel).value,
                                           kernel.shape[0]), dtype)
            logits = ops.divide(logits, ops.multiply(inputs_scale, scale))
        else:
            logits = ops.divide(ops.matmul(ops.cast(x, dtype), ops.cast(kernel, dtype)), scale)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def _reverse_integer_kernel(self):
        """`(kernel, scale)` of an integer reverse product: the int8 / int4 values
        `(output_dim, input_dim)` and one scale per column; `(None, None)` for grouped
        int4, which multiplies with the dequantized kernel."""
        grouped = self._quantized == "int4" and self._int4_block_size not in (None, -1)
        if grouped:
            return None, None
        if self.tie_weights:
            table = self._embeddings if self._quantized == "int8" else \
                self._unpacked_int4_weight()
            return ops.transpose(table), self.embeddings_scale
        kernel = self.reverse_embeddings
        if self._quantized == "int4":
            kernel = unpack_int4(kernel, self.output_dim, axis=0)
        return kernel, self.reverse_embeddings_scale

    def _reverse_dequantized_kernel(self):
        """The grouped-int4 reverse kernel `(output_dim, input_dim)` dequantized."""
        if self.tie_weights:
            return ops.transpose(self._dequantized_weight())
        unpacked = unpack_int4(self.reverse_embeddings, self.output_dim, axis=0)
        return dequantize_with_sz_map(ops.cast(unpacked, self.compute_dtype),
                                      self.reverse_embeddings_scale,
                                      self.reverse_embeddings_zero, self.g_idx, group_axis=0)


def _reverse_int_values(mode, reverse, config, block_size):
    """The int8 / int4 variables of the float `reverse_embeddings`, quantized per column
    (in groups of `block_size` rows with zero points for grouped int4), int4 packed
    along the rows."""
    quantized, scale, zero = quantized_over_rows(mode, reverse, config, block_size)
    values = {"reverse_embeddings_scale": scale}
    if zero is not None:
        values["reverse_embeddings_zero"] = ops.cast(zero, "float32")
    values["reverse_embeddings"] = quantized if mode == "int8" else \
        pack_int4(quantized, axis=0)[0]
    return values
