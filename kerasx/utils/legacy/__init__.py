"""`kerasx.utils.legacy`: Keras 2 style (de)serialization, as `keras.utils.legacy`."""

from kerasx.legacy.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
