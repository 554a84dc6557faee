"""Quantization configs: which quantizers `quantize` uses for weights and activations,
and `validate_and_resolve_config`, which turns `quantize`'s `(mode, config)` into one
config."""

from kerasx.dtype_policies.quantized_dtype_policy import QUANTIZATION_MODES


class QuantizationConfig:
    """The base of quantization configs.

    Args:
        weight_quantizer: the `Quantizer` of the weights (None: the layer's default).
        activation_quantizer: the `Quantizer` of the inputs at call time (None: none).

    Subclasses define `mode`.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not "
                                  "instantiate QuantizationConfig directly.")

    def get_config(self):
        from kerasx.quantizers import serialize

        return {"weight_quantizer": serialize(self.weight_quantizer),
                "activation_quantizer": serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        from kerasx.quantizers import deserialize

        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        if config is not None:
            return config.activation_quantizer
        return default


class Int8QuantizationConfig(QuantizationConfig):
    """Int8 weights, with inputs quantized per row at call time.

    Args:
        weight_quantizer: a quantizer with `output_dtype="int8"` (None: abs-max over
            the kernel's input axis).
        activation_quantizer: `"default"` (abs-max over the last axis), a quantizer,
            or None for weight-only quantization.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        from kerasx.quantizers.quantizer import AbsMaxQuantizer

        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """Int4 weights (two per byte), weight-only by default.

    Args:
        weight_quantizer: a quantizer with `value_range=(-8, 7)` and
            `output_dtype="int8"`; only with per-channel quantization.
        activation_quantizer: `"default"` (none) or a quantizer.
        block_size: the rows per group of sub-channel quantization (a scale and a
            zero point per group and output), or None / -1 for one symmetric scale per
            output channel.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and (
                not isinstance(block_size, int) or block_size <= 0):
            raise ValueError("block_size must be None, -1, or a positive integer. "
                             f"Received: block_size={block_size}")
        self.block_size = block_size
        sub_channel = block_size is not None and block_size > 0
        if sub_channel and (self.weight_quantizer is not None
                            or self.activation_quantizer is not None):
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom "
                "quantizers. Either set block_size to None or -1 for per-channel "
                "quantization, or remove the custom quantizer arguments. Received: "
                f"block_size={block_size}")
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with value_range="
                    f"(-8, 7). Received: value_range={self.weight_quantizer.value_range}")
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with output_dtype="
                    f"'int8'. Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        from kerasx.quantizers import deserialize

        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size", None))


class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed scaling of inputs, kernel and output gradients); it
    takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


_DEFAULTS = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
             "float8": Float8QuantizationConfig}


def validate_and_resolve_config(mode, config):
    """The config `quantize(mode, config)` uses: the default of `mode` when `config` is
    None (a mode string given as `config` counts as the mode), else `config` after
    checking it agrees with `mode`."""
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        if mode in _DEFAULTS:
            config = _DEFAULTS[mode]()
        elif mode == "gptq":
            raise ValueError("For GPTQ, you must pass a `GPTQConfig` object in the `config` "
                             "argument.")
        elif mode == "awq":
            raise ValueError("For AWQ, you must pass an `AWQConfig` object in the `config` "
                             "argument.")
        else:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but "
                         f"config.mode='{config.mode}'")
    _validate_mode(config.mode)
    return config


def _validate_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                         f"Received: mode={mode}")


def block_size_for_layer(layer, config):
    """The int4 block size of `layer`: the config's, else its `Int4DTypePolicy`'s (None
    for per-channel quantization)."""
    if isinstance(config, Int4QuantizationConfig):
        return config.block_size
    block_size = getattr(layer.dtype_policy, "block_size", None)
    return None if block_size == -1 else block_size
