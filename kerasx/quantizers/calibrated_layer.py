"""The calibrated modes "gptq" and "awq" of `Dense` and `EinsumDense`: the variables
Keras stores (the uint8 levels as a `(columns, rows)` matrix named `kernel`, two levels
per byte along the columns for 4 bits, `kernel_scale` and the zero points
`(columns, groups)`, AWQ's per-row `awq_scales`, `g_idx`), the dequantized kernel,
and the calibration's result written into them.

Until its calibration stores levels, a layer quantized with `quantize(mode)` keeps
and uses its float kernel (`is_gptq_calibrated` / `is_awq_calibrated` is False); a
layer built from a "gptq" or "awq" policy (a loaded model) is calibrated from the
start, and loading a file's levels into a prepared layer calibrates it, as in Keras.
"""

import math

from kerasx import ops
from kerasx.quantizers.abs_max import dequantize_with_sz_map
from kerasx.quantizers.int4_packing import pack_int4, unpack_int4

CALIBRATED_MODES = ("gptq", "awq")


def kernel_matrix_shape(layer, kernel_shape=None, mode="gptq"):
    """`(rows, columns)`: the kernel as the matrix the algorithm quantizes. A rank-3
    kernel is an attention projection: `(model_dim, heads, head_dim)` gives
    `(model_dim, heads * head_dim)`, `(heads, head_dim, model_dim)` gives
    `(heads * head_dim, model_dim)`, the largest axis being the model dimension."""
    from kerasx.layers.core.dense import Dense
    from kerasx.layers.core.einsum_dense import EinsumDense

    if kernel_shape is None:
        if not isinstance(layer, (Dense, EinsumDense)):
            raise TypeError(f"Unsupported layer type for {mode.upper()}: {type(layer)}")
        kernel_shape = getattr(layer, "_calibrated_kernel_shape", None) or tuple(
            layer.kernel.shape)
    shape = tuple(kernel_shape)
    if len(shape) == 2:
        return shape
    if len(shape) == 3:
        if shape.index(max(shape)) == 0:
            return shape[0], shape[1] * shape[2]
        return shape[0] * shape[1], shape[2]
    raise TypeError(f"Unsupported layer type for {mode.upper()}: {type(layer)} with a kernel "
                    f"of rank {len(shape)} (kernels of rank 2 or 3 are supported).")


def _setting(layer, config, mode, name):
    """`name` (`weight_bits`, `group_size`) from the config, else the layer's policy."""
    from kerasx.dtype_policies import DTypePolicyMap

    if config is not None and getattr(config, "mode", None) == mode:
        return getattr(config, name)
    policy = layer.dtype_policy
    if isinstance(policy, DTypePolicyMap):
        policy = policy[layer.path]
    if getattr(policy, "quantization_mode", None) == mode and hasattr(policy, name):
        return getattr(policy, name)
    policy_class = {"gptq": "GPTQDTypePolicy", "awq": "AWQDTypePolicy"}[mode]
    raise ValueError(f"For {mode.upper()} quantization, the {name} must be specified either "
                     f"through a `dtype_policy` of type `{policy_class}` or the `config` "
                     "argument.")


def calibrated_build(layer, kernel_shape, mode, config, zero_name):
    """Creates the variables of `mode` for the kernel of shape `kernel_shape`; the zero
    points are saved as `zero_name` (`kernel_zero` in Dense, `zero_point` in
    EinsumDense)."""
    rows, columns = kernel_matrix_shape(layer, kernel_shape, mode)
    bits = _setting(layer, config, mode, "weight_bits")
    group_size = _setting(layer, config, mode, "group_size")
    groups = 1 if group_size == -1 else math.ceil(rows / group_size)
    layer._calibrated_kernel_shape = tuple(kernel_shape)
    layer._calibrated_columns = columns
    layer._calibrated_bits = bits
    stored_columns = (columns + 1) // 2 if bits == 4 else columns
    layer.quantized_kernel = layer.add_weight((stored_columns, rows), "zeros", dtype="uint8",
                                              trainable=False, name="kernel")
    layer.kernel_scale = layer.add_weight((columns, groups), "ones", trainable=False,
                                          name="kernel_scale")
    layer.kernel_zero = layer.add_weight((columns, groups), "zeros", dtype="uint8",
                                         trainable=False, name=zero_name)
    if mode == "awq":
        layer.awq_scales = layer.add_weight((rows,), "ones", trainable=False,
                                            name="awq_scales")
    layer.g_idx = layer.add_weight((rows,), "zeros", dtype="float32", trainable=False,
                                   name="g_idx")
    calibrated = not hasattr(layer, "kernel")
    layer._set_untracked(f"is_{mode}_calibrated", calibrated)
    if calibrated:
        _set_kernel(layer, layer.quantized_kernel)


