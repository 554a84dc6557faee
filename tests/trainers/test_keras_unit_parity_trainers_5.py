"""Keras 3.15.1 parity of models and trainers: a required `training` argument, Sequential
input / output errors, used-up validation generators, NumPy integer batch sizes, dict
losses on list outputs, dict loss weights on unnamed outputs, Keras 2 style configs of
nested models, dicts with other arrays and None for optional inputs in fit / predict,
errors for broken functional configs."""

import copy

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers


class _RequiredTraining(layers.Layer):
    """`call` takes `training` without a default."""

    def call(self, x, training):
        return x * (2.0 if training else 1.0)


def _x():
    return np.ones((2, 3), "float32")


# -- a required `training` argument -------------------------------------------------------

def test_sequential_refuses_a_layer_requiring_training():
    # Keras 3.15.1: "Layers added to a Sequential model can only have a single required
    # positional argument, the input tensor. Layer ... has multiple required positional
    # arguments", with an Input and, without one, at the first call
    with pytest.raises(ValueError, match="single required positional argument"):
        keras.Sequential([keras.Input((3,)), _RequiredTraining()])
    model = keras.Sequential([_RequiredTraining()])
    with pytest.raises(ValueError, match="single required positional argument"):
        model(_x())


def test_direct_and_functional_calls_without_training_raise():
    # Keras 3.15.1: TypeError "missing a required argument: 'training'"
    with pytest.raises(TypeError, match="missing a required argument: 'training'"):
        _RequiredTraining()(_x())
    with pytest.raises(TypeError, match="missing a required argument: 'training'"):
        _RequiredTraining()(keras.Input((3,)))
    # passed, even as None, it reaches the call (and a model's call overrides it)
    np.testing.assert_allclose(np.asarray(_RequiredTraining()(_x(), training=True)), 2 * _x())
    inputs = keras.Input((3,))
    model = keras.Model(inputs, _RequiredTraining()(inputs, training=None))
    np.testing.assert_allclose(np.asarray(model(_x())), _x())
    np.testing.assert_allclose(np.asarray(model(_x(), training=True)), 2 * _x())


def test_subclassed_model_calling_the_layer_without_training_raises():
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = _RequiredTraining()

        def call(self, x):
            return self.inner(x)

    # Keras 3.15.1 raises the TypeError from inside the model's call
    with pytest.raises(TypeError, match="missing a required argument: 'training'"):
        Model()(_x())


def test_model_whose_call_requires_training_trains():
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x, training):
            return self.dense(x)

    model = Model()
    with pytest.raises(TypeError, match="missing a required argument: 'training'"):
        model(_x())
    # fit, evaluate and predict pass `training` themselves (Keras 3.15.1 runs them)
    model.compile("sgd", "mse")
    model.fit(_x(), np.ones((2, 1), "float32"), verbose=0)
    assert model.predict(_x(), verbose=0).shape == (2, 1)


# -- Sequential input / output before the input is known ----------------------------------

@pytest.mark.parametrize("attribute", ["input", "output"])
def test_sequential_input_output_errors_say_how_to_fix(attribute):
    model = keras.Sequential([layers.Dense(2)])
    # Keras 3.15.1 raises AttributeError too (with "has never been called")
    with pytest.raises(AttributeError, match=r"kerasx.Input\(shape=...\)"):
        getattr(model, attribute)


# -- a finite generator as validation data -------------------------------------------------

def test_used_up_validation_generator_names_validation_data():
    def batches():
        for _ in range(2):
            yield _x(), np.ones((2, 1), "float32")

    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    # Keras 3.15.1 validates the second epoch on the two batches it peeked at first,
    # whatever the generator's length; kerasx refuses
    with pytest.raises(ValueError, match=r"validation data \(validation_data\)"):
        model.fit(_x(), np.ones((2, 1), "float32"), validation_data=batches(), epochs=2,
                  verbose=0)


# -- batch sizes ---------------------------------------------------------------------------

def _linear_model():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


@pytest.mark.parametrize("size", [np.int64(2), np.int32(2), np.uint8(2)])
def test_numpy_integer_batch_sizes_are_taken(size):
    # Keras 3.15.1 takes NumPy integers as batch_size, validation_batch_size and steps
    x = np.arange(15, dtype="float32").reshape(5, 3) / 10
    y = np.ones((5, 1), "float32")
    by_int, by_numpy = _linear_model(), _linear_model()
    h_int = by_int.fit(x, y, batch_size=2, validation_data=(x, y), validation_batch_size=2,
                       epochs=np.int64(2), shuffle=False, verbose=0)
    h_numpy = by_numpy.fit(x, y, batch_size=size, validation_data=(x, y),
                           validation_batch_size=size, epochs=np.int64(2), shuffle=False,
                           verbose=0)
    assert h_numpy.history == h_int.history and h_numpy.params["steps"] == 3
    assert h_numpy.params["epochs"] == 2 and type(h_numpy.params["epochs"]) is int
    assert by_numpy.evaluate(x, y, batch_size=size, steps=np.int64(2), verbose=0) == \
        by_int.evaluate(x, y, batch_size=2, steps=2, verbose=0)
    assert by_numpy.predict(x, batch_size=size, steps=np.int64(1), verbose=0).shape == (2, 1)


