"""The quantized modes of `EinsumDense`: int8 (int8 kernel with a scale per output
position of the kernel, inputs quantized over their contracted axes at call time),
int4 (the kernel read row-major as a `(contracted, other)` matrix, two values per
byte, per column or per group of rows with zero points), float8 (training with
delayed-scaling float8 quantize-dequantize) and gptq (levels calibrated by
`model.quantize("gptq", ...)`) and awq (the same with per-row scales; see
`kerasx.quantizers.calibrated_layer`). int8 and int4 layers take LoRA (see
`_lora.py`).

The scales are laid out as Keras lays them out: reduced to size 1 over the
contracted axes, then transposed, expanded and squeezed to broadcast against the
output (`_scale_layout`).
"""

import math
import string

from kerasx import ops
from kerasx.layers.core._lora import lora_output, refuse_float8_lora
from kerasx.layers.core._quantization import (KERNEL_SAVED_ORDER, Quantizable, float8_call,
                                              float8_variables, int8_product)
from kerasx.ops.custom_gradient import custom_gradient
from kerasx.quantizers import (AbsMaxQuantizer, abs_max_quantize,
                               abs_max_quantize_grouped_with_zero_point, dequantize_with_sz_map,
                               pack_int4, unpack_int4)
from kerasx.quantizers.calibrated_layer import calibrated_build, calibrated_kernel
from kerasx.quantizers.quantization_config import QuantizationConfig, block_size_for_layer


