"""What every quantizable layer shares: the `quantize` entry point (its checks and the
policy it leaves behind), the config of a quantized layer, the int8 product with an
exact integer accumulation, and float8's quantize-dequantize nodes."""

import contextlib
import inspect

from kerasx import ops
from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.ops.custom_gradient import custom_gradient
from kerasx.quantizers.float8 import (compute_float8_amax_history, compute_float8_scale,
                                      float_format_max, quantize_and_dequantize, round_values)
from kerasx.quantizers.quantization_config import (QUANTIZATION_MODES, block_size_for_layer,
                                                   validate_and_resolve_config)

# float32 holds every integer up to 2**24 exactly: an int8 x int8 product summed over
# up to this many terms (127 * 127 each) is exact in float32, longer sums go to float64
_FLOAT32_EXACT_TERMS = (1 << 24) // (127 * 127)


# the order Keras saves a kernel layer's variables in (Dense, EinsumDense), per mode
KERNEL_SAVED_ORDER = {
    "int8": ("kernel", "bias", "kernel_scale"),
    "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
    "float8": ("kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale",
               "kernel_amax_history", "outputs_grad_scale", "outputs_grad_amax_history"),
    "gptq": ("bias", "quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"),
    "awq": ("bias", "quantized_kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx"),
}


