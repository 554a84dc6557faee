"""Model and layer attributes as Keras 3.15.1 has them (the expected values and error
types are those Keras gave for the same code)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers


def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "".join(lines)


def test_plain_layers_have_no_layers_attribute():
    for layer in (layers.Dense(2), layers.Bidirectional(layers.LSTM(2)), layers.Layer(),
                  layers.TimeDistributed(layers.Dense(2))):
        assert not hasattr(layer, "layers")
    assert keras.Sequential([layers.Dense(2)]).layers


def test_a_custom_layer_may_name_its_sublayers_layers():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.layers = [layers.Dense(3), layers.Dense(2)]

        def call(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    block = Block()
    x = np.linspace(-1.0, 1.0, 8, dtype=np.float32).reshape(2, 4)
    assert tuple(block(x).shape) == (2, 2) and len(block.trainable_weights) == 4


def test_a_subclassed_model_may_not_assign_layers():
    class Bad(keras.Model):
        def __init__(self):
            super().__init__()
            self.layers = [layers.Dense(2)]

    with pytest.raises(AttributeError, match="`Model.layers` attribute is reserved"):
        Bad()


def test_a_custom_layer_may_set_output_shape():
    class Shaped(layers.Layer):
        def __init__(self):
            super().__init__()
            self.output_shape = (3,)

        def call(self, x):
            return x

    assert Shaped().output_shape == (3,)


def test_count_params_of_an_unbuilt_layer_or_model_raises():
    for unbuilt in (layers.Dense(2), keras.Sequential([layers.Dense(2)]), keras.Sequential()):
        with pytest.raises(ValueError, match="isn't built.*layer.build"):
            unbuilt.count_params()


def test_sequential_add_and_pop_error_types():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="expects a Layer instance"):
        model.add(3)
    with pytest.raises(ValueError, match="expects a Layer instance"):
        keras.Sequential([layers.Dense])
    with pytest.raises(IndexError, match="no layers in the model to pop"):
        keras.Sequential().pop()


def _frozen_block_model():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="d1"),
                              layers.BatchNormalization(name="bn")], name="inner")
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Dense(2, name="head")(inner(x)), name="outer")
    inner.trainable = False
    return model, inner


def test_a_layer_set_trainable_inside_a_frozen_model_trains():
    model, inner = _frozen_block_model()
    assert [w.path for w in model.trainable_weights] == ["head/kernel", "head/bias"]
    inner.get_layer("d1").trainable = True
    # Keras: each variable's own flag decides; the frozen parent drops only its own list
    assert [w.path for w in model.trainable_weights] == [
        "inner/d1/kernel", "inner/d1/bias", "head/kernel", "head/bias"]
    assert inner.trainable_weights == []
    assert len(model.non_trainable_weights) == 4  # the batch norm's
    text = _summary(model, show_trainable=True)
    assert " Trainable params: 23 (92.00 B)" in text
    assert " Non-trainable params: 12 (48.00 B)" in text
    kernel = inner.get_layer("d1").kernel.numpy().copy()
    model.compile("sgd", "mse")
    data = np.linspace(0.0, 5.0, 64, dtype=np.float32).reshape(16, 4)
    model.fit(data, np.ones((16, 2), np.float32), verbose=0, batch_size=8)
    assert not np.allclose(kernel, inner.get_layer("d1").kernel.numpy())


def test_show_trainable_header_as_keras():
    model, _ = _frozen_block_model()
    text = _summary(model, expand_nested=True, show_trainable=True)
    # Keras's widths at the default line length: the header is cut to "Trai…"
    assert ("┃ Layer (type)                ┃ Output Shape          ┃"
            "    Param # ┃ Trai… ┃") in text
    assert ("│    └ d1 (Dense)             │ (None, 3)             │"
            "         15 │   N   │") in text


def test_a_wrapped_header_sits_on_its_last_line():
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Add(name="add")([layers.Dense(3, name="a")(x),
                                                  layers.Dense(3, name="b")(x)]))
    lines = []
    model.summary(print_fn=lines.append, show_trainable=True, positions=[0.3, 0.5, 0.7, 0.9])
    header = lines[0].splitlines()[2:4]
    # Keras 3.15.1's two header lines at these positions
    assert header == [
        "┃                   ┃ Output      ┃            ┃ Connected  ┃              ┃",
        "┃ Layer (type)      ┃ Shape       ┃    Param # ┃ to         ┃  Trainable   ┃"]
