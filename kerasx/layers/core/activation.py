"""`Activation`: applies an activation function."""

__all__ = ["Activation"]

from kerasx import activations
from kerasx.layers.layer import Layer


class Activation(Layer):
    """Applies `activation` (a name such as `"relu"` or a callable) to its input."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
