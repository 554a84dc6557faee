"""Dtype policies: the compute and variable dtypes of layers (mixed precision).

    kerasx.config.set_dtype_policy("mixed_float16")   # layers created from now on
    layer = kerasx.layers.Dense(10, dtype="float32")  # or one layer's own policy
"""

from kerasx.dtype_policies.dtype_policy import DTypePolicy, FloatDTypePolicy, _named, dtype_policy
from kerasx.dtype_policies.dtype_policy_map import DTypePolicyMap
from kerasx.dtype_policies.gptq_dtype_policy import AWQDTypePolicy, GPTQDTypePolicy
from kerasx.dtype_policies.quantized_dtype_policy import (QUANTIZATION_MODES, Int4DTypePolicy,
                                                          QuantizedDTypePolicy,
                                                          QuantizedFloat8DTypePolicy,
                                                          quantized_policy_from_name)

ALL_OBJECTS = (DTypePolicy, FloatDTypePolicy, DTypePolicyMap, QuantizedDTypePolicy,
               QuantizedFloat8DTypePolicy, Int4DTypePolicy, GPTQDTypePolicy, AWQDTypePolicy)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}

__all__ = ["AWQDTypePolicy", "DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "GPTQDTypePolicy",
           "Int4DTypePolicy",
           "QUANTIZATION_MODES", "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy",
           "deserialize", "get", "serialize"]


def get(identifier):
    """A `DTypePolicy` from None (the global policy), a policy, a name
    (`"mixed_float16"`), a dtype object (`numpy.float32`) or a config dict."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return quantized_policy_from_name(identifier)
        return _named(identifier)
    from kerasx.backends.base import dtype_name

    try:
        return _named(dtype_name(identifier))
    except (TypeError, ValueError):
        raise ValueError(
            "Cannot interpret the `dtype` argument: expected a policy name such as 'float32' "
            f"or 'mixed_float16', or a DTypePolicy, received {identifier!r} of type "
            f"{type(identifier).__name__}."
        ) from None


def serialize(dtype_policy):
    """The Keras 3 config dict of a policy."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(dtype_policy)


def deserialize(config, custom_objects=None):
    """A policy from `serialize`'s output (Keras 3 configs included)."""
    if not isinstance(config, dict):
        return get(config)
    if config.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
        return ALL_OBJECTS_DICT[config["class_name"]].from_config(config.get("config") or {})
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT)


def layer_dtype_argument(value, custom_objects=None):
    """A config's `dtype` as Keras's `from_config` passes it to the constructor: a plain
    policy's config becomes the policy's name, a quantized policy's or a policy map's
    the policy; a name or None is kept."""
    if not isinstance(value, dict):
        return value
    policy = deserialize(value, custom_objects=custom_objects)
    if isinstance(policy, DTypePolicyMap) or policy.quantization_mode is not None:
        return policy
    return policy.name
