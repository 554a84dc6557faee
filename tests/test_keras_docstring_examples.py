"""The code examples of Keras 3.15.1's own docstrings, run with kerasx.

Each expected value was computed by running the same example with Keras 3.15.1."""

import numpy as np

import kerasx as keras

to_numpy = keras.ops.convert_to_numpy


def test_relu_options_take_a_python_list():
    # Keras 3.15.1's docstring example of keras.activations.relu
    x = [-10, -5, 0.0, 5, 10]
    np.testing.assert_allclose(to_numpy(keras.activations.relu(x, negative_slope=0.5)),
                               [-5.0, -2.5, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(to_numpy(keras.activations.relu(x, threshold=5.0)),
                               [0.0, 0.0, 0.0, 0.0, 10.0])


def test_deg2rad_and_rad2deg_take_a_python_list():
    # Keras 3.15.1's docstring examples of keras.ops.deg2rad and keras.ops.rad2deg
    radians = keras.ops.deg2rad([0.0, 90.0, 180.0])
    assert radians.dtype == "float32"
    np.testing.assert_allclose(to_numpy(radians), [0.0, 1.5707964, 3.1415927], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(keras.ops.rad2deg([0.0, 1.57079633, 3.14159265])),
                               [0.0, 90.0, 180.0], rtol=1e-6)


def test_in_top_k_target_outside_the_classes_is_not_in():
    # Keras 3.15.1's docstring example of keras.ops.in_top_k: target 5 of 5 classes
    targets = keras.ops.convert_to_tensor([2, 5, 3])
    predictions = keras.ops.convert_to_tensor([[0.1, 0.4, 0.6, 0.9, 0.5],
                                               [0.1, 0.7, 0.9, 0.8, 0.3],
                                               [0.1, 0.6, 0.9, 0.9, 0.5]])
    result = keras.ops.in_top_k(targets, predictions, k=3)
    assert to_numpy(result).tolist() == [True, False, True]


def test_deg2rad_of_a_python_float_is_a_float32_tensor():
    # Keras 3.15.1's docstring example of keras.ops.deg2rad: ops.deg2rad(180.0)
    result = keras.ops.deg2rad(180.0)
    assert result.dtype == "float32" and tuple(result.shape) == ()
    np.testing.assert_allclose(to_numpy(result), 3.1415927, rtol=1e-7)


def test_one_operand_ops_read_python_numbers_as_keras():
    # Keras 3.15.1 (same reading as its docstring examples): Python floats are float32,
    # Python ints int32, for one-operand ops as for two-operand ones
    assert keras.ops.sin(1.0).dtype == "float32"
    assert keras.ops.exp(1).dtype == "float32"
    assert keras.ops.square(3).dtype == "int32"
    assert keras.ops.negative(3).dtype == "int32"
    assert keras.activations.relu(2.0, negative_slope=0.5).dtype == "float32"


def test_batch_normalization_takes_python_lists_of_statistics():
    # Keras 3.15.1's docstring example of keras.ops.batch_normalization (mean and variance
    # as Python lists); expected: Keras 3.15.1's output for the same values as tensors
    x = keras.ops.convert_to_tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    result = keras.ops.batch_normalization(x, mean=[0.4, 0.5, 0.6],
                                           variance=[0.67, 0.67, 0.67], axis=-1)
    assert result.dtype == "float32"
    np.testing.assert_allclose(to_numpy(result),
                               [[-0.36623514, -0.3662351, -0.36623514],
                                [0.0, 0.0, 0.0],
                                [0.36623508, 0.36623514, 0.36623502]], rtol=1e-5, atol=1e-6)


def test_ops_read_lists_of_python_numbers_with_keras_dtypes():
    # dtypes Keras 3.15.1 gives for the same calls (float lists are float32, int lists
    # int32, as its docstring examples read them)
    floats, ints = [1.0, -2.0, 0.5], [1, 2, 0]
    expected = {
        "floor": (floats, "float32"), "round": (floats, "float32"),
        "trunc": (floats, "float32"), "nan_to_num": (floats, "float32"),
        "real": (ints, "int32"), "conj": (ints, "int32"), "prod": (ints, "int32"),
        "nansum": (ints, "int32"), "unique": (ints, "int32"), "relu": (ints, "int32"),
        "relu6": (ints, "float32"), "softplus": (ints, "float32"),
    }
    for name, (values, dtype) in expected.items():
        assert getattr(keras.ops, name)(values).dtype == dtype, name
    np.testing.assert_allclose(to_numpy(keras.ops.floor(floats)),
                               [1.0, -2.0, 0.0])


def test_ops_read_python_numbers_with_keras_dtypes():
    # dtypes Keras 3.15.1 gives for the same calls (as its docstring examples read
    # `ops.deg2rad(180.0)`): Python floats float32, ints int32, float functions float32
    expected = {
        ("floor", 2.5): "float32", ("ceil", 3): "float32", ("elu", 3): "float32",
        ("celu", 3): "float32", ("sum", 3): "int32", ("max", 2.5): "float32",
        ("min", 3): "int32", ("mean", 3): "float32", ("std", 2.5): "float32",
        ("prod", 3): "int32", ("logsumexp", 2.5): "float32", ("amax", 3): "int32",
        ("relu", 3): "int32", ("relu", 2.5): "float32",
    }
    for (name, value), dtype in expected.items():
        result = getattr(keras.ops, name)(value)
        assert result.dtype == dtype and tuple(result.shape) == (), name
    assert to_numpy(keras.ops.sum(3)) == 3
    assert to_numpy(keras.ops.floor(2.5)) == 2.0
