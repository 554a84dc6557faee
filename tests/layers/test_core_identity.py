"""`Identity`: returns its input, passes masks through, Keras config, no weights."""

import numpy as np

import kerasx
from kerasx import layers, ops
from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object


def test_returns_its_input_unchanged():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    layer = layers.Identity()
    assert layer.built and layer.weights == []
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), x)
    pair = layer([x, 2 * x])
    assert isinstance(pair, list) and len(pair) == 2
    np.testing.assert_array_equal(ops.convert_to_numpy(pair[1]), 2 * x)
    assert layer.compute_output_shape((None, 3)) == (None, 3)


def test_passes_the_mask_through():
    x = np.ones((2, 4, 3), "float32")
    x[0, 2:] = 0.0
    masked = layers.Masking()(x)
    out = layers.Identity()(masked)
    np.testing.assert_array_equal(ops.convert_to_numpy(out._keras_mask),
                                  [[True, True, False, False], [True] * 4])
    inputs = kerasx.Input((4, 3))
    seq = layers.SimpleRNN(2, return_sequences=True, kernel_initializer="ones",
                           recurrent_initializer="zeros")(layers.Identity()(
                               layers.Masking()(inputs)))
    y = ops.convert_to_numpy(kerasx.Model(inputs, seq).predict(x, verbose=0))
    np.testing.assert_allclose(y[0, 2:], np.broadcast_to(y[0, 1], (2, 2)))  # masked: repeated


def test_config_has_keras_keys_and_round_trips():
    layer = layers.Identity(name="skip", trainable=False)
    assert set(layer.get_config()) == {"name", "trainable", "dtype"}
    config = serialize_keras_object(layer)
    assert (config["module"], config["class_name"]) == ("keras.layers", "Identity")
    clone = deserialize_keras_object(config)
    assert isinstance(clone, layers.Identity)
    assert clone.name == "skip" and clone.trainable is False
