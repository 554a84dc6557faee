"""Serialization and (in `saving_api`) saving of models."""

from kerasx.saving.serialization import (deserialize_keras_object, get_registered_object,
                                         register_keras_serializable, serialize_keras_object)

__all__ = ["deserialize_keras_object", "get_registered_object", "register_keras_serializable",
           "serialize_keras_object"]
