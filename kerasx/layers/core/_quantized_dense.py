"""The quantized modes of `Dense`: int8 (int8 kernel, inputs quantized per row at call
time), int4 (two kernel values per byte, per channel or in groups of input rows with
zero points), float8 (training with delayed-scaling float8 quantize-dequantize) and
gptq (levels calibrated by `model.quantize("gptq", ...)`, dequantized at call time) and
awq (the same with per-row scales; see `kerasx.quantizers.calibrated_layer`). int8 and
int4 layers take LoRA (see `_lora.py`).

Gradients follow Keras: through int8 and int4 products the inputs receive
`upstream @ dequantized_kernel.T` (the quantized kernel is not trainable); float8
passes gradients straight through its quantize-dequantize steps and quantizes the
output gradient to float8_e5m2.
"""

import math

from kerasx import ops
from kerasx.layers.core._lora import lora_output, refuse_float8_lora
from kerasx.layers.core._quantization import (KERNEL_SAVED_ORDER, Quantizable, float8_call,
                                              float8_variables, int8_product)
from kerasx.ops.custom_gradient import custom_gradient
from kerasx.quantizers import (AbsMaxQuantizer, abs_max_quantize_grouped_with_zero_point,
                               dequantize_with_sz_map, pack_int4, unpack_int4)
from kerasx.quantizers.calibrated_layer import calibrated_build, calibrated_kernel
from kerasx.quantizers.quantization_config import QuantizationConfig, block_size_for_layer


