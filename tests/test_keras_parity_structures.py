"""Namedtuples as model inputs and outputs, dtype checks of symbolic tensors and the value
`SeedGenerator.state.assign` returns, against Keras 3.15.1's behaviour."""

import collections
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx.autodiff.variable import Variable

Pair = collections.namedtuple("Pair", ["a", "b"])
Heads = collections.namedtuple("Heads", ["p", "q"])
Single = collections.namedtuple("Single", ["p"])


def _pair_data(rows=6):
    rng = np.random.default_rng(0)
    return Pair(rng.normal(size=(rows, 3)).astype("float32"),
                rng.normal(size=(rows, 2)).astype("float32"))


def _pair_model():
    inputs = Pair(keras.Input((3,), name="a"), keras.Input((2,), name="b"))
    joined = keras.layers.Concatenate()([inputs.a, inputs.b])
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(joined))


def _dense_numpy(layer, x):
    kernel, bias = (np.asarray(keras.ops.convert_to_numpy(w)) for w in layer.weights)
    return x @ kernel + bias


# -- namedtuple inputs ---------------------------------------------------------------------
def test_functional_model_on_namedtuple_inputs_calls_and_predicts():
    model, x = _pair_model(), _pair_data()
    expected = _dense_numpy(model.get_layer("head"), np.concatenate([x.a, x.b], axis=-1))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)
    assert type(model.input) is Pair  # Keras 3.15.1 gives the namedtuple back
    assert isinstance(model.inputs, list)


def test_functional_model_on_namedtuple_inputs_fits_and_evaluates():
    model, x = _pair_model(), _pair_data()
    y = np.ones((6, 1), "float32")
    model.compile("sgd", "mse")
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=3, batch_size=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.evaluate(x, y, verbose=0) < before


def test_namedtuple_input_model_warns_on_other_structures_as_keras():
    model, x = _pair_model(), _pair_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(x)
        model({"a": x.a, "b": x.b})
    # Keras 3.15.1 warns for a plain tuple or list given to a namedtuple of inputs
    for other in ((x.a, x.b), [x.a, x.b]):
        with pytest.warns(UserWarning, match="Expected: Pair"):
            model(other)


def test_tuple_input_model_names_its_tuple_when_warning():
    inputs = (keras.Input((3,), name="a"), keras.Input((2,), name="b"))
    model = keras.Model(inputs, keras.layers.Concatenate()(list(inputs)))
    with pytest.warns(UserWarning, match=r"Expected: \('a', 'b'\)"):
        model(_pair_data())


class _ReadsFields(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.seen = []

    def call(self, inputs):
        self.seen.append(type(inputs))
        return self.dense(keras.ops.concatenate([inputs.a, inputs.b], axis=-1))


def test_subclassed_model_receives_the_namedtuple():
    model, x = _ReadsFields(), _pair_data()
    out = model(x)
    expected = _dense_numpy(model.dense, np.concatenate([x.a, x.b], axis=-1))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((6, 1), "float32"), epochs=1, verbose=0)
    assert model.seen and set(model.seen) == {Pair}


# -- namedtuple outputs --------------------------------------------------------------------
def _heads_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, Heads(keras.layers.Dense(1, name="p")(inputs),
                                     keras.layers.Dense(2, name="q")(inputs)))


def test_namedtuple_outputs_come_back_as_the_namedtuple():
    model, x = _heads_model(), _pair_data().a
    out, predicted = model(x), model.predict(x, verbose=0)
    assert type(out) is Heads and type(predicted) is Heads  # as Keras 3.15.1
    assert type(model.predict_on_batch(x)) is Heads
    for name in Heads._fields:
        expected = _dense_numpy(model.get_layer(name), x)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(getattr(out, name)), expected,
                                   rtol=1e-5)
        np.testing.assert_allclose(getattr(predicted, name), expected, rtol=1e-5)
    assert type(model.output) is Heads and isinstance(model.outputs, list)


def test_namedtuple_outputs_predicted_over_several_batches():
    model, x = _heads_model(), np.random.default_rng(1).normal(size=(10, 3)).astype("float32")
    predicted = model.predict(x, batch_size=4, verbose=0)
    assert type(predicted) is Heads and predicted.q.shape == (10, 2)
    np.testing.assert_allclose(predicted.q, _dense_numpy(model.get_layer("q"), x), rtol=1e-5)


