"""Keras attributes of layers and their helpers: `call_signature_parameters`,
`supports_jit`, `rematerialized_call`, `RNN.inner_loop`, `convolution_op`,
`Normalization.finalize_state`, `SeedGenerator.backend`, `DTypePolicy.convert_input`."""

import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops
from tests.conftest import to_numpy

rng = np.random.default_rng(0)


def test_call_signature_parameters_name_the_parameters_of_call():
    assert keras.layers.LSTM(2).call_signature_parameters == [
        "sequences", "initial_state", "mask", "training"]  # Keras's list

    class Custom(keras.layers.Layer):
        def call(self, x, mask=None, *, scale=1.0, **kwargs):
            return x

    assert Custom().call_signature_parameters == ["x", "mask", "scale", "kwargs"]


def test_a_layer_without_jit_support_turns_replays_off():
    class Python(keras.layers.Layer):
        supports_jit = False

        def call(self, x):
            return x

    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), Python(), keras.layers.Dense(1)])
    assert keras.layers.Dense(1).supports_jit
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=2, epochs=2, verbose=0)
    assert model._compiled_train_step is None
    model.compile("sgd", "mse", jit_compile=True)
    with pytest.warns(UserWarning, match="doesn't support `jit_compile=True`"):
        model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    plain.compile("sgd", "mse")
    plain.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert plain._compiled_train_step is not None


def test_rematerialized_call():
    dense = keras.layers.Dense(2)
    assert dense.rematerialized_call(dense.call) == dense.call  # outside any RematScope
    with keras.RematScope(mode="full"):
        remat_dense = keras.layers.Dense(2)
    x = rng.normal(size=(3, 4)).astype("float32")
    remat_dense.build((None, 4))
    wrapped = remat_dense.rematerialized_call(remat_dense.call, x)
    assert wrapped != remat_dense.call
    np.testing.assert_allclose(to_numpy(wrapped(x)), to_numpy(remat_dense.call(x)), rtol=1e-6)
    with keras.RematScope(mode="list_of_layers", layer_names=["someone_else"]):
        left_out = keras.layers.Dense(2)
    assert left_out.rematerialized_call(left_out.call, x) == left_out.call


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_inner_loop_is_the_loop_of_call(kind, go_backwards):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = getattr(keras.layers, kind)(4, return_sequences=True, return_state=True,
                                       go_backwards=go_backwards)
    outputs, *states = layer(x, mask=mask)
    initial = layer.get_initial_state(2)
    last, sequence, finals = layer.inner_loop(ops.convert_to_tensor(x), initial, mask)
    np.testing.assert_allclose(to_numpy(sequence), to_numpy(outputs), rtol=1e-6, atol=1e-6)
    for ours, theirs in zip(finals, states):
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=1e-6, atol=1e-6)
    assert tuple(last.shape) == (2, 4)
    # a layer returning only its last output gets every step from inner_loop too
    short = getattr(keras.layers, kind)(4)
    short.build((None, 5, 3))
    _, all_steps, _ = short.inner_loop(ops.convert_to_tensor(x), short.get_initial_state(2), None)
    assert tuple(all_steps.shape) == (2, 5, 4)


def test_an_overridden_inner_loop_runs_in_call():
    class Reversed(keras.layers.SimpleRNN):
        def inner_loop(self, sequences, initial_state, mask, training=False):
            last, outputs, states = super().inner_loop(sequences, initial_state, mask,
                                                       training)
            return ops.negative(last), outputs, states

    layer = Reversed(3)
    x = rng.normal(size=(2, 4, 2)).astype("float32")
    expected = keras.layers.SimpleRNN(3)
    expected.build((None, 4, 2))
    layer.build((None, 4, 2))
    expected.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(layer(x)), -to_numpy(expected(x)), rtol=1e-6)


def test_convolution_op_and_its_override():
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    conv = keras.layers.Conv2D(4, 3, activation="relu")
    y = to_numpy(conv(x))
    raw = to_numpy(conv.convolution_op(x, conv.kernel))
    np.testing.assert_allclose(np.maximum(raw + to_numpy(conv.bias), 0), y, rtol=1e-5,
                               atol=1e-6)

    class Standardized(keras.layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean = ops.mean(kernel, axis=(0, 1, 2), keepdims=True)
            return super().convolution_op(inputs, kernel - mean)

    standardized = Standardized(4, 3, data_format="channels_first")
    x_first = np.transpose(x, (0, 3, 1, 2))
    out = to_numpy(standardized(x_first))
    kernel = to_numpy(standardized.kernel)
    plain = keras.layers.Conv2D(4, 3, data_format="channels_first")
    plain.build(x_first.shape)
    plain.set_weights([kernel - kernel.mean(axis=(0, 1, 2), keepdims=True),
                       to_numpy(standardized.bias) + 0.5])
    standardized.bias.assign(to_numpy(standardized.bias) + 0.5)
    out = to_numpy(standardized(x_first))
    np.testing.assert_allclose(out, to_numpy(plain(x_first)), rtol=1e-5, atol=1e-6)


def test_normalization_not_adapted_is_the_identity_and_finalize_state():
    x = rng.normal(size=(4, 3)).astype("float32")
    layer = keras.layers.Normalization()
    np.testing.assert_allclose(to_numpy(layer(x)), x, rtol=1e-6)  # mean 0, variance 1
    np.testing.assert_array_equal(to_numpy(layer.mean), np.zeros((1, 3)))
    data = rng.normal(loc=2.0, size=(50, 3))
    layer.adapt(data)
    np.testing.assert_allclose(to_numpy(layer.mean), data.mean(axis=0, keepdims=True),
                               rtol=1e-5)
    np.testing.assert_allclose(to_numpy(layer.variance), data.var(axis=0, keepdims=True),
                               rtol=1e-5)
    layer.set_weights([np.zeros(3), np.full(3, 4.0), np.array(1)])
    np.testing.assert_allclose(to_numpy(layer(x)), x / 2, rtol=1e-6)  # weights read live
    layer.finalize_state()
    np.testing.assert_allclose(to_numpy(layer.variance), np.full((1, 3), 4.0))
    given = keras.layers.Normalization(mean=1.0, variance=4.0)
    given.build((None, 3))
    given.finalize_state()  # nothing to do for given statistics
    np.testing.assert_allclose(to_numpy(given(x)), (x - 1) / 2, rtol=1e-6)


def test_seed_generator_backend():
    generator = keras.random.SeedGenerator(1)
    assert generator.backend is keras.backend
    assert generator.backend.backend() == keras.backend.backend()


def test_dtype_policy_convert_input():
    policy = keras.DTypePolicy("float32")
    x = np.ones(2, "float64")
    assert str(policy.convert_input(x, True, "float32").dtype) == "float32"
    assert str(policy.convert_input(x, False, "float32").dtype) == "float64"
    assert str(policy.convert_input(np.ones(2, "int32"), True, "float32").dtype) == "int32"
    assert policy.convert_input([1.0, 2.0], True, "float32") == [1.0, 2.0]  # as Keras
    symbolic = policy.convert_input(keras.KerasTensor((None, 3), dtype="float64"), True,
                                    "float32")
    assert symbolic.dtype == "float32" and symbolic.shape == (None, 3)
    variable = keras.Variable(np.ones(2, "float64"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        converted = policy.convert_input(variable, True, "float32")
    np.testing.assert_array_equal(to_numpy(converted), np.ones(2, "float32"))
