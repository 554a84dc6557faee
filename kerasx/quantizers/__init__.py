"""Quantization: quantizers, quantization configs and the int4 / float8 helpers that
`layer.quantize(mode)` and `model.quantize(mode)` use.

    model.quantize("int8")     # int8 kernels, inputs quantized per row at call time
    model.quantize("gptq", config=GPTQConfig(dataset, tokenizer, ...))  # calibrated
    model.quantize("awq", config=AWQConfig(dataset, tokenizer, ...))    # calibrated
    keras.quantizers.abs_max_quantize(x, axis=-1)   # (quantized, scale)
"""

import inspect

from kerasx.quantizers.abs_max import (abs_max_quantize,
                                       abs_max_quantize_grouped_with_zero_point,
                                       dequantize_with_sz_map)
from kerasx.quantizers.awq_config import AWQConfig
from kerasx.quantizers.fake_quant import fake_quant_with_min_max_vars
from kerasx.quantizers.gptq_config import GPTQConfig
from kerasx.quantizers.float8 import (compute_float8_amax_history, compute_float8_scale,
                                      quantize_and_dequantize)
from kerasx.quantizers.int4_packing import pack_int4, unpack_int4
from kerasx.quantizers.quantization_config import (Float8QuantizationConfig,
                                                   Int4QuantizationConfig,
                                                   Int8QuantizationConfig,
                                                   QuantizationConfig)
from kerasx.quantizers.quantizer import AbsMaxQuantizer, Quantizer
from kerasx.utils.naming import to_snake_case

ALL_OBJECTS = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig,
               Int4QuantizationConfig, Float8QuantizationConfig, GPTQConfig, AWQConfig)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})

__all__ = ["AWQConfig", "AbsMaxQuantizer", "Float8QuantizationConfig", "GPTQConfig",
           "Int4QuantizationConfig", "Int8QuantizationConfig", "QuantizationConfig", "Quantizer", "abs_max_quantize",
           "abs_max_quantize_grouped_with_zero_point", "compute_float8_amax_history",
           "compute_float8_scale", "dequantize_with_sz_map", "deserialize",
           "fake_quant_with_min_max_vars", "get", "pack_int4", "quantize_and_dequantize",
           "serialize", "unpack_int4"]


def serialize(initializer):
    """The Keras 3 config dict of a quantizer or quantization config (None stays None).
    (The argument keeps Keras's name.)"""
    from kerasx.saving.serialization import serialize_keras_object

    config = serialize_keras_object(initializer)
    if isinstance(config, dict) and type(initializer) in ALL_OBJECTS:
        config["module"] = "keras.quantizers"  # where Keras's loader finds them
    return config


def deserialize(config, custom_objects=None):
    """A quantizer or quantization config from `serialize`'s output."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT, kind="quantizer")


def get(identifier, **kwargs):
    """A quantizer from None, a config dict, a class name or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = ALL_OBJECTS_DICT.get(identifier)
    else:
        found = identifier
    if callable(found):
        return found(**kwargs) if inspect.isclass(found) else found
    raise ValueError(f"Could not interpret quantizer identifier: {identifier!r}. Expected a "
                     f"quantizer, its config dict or one of {sorted(ALL_OBJECTS_DICT)}.")
