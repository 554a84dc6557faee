"""Sequential models and evaluate's result list as Keras 3.15.1 has them (its models /
trainers unit tests): layers returning several tensors inside a Sequential, the errors of
Sequential.add / build, the Input's dtype, Keras 2 style layer configs, and the list
`evaluate` returns when two metrics share a name."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.backends import current


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


@keras.saving.register_keras_serializable(package="parity_trainers_3")
class SplitPair(layers.Layer):
    """Returns the pair (2x, x + 1)."""

    def call(self, x):
        return x * 2.0, x + 1.0

    def compute_output_shape(self, input_shape):
        return input_shape, input_shape


@keras.saving.register_keras_serializable(package="parity_trainers_3")
class JoinPair(layers.Layer):
    """Adds the two tensors of a pair."""

    def call(self, pair):
        first, second = pair
        return first + second

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def _stack_with_pair(with_input=True):
    stack = [layers.Dense(4, name="d1"), SplitPair(name="split"), JoinPair(name="join"),
             layers.Dense(2, name="d2")]
    return keras.Sequential(([keras.Input((3,))] if with_input else []) + stack)


def _pair_stack_numpy(model, x):
    """The stack computed in float64 from its weights: Dense, (2h, h + 1) summed, Dense."""
    k1, b1, k2, b2 = (np.asarray(w, "float64") for w in model.get_weights())
    h = x.astype("float64") @ k1 + b1
    return (3.0 * h + 1.0) @ k2 + b2


def test_sequential_passes_a_layers_tuple_output_to_the_next_layer():
    model = _stack_with_pair()
    assert model.built
    assert model.output_shape == (None, 2)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2)]
    assert len(model.weights) == 4
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), _pair_stack_numpy(model, x),
                               rtol=1e-5, atol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.zeros((5, 2), "float32"), epochs=1, verbose=0).history
    assert list(history) == ["loss"]


def test_sequential_with_a_tuple_in_the_middle_builds_on_its_first_call():
    model = _stack_with_pair(with_input=False)
    assert not model.built
    out = model(np.ones((5, 3), "float32"))
    assert model.built and tuple(out.shape) == (5, 2)
    # Keras 3.15.1 records the pair's shapes as the next layer's build input
    join_entry = model.get_config()["layers"][3]
    assert join_entry["build_config"] == {"input_shape": ((5, 4), (5, 4))}


def test_sequential_with_a_tuple_in_the_middle_round_trips_its_config_and_file(tmp_path):
    model = _stack_with_pair()
    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    revived = keras.Sequential.from_config(model.get_config())
    assert [layer.name for layer in revived.layers] == ["d1", "split", "join", "d2"]
    assert revived.built and revived.output_shape == (None, 2)
    path = str(tmp_path / "pair.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_sequential_whose_last_layer_returns_a_pair_has_two_outputs():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), SplitPair()])
    # Keras 3.15.1: outputs lists both tensors, output_shape is a list of their shapes
    assert [tuple(t.shape) for t in model.outputs] == [(None, 4), (None, 4)]
    assert model.output_shape == [(None, 4), (None, 4)]
    x = np.ones((5, 3), "float32")
    predicted = model.predict(x, verbose=0)
    assert isinstance(predicted, tuple) and [p.shape for p in predicted] == [(5, 4), (5, 4)]
    # its outputs are unnamed, as a subclassed model's: the logs are named by the losses
    model.compile(optimizer="sgd", loss=["mse", "mae"], metrics=[["mae"], ["mse"]])
    logs = model.evaluate(x, [np.ones((5, 4)), np.ones((5, 4))], verbose=0, return_dict=True)
    # Keras 3.15.1 gives these keys for the same model
    assert sorted(logs) == ["loss", "mae", "mae_loss", "mse", "mse_loss"]
    h = _np(model.layers[0](x))
    np.testing.assert_allclose(logs["mse_loss"], np.mean((2 * h - 1) ** 2), rtol=1e-5)
    np.testing.assert_allclose(logs["mae_loss"], np.mean(np.abs(h)), rtol=1e-5)


def test_sequential_refuses_layers_whose_call_takes_several_required_tensors():
    class TwoInputs(layers.Layer):
        def call(self, first, second):
            return first + second

    class KeywordOnly(layers.Layer):
        def call(self, *, x=None):
            return x

    with pytest.raises(ValueError, match=r"single required positional argument.*"
                                         r"TwoInputs.*\['first', 'second'\]"):
        keras.Sequential([keras.Input((3,)), TwoInputs()])
    with pytest.raises(ValueError, match="single positional argument.*KeywordOnly has no "
                                         "positional arguments"):
        keras.Sequential([keras.Input((3,)), KeywordOnly()])


def test_sequential_build_and_add_keep_the_configured_input():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    for shape in [(None, 4), (8, 3)]:
        with pytest.raises(ValueError, match=r"already been configured to use input shape "
                                             r"\(None, 3\)\. You cannot build it"):
            model.build(shape)
    assert model.input_shape == (None, 3)
    model.build((None, 3))
    with pytest.raises(ValueError, match=r"already been configured.*cannot add a different "
                                         "Input layer"):
        model.add(keras.Input((3,)))
    called = keras.Sequential([layers.Dense(2)])
    called(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"configured to use input shape \(2, 3\)"):
        called.build((None, 3))


def test_sequential_add_names_what_it_accepts():
    with pytest.raises(ValueError, match=r"Only instances of .*Layer.* can be added to a "
                                         "Sequential model.*dict"):
        keras.Sequential().add({})


def test_popping_every_layer_forgets_the_outputs():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    model.pop()
    assert not model.built
    assert not hasattr(model, "outputs")


def test_sequential_casts_float_data_to_an_integer_input_dtype():
    class Identity(layers.Layer):
        def call(self, x):
            return x

        def compute_output_shape(self, input_shape):
            return input_shape

    model = keras.Sequential([keras.Input((3,), dtype="int32"), Identity()])
    assert model.input_dtype == "int32"
    out = model(np.array([[1.7, 2.0, 3.0]]))
    # Keras 3.15.1 gives int32 [[1, 2, 3]]
    assert ops.convert_to_numpy(out).dtype == np.int32
    np.testing.assert_array_equal(ops.convert_to_numpy(out), [[1, 2, 3]])
    assert keras.Sequential([keras.Input((3,)), Identity()]).input_dtype == "float32"


def test_sequential_from_config_reads_keras_2_layer_entries():
    config = {"name": "legacy", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "i"}},
        {"class_name": "Dense", "config": {"units": 3, "name": "d"}}]}
    model = keras.Sequential.from_config(config)
    assert model.output_shape == (None, 3)
    unbuilt = keras.Sequential.from_config(
        {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 3, "name": "d"}}]})
    assert not unbuilt.built and isinstance(unbuilt.layers[0], layers.Dense)
    with pytest.raises(ValueError, match="must be a dictionary containing the 'name' and "
                                         "'layers' keys"):
        keras.Sequential.from_config({"name": "no_layers"})


def test_sequential_config_has_the_build_shape_as_a_tuple():
    model = keras.Sequential([layers.Dense(2)])
    model(np.ones((5, 3), "float32"))
    assert model.get_config()["build_input_shape"] == (5, 3)


def _one_output_model():
    model = keras.Sequential([keras.Input((3,)),
                              layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")])
    return model


def test_evaluate_list_repeats_a_shared_metric_name_as_keras():
    x = np.arange(24, dtype="float32").reshape(8, 3) / 24.0
    y = np.linspace(0.0, 2.0, 8, dtype="float32").reshape(8, 1)
    model = _one_output_model()
    model.compile(optimizer="sgd", loss="mse", metrics=[
        keras.metrics.MeanAbsoluteError(name="m"), keras.metrics.MeanSquaredError(name="m"),
        keras.metrics.RootMeanSquaredError(name="m")])
    pred = x.astype("float64").sum(axis=1, keepdims=True)
    mse = float(np.mean((pred - y) ** 2))
    mae = float(np.mean(np.abs(pred - y)))
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "m", "m_1", "m_2"]
    # Keras 3.15.1 lists [loss, m, m, m, m_1, m_2]: each metric's name looks up the first
    # `m`, then the renamed entries follow in sorted order
    expected = [mse, mae, mae, mae, mse, np.sqrt(mse)]
    for result in (model.evaluate(x, y, verbose=0), model.test_on_batch(x, y)):
        np.testing.assert_allclose(result, expected, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"],
                  weighted_metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    assert sorted(model.evaluate(x, y, verbose=0, return_dict=True)) == [
        "loss", "mae", "weighted_mae"]
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), [mse, mae, mae, mae],
                               rtol=1e-5)



def test_state_tree_names_a_variable_path_found_twice():
    class TwoLayersOneName(keras.Model):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(4, name="layer1")
            self.second = layers.Dense(4, name="layer1")

        def call(self, x):
            return self.second(self.first(x))

    model = TwoLayersOneName()
    model(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="The following variable path is found twice in the "
                                         "model: '.*layer1/kernel'"):
        model.get_state_tree()