class QuantizedEinsumDense(Quantizable):
    """The quantization half of `EinsumDense` (a mixin; see the module docstring)."""

    _quantized_modes = ("int8", "int4", "float8", "gptq", "awq")
    _saved_order = KERNEL_SAVED_ORDER

    def _quantize_weights(self, mode, config):
        kernel = self._kernel
        shape = tuple(kernel.shape)
        if mode in ("float8", "gptq", "awq"):  # gptq, awq: levels from the calibration
            self._quantized_build(shape, mode, config)
            return
        if mode == "int4":
            self._quantize_int4(kernel, config)
            return
        layout = self._scale_layout()
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, AbsMaxQuantizer(axis=layout["kernel"]["reduced"]))
        quantized, scale = quantizer(kernel, to_numpy=True)
        scale = _to_output_layout(scale, layout["kernel"])
        self._replace_variable(kernel)
        self._quantized_build(shape, mode, config)
        self._kernel.assign(quantized)
        self.kernel_scale.assign(scale)

    def _quantize_int4(self, kernel, config):
        shape = tuple(kernel.shape)
        values = self._int4_values(kernel, block_size_for_layer(self, config))
        self._replace_variable(kernel)
        self._quantized_build(shape, "int4", config)
        for name, value in values.items():
            self._variable(name).assign(value)

    def _int4_values(self, kernel, block_size):
        """The int4 variables of the float `kernel`, read as a `(contracted, other)`
        matrix: quantized per column, or in groups of `block_size` rows with zero
        points."""
        rows, columns = _int4_matrix_shape(tuple(kernel.shape),
                                           self._scale_layout()["kernel"]["reduced"])
        matrix = ops.reshape(kernel, (rows, columns))
        values = {}
        if block_size is None or block_size == -1:
            quantized, scale = abs_max_quantize(matrix, axis=0, value_range=(-8, 7),
                                                dtype="int8", to_numpy=True)
            values["kernel_scale"] = ops.squeeze(scale, axis=0)
        else:
            quantized, scale, zero = abs_max_quantize_grouped_with_zero_point(
                matrix, block_size=block_size, to_numpy=True)
            values.update(kernel_scale=scale, kernel_zero=zero)
        values["kernel"] = pack_int4(quantized, axis=-1)[0]
        return values

    # -- LoRA on an int8 / int4 layer (see `_lora.py`) ---------------------------------------
    def _lora_weight_shape(self):
        if self._quantized == "int4":
            return self._int4_kernel_shape
        return tuple(self._kernel.shape)

    def _dequantized_weight(self):
        """The float kernel the int8 / int4 variables stand for."""
        if self._quantized == "int4":
            return self._int4_kernel()
        scale = _from_output_layout(self.kernel_scale, self._scale_layout()["kernel"])
        return ops.divide(ops.cast(self._kernel, self.compute_dtype), scale)

    def _requantized_values(self, kernel):
        if self._quantized == "int4":
            return self._int4_values(kernel, self._int4_block_size)
        layout = self._scale_layout()["kernel"]
        quantized, scale = abs_max_quantize(kernel, axis=layout["reduced"], to_numpy=True)
        return {"kernel": quantized, "kernel_scale": _to_output_layout(scale, layout)}

    def _int4_build(self, kernel_shape, config):
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
        rows, columns = _int4_matrix_shape(kernel_shape, self._scale_layout()["kernel"]["reduced"])
        self._int4_kernel_shape = tuple(kernel_shape)
        self._int4_columns = columns
        block_size = block_size_for_layer(self, config)
        grouped = block_size is not None and block_size != -1
        self._int4_block_size = block_size if grouped else None
        self.kernel = self.add_weight((rows, (columns + 1) // 2), "zeros", dtype="int8",
                                      trainable=False, name="kernel")
        scale_shape = (math.ceil(rows / block_size), columns) if grouped else (columns,)
        self.kernel_scale = self.add_weight(scale_shape, "ones", trainable=False,
                                            name="kernel_scale")
        if grouped:
            self.kernel_zero = self.add_weight(scale_shape, "zeros", dtype="int8",
                                               trainable=False, name="kernel_zero")
            self.g_idx = self.add_weight(
                (rows,), lambda shape, dtype=None: ops.floor_divide(
                    ops.arange(rows, dtype="float32"), block_size),
                dtype="float32", trainable=False, name="g_idx")

    def _quantized_build(self, kernel_shape, mode, config):
        if mode in ("int4", "gptq", "awq"):  # Keras's record of the float kernel's shape
            self._set_untracked("original_kernel_shape", list(kernel_shape))
        if mode == "float8":
            float8_variables(self)
        elif mode in ("gptq", "awq"):
            calibrated_build(self, kernel_shape, mode, config, "zero_point")
            if mode == "gptq":
                self.gptq_unpacked_column_size = self._calibrated_columns
        elif mode == "int4":
            self._int4_build(kernel_shape, config)
        else:
            layout = self._scale_layout()
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                config, AbsMaxQuantizer())
            self.kernel = self.add_weight(kernel_shape, "zeros", dtype="int8", trainable=False,
                                          name="kernel")
            scale_shape = [1 if i in layout["kernel"]["reduced"] else n
                           for i, n in enumerate(kernel_shape)]
            self.kernel_scale = self.add_weight(
                _shape_in_output_layout(scale_shape, layout["kernel"]), "ones", trainable=False,
                name="kernel_scale")
        self._quantized = mode

    def _scale_layout(self):
        layout = getattr(self, "_quantization_layout", None)
        if layout is None:
            layout = self._quantization_layout = scale_layout(self.equation, self._input_rank)
        return layout

    def _quantized_call(self, inputs):
        from kerasx.layers._call_arguments import _TRAINING

        if self._quantized == "float8":
            refuse_float8_lora(self)
            return float8_call(self, inputs, lambda x, k: ops.einsum(self.equation, x, k),
                               bool(_TRAINING.get()))
        if self._quantized in ("gptq", "awq"):
            x = ops.einsum(self.equation, inputs, calibrated_kernel(self))
        elif self._quantized == "int8":
            x = self._int8_einsum(inputs)
        else:
            x = self._int4_einsum(inputs)
        if self._quantized in ("int8", "int4") and self.lora_enabled:
            projected = ops.einsum(self.equation, inputs, self.lora_kernel_a)
            x = ops.add(x, lora_output(self, projected))
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return x if self.activation is None else self.activation(x)

    def _int8_einsum(self, inputs):
        layout = self._scale_layout()
        equation, dtype, quantizer = self.equation, self.compute_dtype, self.inputs_quantizer
        terms = 1
        for axis in layout["kernel"]["reduced"]:
            terms *= self._kernel.shape[axis]

        @custom_gradient
        def product(inputs, kernel, kernel_scale):
            def grad(upstream):
                float_kernel = ops.divide(ops.cast(kernel, dtype),
                                          _from_output_layout(kernel_scale, layout["kernel"]))
                return ops.einsum(layout["gradient_equation"], upstream, float_kernel), None, None

            if quantizer:
                quantized, inputs_scale = quantizer(inputs, axis=tuple(layout["input"]["reduced"]))
                inputs_scale = _to_output_layout(inputs_scale, layout["input"])
                x = ops.cast(int8_product(equation, quantized.value, kernel.value, terms), dtype)
                return ops.divide(x, ops.multiply(inputs_scale, kernel_scale)), grad
            x = ops.einsum(equation, inputs, ops.cast(kernel, inputs.dtype))
            return ops.divide(ops.cast(x, dtype), kernel_scale), grad

        return product(inputs, self._kernel, self.kernel_scale)

    def _unpacked_int4_weight(self):
        """The int4 values of the kernel (int8), unpacked, in the kernel's shape."""
        return ops.reshape(unpack_int4(self._kernel, self._int4_columns, axis=-1),
                           self._int4_kernel_shape)

    def _int4_kernel(self):
        """The int4 kernel dequantized, in its float shape and the compute dtype."""
        unpacked = unpack_int4(self._kernel, self._int4_columns, axis=-1)
        if self._int4_block_size is None:
            kernel = ops.divide(ops.cast(unpacked, self.compute_dtype), self.kernel_scale)
        else:
            kernel = ops.cast(dequantize_with_sz_map(unpacked, self.kernel_scale,
                                                     self.kernel_zero, self.g_idx, group_axis=0),
                              self.compute_dtype)
        return ops.reshape(kernel, self._int4_kernel_shape)

    def _int4_einsum(self, inputs):
        layout = self._scale_layout()
        equation, dtype = self.equation, self.compute_dtype
        quantizer = self.inputs_quantizer if self._int4_block_size is None else None
        kernel = self._int4_kernel()

        @custom_gradient
        def product(inputs):
            def grad(upstream):
                return ops.einsum(layout["gradient_equation"], upstream, kernel)

            if quantizer:
                quantized, inputs_scale = quantizer(inputs, axis=tuple(layout["input"]["reduced"]))
                inputs_scale = _to_output_layout(inputs_scale, layout["input"])
                x = ops.einsum(equation, ops.cast(quantized, dtype), kernel)
                return ops.divide(x, inputs_scale), grad
            return ops.einsum(equation, inputs, kernel), grad

        return product(inputs)


