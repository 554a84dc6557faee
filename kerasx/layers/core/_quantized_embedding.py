"""The quantized modes of `Embedding`: int8 (one scale per row of the table) and int4
(two values per byte, one scale per row, or per row and group of `block_size`
columns with zero points). The quantized table is not trainable, so the lookup
needs no gradient; with LoRA (see `_lora.py`) the factors train."""

import math

from kerasx import ops
from kerasx.layers.core._lora import lora_output
from kerasx.layers.core._quantization import Quantizable
from kerasx.quantizers import (AbsMaxQuantizer, abs_max_quantize_grouped_with_zero_point,
                               dequantize_with_sz_map, pack_int4, unpack_int4)
from kerasx.quantizers.quantization_config import QuantizationConfig, block_size_for_layer


class QuantizedEmbedding(Quantizable):
    """The quantization half of `Embedding` (a mixin; see the module docstring)."""

    _quantized_modes = ("int8", "int4")
    # the order Keras saves the variables in, per quantization mode
    _saved_order = {
        "int8": ("embeddings", "embeddings_scale"),
        "int4": ("embeddings", "embeddings_scale", "embeddings_zero", "g_idx"),
    }

    def _quantize_weights(self, mode, config):
        table = self._embeddings
        values = self._int_values(mode, table, config, block_size_for_layer(self, config))
        self._replace_variable(table)
        self._quantized_build(mode, config)
        for name, value in values.items():
            self._variable(name).assign(value)

    def _int_values(self, mode, table, config, block_size):
        """The int8 or int4 variables (`embeddings`, `embeddings_scale`,
        `embeddings_zero`) of the float `table`, quantized per row (in groups of
        `block_size` columns with zero points for grouped int4)."""
        if mode == "int8":
            quantizer = QuantizationConfig.weight_quantizer_or_default(
                config, AbsMaxQuantizer(axis=-1))
            quantized, scale = quantizer(table, to_numpy=True)
            return {"embeddings": quantized, "embeddings_scale": ops.squeeze(scale, axis=-1)}
        if block_size is None or block_size == -1:
            quantizer = QuantizationConfig.weight_quantizer_or_default(
                config, AbsMaxQuantizer(axis=-1, value_range=(-8, 7), output_dtype="int8"))
            quantized, scale = quantizer(table, to_numpy=True)
            values = {"embeddings_scale": ops.squeeze(scale, axis=-1)}
        else:
            quantized, scale, zero = abs_max_quantize_grouped_with_zero_point(
                ops.transpose(table), block_size=block_size, to_numpy=True)
            quantized = ops.transpose(quantized)
            values = {"embeddings_scale": ops.transpose(scale),
                      "embeddings_zero": ops.transpose(zero)}
        values["embeddings"] = pack_int4(quantized, axis=-1)[0]
        return values

    # -- LoRA on an int8 / int4 layer (see `_lora.py`) ---------------------------------------
    def _lora_weight_shape(self):
        return (self.input_dim, self.output_dim)

    def _dequantized_weight(self):
        """The float table the int8 / int4 variables stand for."""
        return self._dequantized_rows(ops.arange(self.input_dim, dtype="int32"))

    def _unpacked_int4_weight(self):
        """The int4 values of the table (int8), unpacked to `(input_dim, output_dim)`."""
        return unpack_int4(self._embeddings, self._orig_output_dim, axis=-1)

    def _requantized_values(self, table):
        return self._int_values(self._quantized, table, None,
                                getattr(self, "_int4_block_size", None))

    def _quantized_build(self, mode, config):
        rows, width = self.input_dim, self.output_dim
        if mode == "int8":
            self.embeddings = self.add_weight((rows, width), "zeros", dtype="int8",
                                              trainable=False, name="embeddings")
            self.embeddings_scale = self.add_weight((rows,), "ones", trainable=False,
                                                    name="embeddings_scale")
        else:
            self.embeddings = self.add_weight((rows, (width + 1) // 2), "zeros", dtype="int8",
                                              trainable=False, name="embeddings")
            block_size = block_size_for_layer(self, config)
            self._int4_block_size = block_size
            grouped = block_size is not None and block_size > 0
            scale_shape = (rows, math.ceil(width / block_size)) if grouped else (rows,)
            self.embeddings_scale = self.add_weight(scale_shape, "ones", trainable=False,
                                                    name="embeddings_scale")
            if grouped:
                self.embeddings_zero = self.add_weight(scale_shape, "zeros", dtype="int8",
                                                       trainable=False, name="embeddings_zero")
                self.g_idx = self.add_weight(
                    (width,), lambda shape, dtype=None: ops.floor_divide(
                        ops.arange(width, dtype="float32"), block_size),
                    dtype="float32", trainable=False, name="g_idx")
            self._orig_output_dim = width
        self._quantized = mode

    def _quantized_call(self, inputs):
        return self._quantized_lookup(ops.convert_to_tensor(inputs))

    def _quantized_lookup(self, ids):
        """The dequantized rows of the integer `ids`, plus LoRA's rows of `A @ B`."""
        rows = self._dequantized_rows(ids)
        if not self.lora_enabled:
            return rows
        return ops.add(rows, lora_output(self, ops.take(self.lora_embeddings_a, ids, axis=0)))

    def _dequantized_rows(self, ids):
        """The dequantized rows of the integer `ids`."""
        if self._quantized == "int8":
            rows = ops.take(self._embeddings, ids, axis=0)
            scale = ops.take(self.embeddings_scale, ids, axis=0)
            return ops.divide(ops.cast(rows, self.compute_dtype), ops.expand_dims(scale, -1))
        table = self._unpacked_int4_weight()
        rows = ops.cast(ops.take(table, ids, axis=0), self.compute_dtype)
        scale = ops.take(self.embeddings_scale, ids, axis=0)
        block_size = self._int4_block_size
        if block_size is None or block_size == -1:
            return ops.divide(rows, ops.expand_dims(scale, -1))
        zero = ops.take(self.embeddings_zero, ids, axis=0)
        return dequantize_with_sz_map(rows, scale, zero, self.g_idx, group_axis=-1)
