"""Serialization of objects to Keras 3 configs, and the registry of custom objects."""

from kerasx.saving.serialization import (CustomObjectScope, custom_object_scope,
                                         deserialize_keras_object, enable_unsafe_deserialization,
                                         get_custom_objects, get_registered_name,
                                         get_registered_object, in_safe_mode,
                                         register_keras_serializable, serialize_keras_object)

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "enable_unsafe_deserialization", "get_custom_objects", "get_registered_name",
           "get_registered_object", "in_safe_mode", "register_keras_serializable",
           "serialize_keras_object"]
