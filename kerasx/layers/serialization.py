"""`kerasx.layers.serialize` and `deserialize`: a layer to and from its config dict."""

from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object


def serialize(layer):
    """The layer's configuration as a Python dict (Keras 3's serialized form)."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer a serialized `config` describes (the dict `serialize` returns).

    Args:
        config: the serialized layer.
        custom_objects: a dict of custom classes and functions by name.
    """
    from kerasx.layers.layer import Layer

    obj = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError(f"`keras.layers.deserialize` was passed a `config` object that is not a "
                         f"`keras.layers.Layer`. Received: {config}")
    return obj