def scale_layout(equation, input_rank):
    """How the scales of the input and the kernel of an EinsumDense equation map onto
    its output, as Keras derives it: for each operand, the axes the scale reduces
    (those not in the output), then the `transpose`, `expand` and `squeeze` that bring
    a scale (reduced with kept dims) to broadcast against the output; and the einsum
    equation of the inputs' gradient."""
    input_spec, kernel_spec, output_spec = _full_specs(equation, input_rank)
    layouts = {}
    # Keras places each reduced axis where an output axis the operand lacks is; once
    # those run out it reuses the previous place (initially the output position of the
    # kernel's last letter) and marks the axis for squeezing
    place = output_spec.find(kernel_spec[-1])
    for name, spec in (("input", input_spec), ("kernel", kernel_spec)):
        reduced = [i for i, c in enumerate(spec) if c not in output_spec]
        expand = [i for i, c in enumerate(output_spec) if c not in spec]
        transpose = [spec.index(c) for c in output_spec if c in spec]
        squeeze = []
        for axis in reduced:
            if expand:
                place = expand.pop(0)
            else:
                squeeze.append(axis)
            transpose.insert(place, axis)
        layouts[name] = {"reduced": reduced, "transpose": transpose, "expand": expand,
                         "squeeze": squeeze}
    layouts["gradient_equation"] = f"{output_spec},{kernel_spec}->{input_spec}"
    return layouts


def _full_specs(equation, input_rank):
    """The input, kernel and output letters of `equation` with `...` spelled out in
    unused letters for an input of rank `input_rank`."""
    from kerasx.layers.core.einsum_dense import split_equation

    input_spec, kernel_spec, output_spec, ellipsis = split_equation(equation)
    if ellipsis is None:
        return input_spec, kernel_spec, output_spec
    free = sorted(set(string.ascii_letters) - set(input_spec + kernel_spec + output_spec))
    elided = "".join(free[:input_rank - len(input_spec)])
    if ellipsis == "left":
        return elided + input_spec, kernel_spec, elided + output_spec
    return input_spec + elided, kernel_spec, output_spec + elided


def _to_output_layout(scale, layout):
    if layout["transpose"]:
        scale = ops.transpose(scale, layout["transpose"])
    if layout["expand"]:
        scale = ops.expand_dims(scale, axis=tuple(layout["expand"]))
    if layout["squeeze"]:
        scale = ops.squeeze(scale, axis=tuple(layout["squeeze"]))
    return scale


def _from_output_layout(scale, layout):
    if layout["squeeze"]:
        scale = ops.expand_dims(scale, axis=tuple(layout["squeeze"]))
    if layout["expand"]:
        scale = ops.squeeze(scale, axis=tuple(layout["expand"]))
    if layout["transpose"]:
        inverse = sorted(range(len(layout["transpose"])), key=layout["transpose"].__getitem__)
        scale = ops.transpose(scale, inverse)
    return scale


def _shape_in_output_layout(shape, layout):
    """The shape `_to_output_layout` gives a scale of shape `shape`."""
    if layout["transpose"]:
        shape = [shape[i] for i in layout["transpose"]]
    shape = list(shape)
    for axis in sorted(layout["expand"]):
        shape.insert(axis, 1)
    for axis in sorted(layout["squeeze"], reverse=True):
        shape.pop(axis)
    return tuple(shape)


def _int4_matrix_shape(kernel_shape, reduced):
    """`(rows, columns)`: the sizes of the kernel's contracted axes and of the others,
    multiplied out (the kernel is read row-major as such a matrix, as Keras reads it)."""
    rows = columns = 1
    for axis, size in enumerate(kernel_shape):
        if axis in reduced:
            rows *= size
        else:
            columns *= size
    return rows, columns