class QuantizedDense(Quantizable):
    """The quantization half of `Dense` (a mixin; see the module docstring)."""

    _quantized_modes = ("int8", "int4", "float8", "gptq", "awq")
    _saved_order = KERNEL_SAVED_ORDER

    # -- quantize: float weights -> quantized ones ------------------------------------------
    def _quantize_weights(self, mode, config):
        kernel = self._kernel
        shape = tuple(kernel.shape)
        if mode in ("float8", "gptq", "awq"):  # gptq, awq: levels from the calibration
            self._quantized_build(shape, mode, config)
            return
        values = self._int_values(mode, kernel, config, block_size_for_layer(self, config))
        self._replace_variable(kernel)
        self._quantized_build(shape, mode, config)
        for name, value in values.items():
            self._variable(name).assign(value)

    def _int_values(self, mode, kernel, config, block_size):
        """The int8 or int4 variables (`kernel`, `kernel_scale`, `kernel_zero`) of the
        float `kernel`, quantized over the input axis (in groups of `block_size`
        input rows with zero points for grouped int4)."""
        quantized, scale, zero = quantized_over_rows(mode, kernel, config, block_size)
        values = {"kernel_scale": scale}
        if zero is not None:
            values["kernel_zero"] = zero
        values["kernel"] = quantized if mode == "int8" else pack_int4(quantized, axis=-1)[0]
        return values

    # -- LoRA on an int8 / int4 layer (see `_lora.py`) ---------------------------------------
    def _lora_weight_shape(self):
        return (self._input_dim(), self.units)

    def _dequantized_weight(self):
        """The float kernel the int8 / int4 variables stand for."""
        if self._quantized == "int8":
            return ops.divide(ops.cast(self._kernel, self.compute_dtype), self.kernel_scale)
        unpacked = self._unpacked_int4_weight()
        if self._int4_block_size is None or self._int4_block_size == -1:
            return ops.divide(ops.cast(unpacked, self.compute_dtype), self.kernel_scale)
        return ops.cast(dequantize_with_sz_map(unpacked, self.kernel_scale, self.kernel_zero,
                                               self.g_idx, group_axis=0), self.compute_dtype)

    def _unpacked_int4_weight(self):
        """The int4 values of the kernel (int8), unpacked to `(input_dim, units)`."""
        return unpack_int4(self._kernel, self._orig_output_dim, axis=-1)

    def _requantized_values(self, kernel):
        return self._int_values(self._quantized, kernel, None,
                                getattr(self, "_int4_block_size", None))

    def _quantized_build(self, kernel_shape, mode, config):
        """Creates the variables of `mode` (`kernel` among them, except for float8,
        whose float kernel `build` creates)."""
        input_dim, units = kernel_shape
        if mode == "float8":
            float8_variables(self)
        elif mode in ("gptq", "awq"):
            calibrated_build(self, kernel_shape, mode, config, "kernel_zero")
        elif mode == "int8":
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                config, AbsMaxQuantizer())
            self.kernel = self.add_weight(kernel_shape, "zeros", dtype="int8", trainable=False,
                                          name="kernel")
            self.kernel_scale = self.add_weight((units,), "ones", trainable=False,
                                                name="kernel_scale")
        elif mode == "int4":
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                config, None)
            self.kernel = self.add_weight((input_dim, (units + 1) // 2), "zeros", dtype="int8",
                                          trainable=False, name="kernel")
            block_size = block_size_for_layer(self, config)
            self._int4_block_size = block_size
            grouped = block_size is not None and block_size > 0
            scale_shape = (math.ceil(input_dim / block_size), units) if grouped else (units,)
            self.kernel_scale = self.add_weight(scale_shape, "ones", trainable=False,
                                                name="kernel_scale")
            if grouped:
                self.kernel_zero = self.add_weight(scale_shape, "zeros", dtype="int8",
                                                   trainable=False, name="kernel_zero")
                self.g_idx = self.add_weight(
                    (input_dim,), lambda shape, dtype=None: ops.floor_divide(
                        ops.arange(input_dim, dtype="float32"), block_size),
                    dtype="float32", trainable=False, name="g_idx")
            self._orig_input_dim, self._orig_output_dim = input_dim, units
        self._quantized = mode

    # -- call ---------------------------------------------------------------------------
    def _quantized_call(self, inputs):
        from kerasx.layers._call_arguments import _TRAINING

        if self._quantized == "float8":
            refuse_float8_lora(self)
            return float8_call(self, inputs, ops.matmul, bool(_TRAINING.get()))
        if self._quantized in ("gptq", "awq"):
            x = ops.matmul(inputs, calibrated_kernel(self))
        elif self._quantized == "int8":
            x = _int8_matmul(inputs, self._kernel, self.kernel_scale, self.inputs_quantizer,
                             self.compute_dtype)
        else:
            x = self._int4_product(inputs)
        if self._quantized in ("int8", "int4") and self.lora_enabled:
            x = ops.add(x, lora_output(self, ops.matmul(inputs, self.lora_kernel_a)))
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return x if self.activation is None else self.activation(x)

    def _input_dim(self):
        """The size of the inputs' last axis."""
        if self._quantized in ("gptq", "awq"):
            return self.g_idx.shape[0]
        return self.__dict__.get("_kernel", self.__dict__.get("kernel")).shape[0]

    def _int4_product(self, inputs):
        unpacked = self._unpacked_int4_weight()
        block_size = self._int4_block_size
        if block_size is None or block_size == -1:
            return _int8_matmul(inputs, unpacked, self.kernel_scale, self.inputs_quantizer,
                                self.compute_dtype)
        kernel = ops.cast(dequantize_with_sz_map(unpacked, self.kernel_scale, self.kernel_zero,
                                                 self.g_idx, group_axis=0), self.compute_dtype)
        return _matmul_frozen_kernel(inputs, kernel)


def _int8_matmul(inputs, kernel, kernel_scale, inputs_quantizer, compute_dtype):
    """`inputs @ kernel / scale` for an int8 `kernel` (values of int8 or int4) with one
    scale per output: the inputs quantized per row by `inputs_quantizer` (None: kept in
    float), the product dequantized by both scales. The inputs' gradient is
    `upstream @ (kernel / kernel_scale).T`."""

    @custom_gradient
    def product(inputs, kernel, kernel_scale):
        def grad(upstream):
            float_kernel = ops.divide(ops.cast(kernel, compute_dtype), kernel_scale)
            return ops.matmul(upstream, ops.transpose(float_kernel)), None, None

        if inputs_quantizer:
            quantized, inputs_scale = inputs_quantizer(inputs, axis=-1)
            x = int8_product(None, quantized.value, kernel.value, kernel.shape[0])
            scale = ops.multiply(kernel_scale, inputs_scale)
        else:
            x = ops.matmul(inputs, ops.cast(kernel, inputs.dtype))
            scale = kernel_scale
        return ops.divide(ops.cast(x, compute_dtype), scale), grad

    return product(inputs, kernel, kernel_scale)


@custom_gradient
def _matmul_frozen_kernel(inputs, kernel):
    """`inputs @ kernel` whose gradient reaches the inputs only."""

    def grad(upstream):
        return ops.matmul(upstream, ops.transpose(kernel)), None

    return ops.matmul(inputs, kernel), grad


def quantized_over_rows(mode, weight, config, block_size):
    """`(values, scale, zero)` of a float matrix quantized over its first axis: int8, or
    int4 values (unpacked) per column or, with a `block_size`, in groups of rows with
    zero points (`zero` is None otherwise)."""
    if mode == "int8":
        quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
        quantized, scale = quantizer(weight, to_numpy=True)
        return quantized, ops.squeeze(scale, axis=0), None
    if block_size is None or block_size == -1:
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8"))
        quantized, scale = quantizer(weight, to_numpy=True)
        return quantized, ops.squeeze(scale, axis=0), None
    return abs_max_quantize_grouped_with_zero_point(weight, block_size=block_size,
                                                    to_numpy=True)
