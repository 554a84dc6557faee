"""`Wrapper`: the base of layers that take another layer and change how it is applied."""

__all__ = ["Wrapper"]

from kerasx.layers.layer import Layer


class Wrapper(Layer):
    """A layer holding another layer, `self.layer`, whose weights become its own.

    Subclasses write `call` (and usually `compute_output_shape`); the wrapped
    layer is built on the wrapper's input shape unless `build` is overridden,
    and the config holds the wrapped layer's, so a subclass saves and loads
    without more code. `TimeDistributed` is one.

        class Doubled(keras.layers.Wrapper):
            def call(self, x):
                return 2.0 * self.layer(x)

    Args:
        layer: the Layer instance to wrap.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__} expects a kerasx Layer instance to wrap (e.g. "
                f"Dense(8)), received {layer!r} of type {type(layer).__name__}.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_shape = input_shape
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