class Quantizable:
    """The `quantize` method and `quantization_mode` of a layer that implements
    `_quantized_modes`, `_quantize_weights(mode, config)` and `_quantized_call`."""

    _quantized_modes = ()
    _quantized = None  # the quantization mode once the quantized weights exist

    @property
    def quantization_mode(self):
        """The quantization mode of this layer, None if it is not quantized."""
        return policy_quantization_mode(self)

    def quantized_build(self, kernel_shape, mode, config=None):
        """Creates the variables of quantization mode `mode` for a kernel of shape
        `kernel_shape` (what `build` does for a layer whose policy is quantized)."""
        if mode not in self._quantized_modes:
            raise NotImplementedError(
                f"Invalid quantization mode. Expected one of {self._quantized_modes}. "
                f"Received: quantization_mode={mode}")
        # an embedding's `_quantized_build(mode, config)` knows its shape from its config
        shaped = len(inspect.signature(self._quantized_build).parameters) == 3
        args = (tuple(kernel_shape), mode, config) if shaped else (mode, config)
        tracker = self.__dict__.get("_tracker")
        with tracker.unlocked() if tracker is not None else contextlib.nullcontext():
            self._quantized_build(*args)

    def quantized_call(self, inputs, training=None):
        """The layer's output in its quantization mode."""
        if self._quantized is None:
            raise quantized_call_error(self)
        return self._quantized_call(inputs)

    def quantize(self, mode=None, type_check=True, config=None):
        """Replaces the float weights by quantized ones and computes in `mode` from now on.

        Args:
            mode: `"int8"`, `"int4"`, `"float8"`, `"gptq"` or `"awq"` (the modes the
                layer supports); optional when `config` is given. "gptq" and "awq" only
                prepare the layer: `model.quantize(mode, config=...)` calibrates it.
            type_check: refuse subclasses of the layer, whose `call` may not match.
            config: a `kerasx.quantizers.QuantizationConfig` (None: the mode's default).

        The layer must be built and not quantized yet; its dtype policy becomes
        `"<mode>_from_<policy>"` (`"int4/<block_size>_from_..."` for int4,
        `"gptq/<bits>/<group_size>_from_..."` for gptq, `"awq/4/<group_size>_from_..."`
        for awq).
        """
        config = validate_and_resolve_config(mode, config)
        mode = config.mode
        self._check_quantize_args(mode)
        base = type(self)._quantizable_class()
        if type_check and type(self) is not base:
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` "
                                      "method implemented.")
        if mode not in self._quantized_modes:
            raise NotImplementedError(
                f"Invalid quantization mode. Expected one of {self._quantized_modes}. "
                f"Received: quantization_mode={mode}. Layer {type(self).__name__} does not "
                f"support quantization mode {mode!r}; quantize it with one of the modes above.")
        self.quantization_config = config
        tracker = self.__dict__.get("_tracker")
        with tracker.unlocked() if tracker is not None else contextlib.nullcontext():
            self._quantize_weights(mode, config)
        if self.quantization_mode is None:
            name = mode
            if mode in ("gptq", "awq"):
                name = config.dtype_policy_string()
            elif mode == "int4":
                block_size = block_size_for_layer(self, config)
                name = f"int4/{-1 if block_size is None else block_size}"
            from kerasx.dtype_policies import get

            self._set_dtype_policy(get(f"{name}_from_{self._dtype_policy.name}"))

    @classmethod
    def _quantizable_class(cls):
        """The layer class that mixes the quantization in (`Dense`), which `type_check`
        requires the layer to be exactly."""
        from kerasx.layers.layer import Layer

        for klass in cls.__mro__:
            if any(issubclass(base, Quantizable) and not issubclass(base, Layer)
                   for base in klass.__bases__):
                return klass
        return cls

    def _check_quantize_args(self, mode):
        check_quantizable(self, mode, self._quantized is not None)

    def _saved_variables(self):
        """The layer's variables in the order a `.keras` / `.weights.h5` file holds
        them: for a quantized layer, Keras's order of its mode (`kernel`, `bias`,
        `kernel_scale`, ...), which is not trainable-first; otherwise trainable first,
        each in creation order."""
        own = self._own_variables
        listed = []
        if self._quantized is not None:
            listed = [self._variable(name) for name in self._saved_order[self._quantized]]
            listed = [v for v in listed if v is not None]
        if self._quantized in ("gptq", "awq"):  # no float kernel, even uncalibrated
            from kerasx.quantizers.calibrated_layer import saved_calibrated_variables

            return saved_calibrated_variables(self, listed)
        seen = {id(v) for v in listed}
        rest = [v for v in own if id(v) not in seen]
        return listed + [v for v in rest if v.trainable] + [v for v in rest if not v.trainable]

    def _variable(self, name):
        """The variable `name` itself: for a LoRA layer's base weight (`kernel`,
        `embeddings`), the variable behind the attribute, which returns a view of it."""
        if name == getattr(self, "_lora_weight_name", None):
            return self.__dict__.get("_" + name)
        return getattr(self, name, None)

    def _replace_variable(self, variable):
        """Forgets the float variable `variable`, which quantized ones replace."""
        self._own_variables[:] = [v for v in self._own_variables if v is not variable]

    def _quantized_config(self, config):
        """`config` with the quantized policy and the quantization config, as Keras
        writes them."""
        if self.quantization_mode is None:
            return config
        from kerasx.dtype_policies import serialize as serialize_policy
        from kerasx.quantizers import serialize

        return {**config, "dtype": serialize_policy(self._dtype_policy),
                "quantization_config": serialize(getattr(self, "quantization_config", None))}


def resolve_quantization_config(config):
    """A `quantization_config` constructor argument as a config object (from its dict)."""
    if config is None or not isinstance(config, dict):
        return config
    from kerasx.quantizers import deserialize

    return deserialize(config)


def int8_product(equation, x, kernel, terms):
    """`einsum(equation, x, kernel)` (`x @ kernel` for None) of two int8 arrays whose
    every output sums `terms` products, in floating point with every partial sum
    exact (the array API has no int8 product with a wide accumulator)."""
    backend = current()
    xp = backend.xp
    dtype = backend.dtype("float32" if terms <= _FLOAT32_EXACT_TERMS else "float64")
    x, kernel = xp.astype(x, dtype), xp.astype(kernel, dtype)
    if equation is None:
        return Tensor(xp.matmul(x, kernel))
    return ops.einsum(equation, Tensor(x), Tensor(kernel))


def float8_variables(layer):
    """Creates the six float32 variables of float8 training (scale and amax history of
    the inputs, the kernel and the output gradient), in Keras's order. As in Keras
    they are trainable and marked `overwrite_with_gradient`: their "gradients" are
    their next values, which the optimizer assigns."""
    from kerasx.dtype_policies import QuantizedFloat8DTypePolicy

    length = getattr(layer._dtype_policy, "amax_history_length",
                     QuantizedFloat8DTypePolicy.default_amax_history_length)
    for prefix in ("inputs", "kernel", "outputs_grad"):
        setattr(layer, f"{prefix}_scale",
                layer.add_weight((), "ones", dtype="float32", trainable=True, autocast=False,
                                 overwrite_with_gradient=True, name=f"{prefix}_scale"))
        setattr(layer, f"{prefix}_amax_history",
                layer.add_weight((length,), "zeros", dtype="float32", trainable=True,
                                 autocast=False, overwrite_with_gradient=True,
                                 name=f"{prefix}_amax_history"))


_E4M3 = "float8_e4m3fn"
_E5M2 = "float8_e5m2"


def float8_forward(x, scale, history, compute_dtype, training):
    """`x` quantized to float8_e4m3fn and back with `scale`, its gradient passed
    straight through. In training, the gradients of `scale` and `history` are the
    delayed-scaling update: the scale from the history's maximum, and the history
    with `max|x|` pushed in."""

    @custom_gradient
    def quantized_dequantized(x, scale, history):
        scale, history = ops.convert_to_tensor(scale), ops.convert_to_tensor(history)
        if training:
            new_scale = compute_float8_scale(ops.max(history, axis=0), scale,
                                             float_format_max(_E4M3))
            new_history = compute_float8_amax_history(x, history)

        def grad(upstream):
            return (upstream, new_scale, new_history) if training else (upstream, None, None)

        return quantize_and_dequantize(x, scale, _E4M3, compute_dtype), grad

    return quantized_dequantized(x, scale, history)


def float8_output_gradient(outputs, scale, history, compute_dtype):
    """`outputs` unchanged; their gradient quantized to float8_e5m2 and back with
    `scale`, the gradients of `scale` and `history` their delayed-scaling update by
    that gradient."""

    @custom_gradient
    def gradient_quantized(outputs, scale, history):
        scale, history = ops.convert_to_tensor(scale), ops.convert_to_tensor(history)

        def grad(upstream):
            new_scale = compute_float8_scale(ops.max(history, axis=0), scale,
                                             float_format_max(_E5M2))
            quantized = quantize_and_dequantize(upstream, scale, _E5M2, compute_dtype)
            return quantized, new_scale, compute_float8_amax_history(upstream, history)

        return outputs, grad

    return gradient_quantized(outputs, scale, history)


@custom_gradient
def bfloat16_round_trip(x):
    """`x` rounded to bfloat16 and back, its gradient rounded the same way (the casts'
    gradients)."""

    def grad(upstream):
        return Tensor(round_values(ops.convert_to_tensor(upstream).value, "bfloat16"))

    return Tensor(round_values(x.value, "bfloat16")), grad


def float8_call(layer, inputs, product, training):
    """`product(inputs, kernel)` of float8 training, both operands and the output
    gradient quantized-dequantized with the layer's delayed scales, the bias (rounded
    to bfloat16 under a float32 policy, as Keras adds it) and activation applied."""
    dtype = layer.compute_dtype
    x = product(
        float8_forward(inputs, layer.inputs_scale, layer.inputs_amax_history, dtype, training),
        float8_forward(layer.kernel, layer.kernel_scale, layer.kernel_amax_history, dtype,
                       training))
    x = float8_output_gradient(x, layer.outputs_grad_scale, layer.outputs_grad_amax_history,
                               dtype)
    if layer.bias is not None:
        bias = bfloat16_round_trip(layer.bias) if dtype == "float32" else layer.bias
        x = ops.add(x, bias)
    return x if layer.activation is None else layer.activation(x)


# -- the base `Layer`'s quantization API: layers without a quantized form -----------------
def policy_quantization_mode(layer):
    """The quantization mode of `layer`'s dtype policy (None: not quantized)."""
    return getattr(layer.__dict__.get("_dtype_policy"), "quantization_mode", None)


def not_implemented(layer, method):
    """Keras's error for a quantization method `layer` does not have."""
    return NotImplementedError(f"Layer {type(layer).__name__} does not have a `{method}` "
                               "method implemented.")


def check_quantize_call(layer, mode, config):
    """Keras's checks of `quantize(mode, config)` before any layer acts: the resolved
    config, a built layer, not quantized yet, a known mode. Returns the config."""
    config = validate_and_resolve_config(mode, config)
    check_quantizable(layer, config.mode, layer.quantization_mode is not None)
    return config


def check_quantizable(layer, mode, quantized):
    """Keras's errors for quantizing `layer` in `mode`: not built, already `quantized`,
    an unknown mode, int8 on float16."""
    if not layer.built:
        raise ValueError(
            "Cannot quantize a layer that isn't yet built. Layer "
            f"'{layer.name}' (of type '{type(layer).__name__}') is not built yet.")
    if quantized:
        raise ValueError(f"Layer '{layer.name}' is already quantized with dtype_policy="
                         f"'{layer.dtype_policy.name}'. Received: mode={mode}")
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of "
                         f"{QUANTIZATION_MODES}. Received: mode={mode}")
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. "
            "Consider loading model/layer with another dtype policy such as "
            "'mixed_bfloat16' or 'mixed_float16' before calling `quantize()`.")


def quantized_call_error(layer):
    """The error of `quantized_call` on a layer without a quantized form: the missing
    `_<mode>_call` for a quantized policy, an invalid mode otherwise."""
    mode = layer.quantization_mode
    if mode in QUANTIZATION_MODES:
        return not_implemented(layer, f"_{mode}_call")
    return NotImplementedError(f"Invalid quantization mode. Expected one of "
                               f"{QUANTIZATION_MODES}. Received: quantization_mode={mode}")
