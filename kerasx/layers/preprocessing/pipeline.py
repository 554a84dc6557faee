"""`Pipeline`: a list of layers applied one after the other, as one layer."""

__all__ = ["Pipeline"]

import inspect

from kerasx.layers.layer import Layer


class Pipeline(Layer):
    """Applies `layers` in sequence: the output of each is the input of the next.

    Unlike `Sequential`, a pipeline is a plain layer, not a model: it has no
    `Input`, no `compile` or `fit`, and takes whatever its first layer takes
    (for example a chain of augmentation layers to put in a model or apply to
    data). `training` is passed on to every layer that takes it, a given
    mask to the first layer when it takes one; masks then follow the outputs.

    Args:
        layers: a list of layer instances.
        name: the layer's name.
    """

    # a plain attribute here, not `Layer`'s read-only property: weights files then name
    # the group of these layers `layers`, as Keras's do
    layers = None

    def __init__(self, layers, name=None, **kwargs):
        if not isinstance(layers, (list, tuple)) or \
                not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError("Pipeline: layers must be a list of kerasx Layer instances, "
                             f"received layers={layers!r}.")
        super().__init__(name=name, **kwargs)
        self.layers = list(layers)

    def call(self, inputs, training=None, mask=None):
        outputs = inputs
        for layer in self.layers:
            kwargs = {"training": training}
            if mask is not None and "mask" in inspect.signature(layer.call).parameters:
                kwargs["mask"] = mask
            mask = None  # later layers read the mask their input carries
            outputs = layer(outputs, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"layers": serialize_keras_object(self.layers), "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError("Pipeline: the config must map 'layers' to a list of serialized "
                             f"layers, received layers={layers!r}.")
        config = dict(config)
        config["layers"] = [deserialize_keras_object(x, custom_objects=custom_objects)
                            for x in layers]
        return cls(**config)