def test_symbolic_calls_keep_namedtuple_outputs():
    model = _heads_model()
    symbolic = model(keras.Input((3,)))
    assert type(symbolic) is Heads
    assert [tuple(t.shape) for t in symbolic] == [(None, 1), (None, 2)]
    outer = keras.Input((3,))
    wrapped = keras.Model(outer, model(outer))
    assert type(wrapped(_pair_data().a)) is Heads
    lambda_out = keras.layers.Lambda(lambda t: Heads(t, 2 * t))(keras.Input((3,)))
    assert type(lambda_out) is Heads and tuple(lambda_out.q.shape) == (None, 3)


def test_namedtuples_nested_in_outputs_are_kept_by_predict():
    inputs = keras.Input((3,))
    heads = Heads(keras.layers.Dense(1)(inputs), keras.layers.Dense(2)(inputs))
    x = _pair_data().a
    for outputs in ({"k": heads}, [heads, heads.p]):
        model = keras.Model(inputs, outputs)
        called, predicted = model(x), model.predict(x, verbose=0)
        pick = (lambda r: r["k"]) if isinstance(outputs, dict) else (lambda r: r[0])
        assert type(pick(called)) is Heads and type(pick(predicted)) is Heads
        np.testing.assert_allclose(pick(predicted).q,
                                   keras.ops.convert_to_numpy(pick(called).q), rtol=1e-6)


def test_single_field_namedtuple_output_is_unwrapped_on_call():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Single(keras.layers.Dense(1)(inputs)))
    # Keras 3.15.1: `model.output` is the namedtuple, a call returns the one tensor
    assert type(model.output) is Single
    assert tuple(model(_pair_data().a).shape) == (6, 1)
    assert model.predict(_pair_data().a, verbose=0).shape == (6, 1)


def test_subclassed_model_namedtuple_outputs_survive_predict():
    class TwoHeads(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            y = self.dense(x)
            return Heads(y, -y)

    predicted = TwoHeads().predict(_pair_data().a, verbose=0)
    assert type(predicted) is Heads
    np.testing.assert_allclose(predicted.q, -predicted.p)


# -- dtypes of symbolic tensors ------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda dtype: keras.KerasTensor((2, 3), dtype=dtype),
    lambda dtype: keras.Input((3,), dtype=dtype),
    lambda dtype: keras.layers.InputLayer(shape=(3,), dtype=dtype),
])
@pytest.mark.parametrize("dtype", ["foo", "float", 3])
def test_unknown_dtype_names_are_refused(make, dtype):
    # Keras 3.15.1 raises ValueError("Invalid dtype: foo") for each of these
    with pytest.raises(ValueError, match=rf"Invalid dtype: '?{dtype}'?\..*float32"):
        make(dtype)


@pytest.mark.parametrize("dtype, name", [
    (int, "int32"), (float, "float32"), (bool, "bool"), (str, "string"), ("int", "int32"),
    (np.float64, "float64"), (np.dtype("int16"), "int16"), ("bfloat16", "bfloat16")])
def test_input_dtypes_are_standardized_as_keras(dtype, name):
    # Keras 3.15.1 (JAX backend) gives these names for Input, InputLayer and KerasTensor
    assert keras.Input((3,), dtype=dtype).dtype == name
    assert keras.layers.InputLayer(shape=(3,), dtype=dtype).dtype == name
    assert keras.KerasTensor((3,), dtype=dtype).dtype == name


# -- seed generator state ------------------------------------------------------------------
def test_seed_state_assign_returns_the_new_value():
    generator = keras.random.SeedGenerator(3)
    # Keras 3.15.1 returns the backend array, as any variable's `assign` does
    returned = generator.state.assign(np.array([7, 2], "uint32"))
    assert not isinstance(returned, Variable)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(returned), [7, 2])
    added = generator.state.assign_add(np.array([0, 1], "uint32"))
    assert not isinstance(added, Variable)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(added), [7, 3])
    np.testing.assert_array_equal(generator.state.numpy(), [7, 3])


def test_subclassed_model_built_on_a_namedtuple_of_inputs():
    class Joins(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            joined = keras.ops.concatenate([inputs.a, inputs.b], axis=-1)
            return Pair(self.dense(joined), inputs.a)

    inputs = Pair(keras.Input((3,)), keras.Input((2,)))
    outputs = Joins()(inputs)  # Keras 3.15.1 builds it on the namedtuple: Pair out
    assert type(outputs) is Pair
    assert [tuple(t.shape) for t in outputs] == [(None, 1), (None, 3)]
    predicted = keras.Model(inputs, outputs).predict(_pair_data(), verbose=0)
    assert type(predicted) is Pair and predicted.b.shape == (6, 3)