# -- dict losses on list outputs -----------------------------------------------------------

def _two_outputs(as_dict=False):
    inputs = keras.Input((3,), name="x")
    a = layers.Dense(1, name="a")(inputs)
    b = layers.Dense(1, name="b")(inputs)
    return keras.Model(inputs, {"a": a, "b": b} if as_dict else [a, b])


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_dict_loss_must_name_every_output_of_a_list():
    # Keras 3.15.1 (at the first fit): "Expected keys ['a', 'b'] in loss dict, but found
    # loss.keys()=['a']"
    with pytest.raises(ValueError, match=r"the outputs \['b'\] have no entry.*'b': None"):
        _two_outputs().compile("sgd", loss={"a": "mse"})
    # a None entry, or outputs in a dict, leave an output without a loss (as Keras)
    y = [np.ones((2, 1), "float32")] * 2
    model = _two_outputs()
    model.compile("sgd", loss={"a": "mse", "b": None})
    assert sorted(model.fit(_x(), y, verbose=0).history) == ["loss"]
    model = _two_outputs(as_dict=True)
    model.compile("sgd", loss={"a": "mse"})
    assert sorted(model.fit(_x(), {"a": y[0], "b": y[1]}, verbose=0).history) == ["loss"]


class _TwoUnnamed(keras.Model):
    def __init__(self):
        super().__init__()
        self.first = layers.Dense(1)
        self.second = layers.Dense(1)

    def call(self, x):
        return [self.first(x), self.second(x)]


def test_dict_loss_weights_on_unnamed_outputs_shows_the_sorted_pairing():
    # Keras 3.15.1 pairs the sorted keys with the outputs by position: {"main": 1.0,
    # "aux": 0.3} weighs the first output 0.3 and the second 1.0, whichever was "main"
    model = _TwoUnnamed()
    model.compile("sgd", loss=["mse", "mse"], loss_weights={"main": 1.0, "aux": 0.3})
    with pytest.raises(ValueError, match=(r"'aux' -> output_1, 'main' -> output_2\) is what "
                                          r"loss_weights=\[0.3, 1.0\] does")):
        model.evaluate(_x(), [np.ones((2, 1), "float32")] * 2, verbose=0)


# -- Keras 2 style configs of nested models ------------------------------------------------

def _nested_models():
    keras.utils.set_random_seed(3)
    inner_in = keras.Input((3,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    a = keras.Input((3,), name="a")
    first = inner(a)
    shared = keras.Model(a, [layers.Dense(1, name="head")(inner(first)), first], name="shared")
    stack = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="sd")], name="stack")
    b = keras.Input((3,), name="b")
    with_stack = keras.Model(b, layers.Dense(1, name="head_b")(stack(b)), name="with_stack")
    return shared, with_stack


def _list_form(config, keras2):
    """`config` (dict calls, as Keras 3 writes them) with Keras 2 list calls: with
    `keras2`, the calls of nested models built on Inputs counted from 1 (as Keras 2
    writes them), else from 0 (as Keras 3 reads list calls)."""
    config = copy.deepcopy(config)
    kinds = {}
    for entry in config["layers"]:
        if entry["class_name"] in ("Functional", "Sequential"):
            kinds[entry["name"]] = entry["class_name"]
            if entry["class_name"] == "Functional":
                entry["config"] = _list_form(entry["config"], keras2)
    for entry in config["layers"]:
        calls = []
        for node in entry["inbound_nodes"]:
            refs = []
            for arg in node["args"]:
                name, index, tensor = arg["config"]["keras_history"]
                refs.append([name, index + (1 if keras2 and name in kinds else 0), tensor, {}])
            calls.append(refs)
        entry["inbound_nodes"] = calls

    def reference(ref):  # Keras 3 counts a nested functional model's calls from 1 here
        name, index, tensor = ref
        if kinds.get(name) == "Functional" and not keras2:
            index -= 1
        if kinds.get(name) == "Sequential" and keras2:
            index += 1
        return [name, index, tensor]

    for key in ("input_layers", "output_layers"):
        refs = config[key]
        config[key] = [reference(r) for r in (refs if isinstance(refs[0], list) else [refs])]
    return config


