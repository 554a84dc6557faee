"""The source of a layer holding `Variable`s as attributes, run against `kerasx` here and
against real Keras by make_attribute_variable_fixture.py and the live interop test."""

LAYER_SOURCE = '''
import numpy as np


@keras.saving.register_keras_serializable(package="attribute_variables")
class AttrVars(keras.layers.Layer):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = keras.Variable(np.full((units,), 0.5, "float32"), name="scale")
        self.counts = keras.Variable(np.zeros((units,), "float32"), trainable=False,
                                     name="counts")

    def build(self, input_shape):
        self.kernel = keras.Variable(keras.initializers.GlorotUniform(seed=1),
                                     shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.gates = [keras.Variable(keras.initializers.Ones(), shape=(self.units,),
                                     name="gate")]
        self.table = {"shift": keras.Variable(np.zeros((self.units,), "float32"),
                                              name="shift")}

    def call(self, x, training=False):
        if training:
            self.counts.assign(self.counts + 1.0)
        y = keras.ops.matmul(x, self.kernel) + self.bias
        return keras.ops.tanh(y) * self.scale * self.gates[0] + self.table["shift"]

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''

# Keras 3.15.1's `weights` order for the layer: its trainable variables in the order they
# were tracked, then the non-trainable ones
KERAS_WEIGHT_NAMES = ["scale", "kernel", "bias", "gate", "shift", "counts"]


def define(keras):
    """The `AttrVars` class, written against the module `keras`."""
    namespace = {"keras": keras}
    exec(LAYER_SOURCE, namespace)
    return namespace["AttrVars"]
