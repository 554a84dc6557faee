"""Variable paths follow Keras 3's name scopes: the layers whose build or call created
a variable, outermost first (the expected strings are what Keras 3.15.1 prints for the
same models)."""

import numpy as np

import kerasx as keras
from kerasx import layers


def _paths(weights):
    return [w.path for w in weights]


def test_sequential_nests_sublayers_and_cells():
    model = keras.Sequential([
        keras.Input((3, 2)),
        layers.LSTM(4, return_sequences=True, name="lstm"),
        layers.Bidirectional(layers.GRU(2, name="gru"), name="bidirectional"),
        layers.Dense(1, name="dense"),
    ], name="sequential")
    assert _paths(model.weights) == [
        "sequential/lstm/lstm_cell/kernel", "sequential/lstm/lstm_cell/recurrent_kernel",
        "sequential/lstm/lstm_cell/bias",
        "sequential/bidirectional/forward_gru/gru_cell/kernel",
        "sequential/bidirectional/forward_gru/gru_cell/recurrent_kernel",
        "sequential/bidirectional/forward_gru/gru_cell/bias",
        "sequential/bidirectional/backward_gru/gru_cell/kernel",
        "sequential/bidirectional/backward_gru/gru_cell/recurrent_kernel",
        "sequential/bidirectional/backward_gru/gru_cell/bias",
        "sequential/dense/kernel", "sequential/dense/bias",
    ]


def test_functional_layers_are_built_outside_the_model_scope():
    inputs = keras.Input((3,))
    outputs = layers.Dense(2, name="second")(layers.Dense(4, name="first")(inputs))
    model = keras.Model(inputs, outputs)
    assert _paths(model.weights) == ["first/kernel", "first/bias", "second/kernel",
                                     "second/bias"]


def test_direct_build_lazy_call_and_subclassed_models():
    dense = layers.Dense(3, name="alone")
    dense.build((None, 2))
    assert _paths(dense.weights) == ["alone/kernel", "alone/bias"]

    lazy = keras.Sequential([layers.Dense(2, name="inner")], name="lazy")
    lazy(np.ones((1, 3), "float32"))
    assert _paths(lazy.weights) == ["lazy/inner/kernel", "lazy/inner/bias"]

    class Model(keras.Model):
        def __init__(self):
            super().__init__(name="custom")
            self.dense = layers.Dense(2, name="head")

        def call(self, x):
            return self.dense(x)

    model = Model()
    model(np.ones((1, 3), "float32"))
    assert _paths(model.weights) == ["custom/head/kernel", "custom/head/bias"]


def test_weights_made_in_init_and_in_a_parents_build():
    class Leaf(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.early = self.add_weight((2,), name="early")

        def build(self, shape):
            self.late = self.add_weight((2,), name="late")

        def call(self, x):
            return x

    class Parent(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.leaf = Leaf(name="leaf")

        def build(self, shape):
            self.leaf.build(shape)

        def call(self, x):
            return self.leaf(x)

    parent = Parent(name="parent")
    parent(np.ones((1, 2), "float32"))
    assert _paths(parent.weights) == ["leaf/early", "parent/leaf/late"]


def test_optimizer_slots_and_metric_state_are_named_as_keras():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="dense")],
                             name="sequential")
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    assert _paths(model.optimizer.variables)[:4] == [
        "adam/iteration", "adam/learning_rate", "adam/sequential_dense_kernel_momentum",
        "adam/sequential_dense_kernel_velocity"]
    assert _paths(model.metrics[0].variables) == ["loss/total", "loss/count"]