@pytest.mark.parametrize("keras2", [True, False], ids=["from_1", "from_0"])
def test_list_form_configs_of_nested_models_load(keras2):
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    for model in _nested_models():
        config = _list_form(model.get_config(), keras2)
        nested = [e["name"] for e in config["layers"] if e["class_name"] != "InputLayer"][0]
        indices = {r[1] for e in config["layers"] for n in e["inbound_nodes"] for r in n
                   if r[0] == nested}
        # the written indices differ: Keras 2 counts from 1, Keras 3 reads 0 as the first
        assert min(indices) == (1 if keras2 else 0)
        rebuilt = keras.Model.from_config(config)
        rebuilt.set_weights(model.get_weights())
        expected = model.predict(x, verbose=0)
        got = rebuilt.predict(x, verbose=0)
        for want, have in zip(expected if isinstance(expected, list) else [expected],
                              got if isinstance(got, list) else [got]):
            np.testing.assert_allclose(have, want, rtol=1e-6)


# -- input data: extra dict keys, None for optional inputs --------------------------------

def test_a_dict_with_other_arrays_feeds_a_single_input_model():
    # Keras 3.15.1 (functional_test's dict with an extra field) warns that the structure
    # differs and runs on the named input
    inputs = keras.Input((3,), name="a")
    model = keras.Model({"a": inputs}, layers.Dense(1, kernel_initializer="ones")(inputs))
    model.compile("sgd", "mse")
    data = {"a": np.ones((4, 3), "float32"), "b": np.ones((4, 1), "float32")}
    with pytest.warns(UserWarning, match="structure of `inputs`"):
        np.testing.assert_allclose(model.predict(data, verbose=0), np.full((4, 1), 3.0))
    with pytest.warns(UserWarning, match="structure of `inputs`"):
        assert sorted(model.fit(data, np.ones((4, 1)), verbose=0).history) == ["loss"]


class _OptionalSecond(layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2, kernel_initializer="ones")

    def call(self, x, o=None):
        return self.dense(x if o is None else x + o)

    def compute_output_shape(self, x_shape, o_shape=None):
        return x_shape[:-1] + (2,)


def _optional_model(optional=True):
    first = keras.Input((2,), name="x")
    second = keras.Input((2,), name="o", optional=optional)
    model = keras.Model([first, second], _OptionalSecond()(first, second))
    model.compile("sgd", "mse")
    return model


def test_a_list_with_none_for_an_optional_input_trains_evaluates_and_predicts():
    # Keras 3.15.1 takes [x, None] in fit, evaluate and predict, and from a generator
    x, y = np.ones((2, 2), "float32"), np.zeros((2, 2), "float32")
    model = _optional_model()
    model.fit([x, None], y, verbose=0)
    assert isinstance(model.evaluate([x, None], y, verbose=0), float)
    np.testing.assert_allclose(model.predict([x, None], verbose=0),
                               np.asarray(model([x, None])), rtol=1e-6)

    def batches():
        for _ in range(3):
            yield (x, None), y

    assert len(model.fit(batches(), shuffle=False, verbose=0).history["loss"]) == 1


def test_none_for_a_required_input_says_it_is_not_optional():
    # Keras 3.15.1: "The input 'o' is not optional, but None was passed."
    with pytest.raises(ValueError, match="The input 'o' of model .* is not optional"):
        _optional_model(optional=False).fit([np.ones((2, 2)), None], np.zeros((2, 2)),
                                            verbose=0)


# -- invalid functional configs ------------------------------------------------------------

def _config(entries, output):
    first = {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 10], "dtype": "float32",
                        "name": "input_1"}}
    return {"name": "broken", "layers": [first] + entries,
            "input_layers": [["input_1", 0, 0]], "output_layers": [[output, 0, 0]]}


def _dense(name, source):
    return {"class_name": "Dense", "name": name, "config": {"units": 10, "name": name},
            "inbound_nodes": [[[source, 0, 0, {}]]]}


def test_invalid_functional_configs_use_keras_words():
    # Keras 3.15.1's functional_test: "loop" and "Missing node: node_b"
    looped = _config([_dense("node_a", "node_b"), _dense("node_b", "node_a")], "node_b")
    with pytest.raises(ValueError, match="has loops or disconnected nodes.*node_a"):
        keras.Model.from_config(looped)
    with pytest.raises(ValueError, match="Missing node: node_b"):
        keras.Model.from_config(_config([_dense("node_a", "node_b")], "node_a"))