def _set_kernel(layer, variable):
    """Points `layer.kernel` at `variable` without tracking it a second time (the
    attribute is a property over `_kernel` in LoRA-capable layers)."""
    is_property = isinstance(getattr(type(layer), "kernel", None), property)
    layer._set_untracked("_kernel" if is_property else "kernel", variable)


def is_calibrated(layer):
    return getattr(layer, f"is_{layer._quantized}_calibrated", False)


def calibrated_kernel(layer):
    """The kernel a "gptq" / "awq" layer computes with, in its original shape: the
    float kernel before calibration, the dequantized levels after it (divided by the
    AWQ scales of their rows)."""
    if not is_calibrated(layer):
        return layer.kernel
    levels = layer.quantized_kernel
    if layer._calibrated_bits == 4:
        levels = unpack_int4(levels, layer._calibrated_columns, axis=0, dtype="uint8")
    matrix = ops.transpose(dequantize_with_sz_map(ops.cast(levels, "float32"),
                                                  layer.kernel_scale, layer.kernel_zero,
                                                  layer.g_idx))
    if layer._quantized == "awq":
        matrix = ops.divide(matrix, ops.expand_dims(layer.awq_scales, -1))
    return ops.cast(ops.reshape(matrix, layer._calibrated_kernel_shape), layer.compute_dtype)


def store_result(layer, quantized, scale, zero, g_idx, awq_scales=None):
    """Writes the levels `(columns, rows)` (packed for 4 bits), scales, zero points,
    group indices (and AWQ scales) into `layer` and drops its float kernel."""
    levels = ops.cast(quantized, "uint8")
    if layer._calibrated_bits == 4:
        levels = pack_int4(levels, axis=0, dtype="uint8")[0]
    layer.quantized_kernel.assign(levels)
    layer.kernel_scale.assign(scale)
    layer.kernel_zero.assign(zero)
    if awq_scales is not None:
        layer.awq_scales.assign(awq_scales)
    layer.g_idx.assign(g_idx)
    mark_calibrated(layer)


def mark_calibrated(layer):
    """Makes `layer` compute with its levels from now on and drops its float kernel
    (after calibration, or once a file's levels are loaded into it)."""
    if is_calibrated(layer):
        return
    layer._replace_variable(layer.kernel)
    _set_kernel(layer, layer.quantized_kernel)
    layer._set_untracked(f"is_{layer._quantized}_calibrated", True)


def saved_calibrated_variables(layer, listed):
    """The variables files hold for a "gptq" / "awq" layer; a layer prepared by
    `quantize` but not calibrated becomes calibrated when a file's levels are loaded
    into it."""
    if is_calibrated(layer):
        return listed
    return [LevelsOnLoad(layer, v) if v is layer.quantized_kernel else v for v in listed]


class LevelsOnLoad:
    """`quantized_kernel` as loading sees it: assigned, the layer is calibrated."""

    def __init__(self, layer, variable):
        self.layer, self.variable = layer, variable
        self.name, self.path, self.shape = variable.name, variable.path, variable.shape
        self.dtype = variable.dtype

    @property
    def value(self):
        return self.variable.value

    def numpy(self):
        return self.variable.numpy()

    def assign(self, value):
        self.variable.assign(value)
        mark_calibrated(self.layer)


def calibrated_levels(layer):
    """What Keras's `kernel` returns for a calibrated layer: the uint8 levels as a
    `(columns, rows)` matrix, unpacked for 4 bits."""
    levels = layer.quantized_kernel
    if layer._calibrated_bits == 4:
        return unpack_int4(levels, layer._calibrated_columns, axis=0, dtype="uint8")
    return levels
