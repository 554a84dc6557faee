"""Cases from Keras 3.15.1's unit tests of `keras.src.backend.common` (variables, name
scopes) where kerasx differed."""

import numpy as np
import pytest

import kerasx as keras


def test_variable_takes_an_initializer_name():
    ones = keras.Variable(initializer="ones", shape=(2, 2))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(ones), np.ones((2, 2)))
    assert ones.dtype == "float32"
    zeros = keras.Variable(initializer="zeros", shape=(3,), dtype="int32")
    assert zeros.dtype == "int32"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(zeros), np.zeros(3))


@pytest.mark.parametrize("name", [12345, "invalid/name"])
def test_variable_name_must_be_a_string_without_slash(name):
    # Keras 3.15.1: "Argument `name` must be a string and cannot contain character `/`."
    with pytest.raises(ValueError, match="must be a string and cannot contain character `/`"):
        keras.Variable(initializer=keras.initializers.RandomNormal(), shape=(2,), name=name)


def test_initializer_without_shape_says_shape_is_needed():
    for init in (keras.initializers.RandomNormal(), lambda: np.ones((2, 2))):
        with pytest.raises(ValueError, match="When creating a Variable from an initializer, "
                                             "the `shape` argument should be specified"):
            keras.Variable(initializer=init)


@pytest.mark.parametrize("attribute, kind", [("constraint", keras.constraints.NonNeg),
                                             ("regularizer", keras.regularizers.L1)])
def test_constraint_and_regularizer_setters_take_callables_or_none(attribute, kind):
    variable = keras.Variable(initializer="ones", shape=(2,))

    def plain(w):
        return w * 0.5

    setattr(variable, attribute, plain)
    assert getattr(variable, attribute) is plain
    setattr(variable, attribute, kind())
    assert isinstance(getattr(variable, attribute), kind)
    setattr(variable, attribute, None)
    assert getattr(variable, attribute) is None
    with pytest.raises(ValueError, match=f"Invalid value for attribute `{attribute}`"):
        setattr(variable, attribute, "not callable")
    with pytest.raises(ValueError, match=f"Invalid value for attribute `{attribute}`"):
        keras.Variable(initializer="ones", shape=(2,), **{attribute: "not callable"})


def test_overwrite_with_gradient_error_shows_the_value_as_keras():
    variable = keras.Variable(initializer="zeros", shape=(2,))
    # Keras 3.15.1: "`overwrite_with_gradient` must be a boolean. Received: true"
    with pytest.raises(TypeError, match="must be a boolean. Received: true$"):
        variable.overwrite_with_gradient = "true"


@pytest.mark.parametrize("attribute, value", [("dtype", "int32"), ("sparse", True),
                                              ("ragged", True)])
def test_keras_tensor_attributes_are_immutable(attribute, value):
    x = keras.KerasTensor(shape=(3,), dtype="float32")
    with pytest.raises(AttributeError, match=f"The `{attribute}` attribute of KerasTensor is "
                                             "immutable"):
        setattr(x, attribute, value)
    assert (x.dtype, x.sparse, x.ragged) == ("float32", False, False)


def test_keras_tensor_dtypes_are_standard_names():
    # Keras 3.15.1 gives "int32" and "float32" for these.
    assert keras.KerasTensor((2,), dtype="int").dtype == "int32"
    assert keras.KerasTensor((2,), dtype=float).dtype == "float32"
    assert keras.KerasTensor((2,), dtype=int).dtype == "int32"
    assert keras.backend.standardize_dtype("int") == "int32"
    assert keras.backend.standardize_dtype("float8_e4m3fn") == "float8_e4m3fn"


def test_keras_tensor_xor_and_round_record_ops():
    flags = keras.Input((4,), dtype="bool")
    values = keras.Input((4,))
    xor = flags ^ keras.ops.logical_not(flags)
    rounded = round(values)
    assert (xor.shape, xor.dtype) == ((None, 4), "bool")
    assert (rounded.shape, rounded.dtype) == ((None, 4), "float32")
    model = keras.Model([flags, values], [xor, rounded])
    b = np.array([[True, False, True, False]])
    v = np.array([[0.4, 1.6, -2.7, 3.2]], "float32")
    got_xor, got_round = model.predict([b, v], verbose=0)
    np.testing.assert_array_equal(got_xor, np.logical_xor(b, ~b))
    np.testing.assert_array_equal(got_round, np.round(v))


def test_random_dropout_with_rate_one_gives_zeros():
    # Keras 3.15.1 returns zeros (kerasx refused rate=1.0).
    x = keras.ops.ones((10, 10), dtype="float32")
    out = keras.random.dropout(x, rate=1.0, seed=0)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out), np.zeros((10, 10)))
    with pytest.raises(ValueError, match="rate"):
        keras.random.dropout(x, rate=1.5, seed=0)


def test_random_randint_refuses_a_float_dtype():
    with pytest.raises(ValueError, match="`keras.random.randint` requires an integer `dtype`"):
        keras.random.randint((3, 4), minval=0, maxval=10, dtype="float64")


def test_seed_generator_unknown_keyword_is_a_value_error():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.random.SeedGenerator(invalid_arg="unexpected_value")
