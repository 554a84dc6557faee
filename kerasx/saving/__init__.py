"""Saving and loading models (`.keras`, `.weights.h5`), serialization of objects to
Keras 3 configs, and the registry of custom objects."""

from kerasx.saving.serialization import (CustomObjectScope, custom_object_scope,
                                         deserialize_keras_object, enable_unsafe_deserialization,
                                         get_custom_objects, get_registered_name,
                                         get_registered_object, in_safe_mode,
                                         register_keras_serializable, serialize_keras_object)
from kerasx.saving.file_editor import KerasFileEditor
from kerasx.saving.saving_api import load_model, load_weights, save_model, save_weights

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "KerasFileEditor",
           "enable_unsafe_deserialization", "get_custom_objects", "get_registered_name",
           "get_registered_object", "in_safe_mode", "load_model", "load_weights",
           "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object"]
