"""`kerasx.legacy.saving`: Keras 2 style (de)serialization of objects."""

from kerasx.legacy.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
