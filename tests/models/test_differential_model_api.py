"""The model API compared with Keras 3.15.1.

`test_golden_recipe` replays the `fuzz_model_api` golden family: Sequential and functional
models drawn by tests/golden/fuzz_model_api_recipe.py (nested and frozen blocks, shared
layers, given and automatic names, structured inputs and outputs) whose facts Keras
recorded: `summary()` texts for several arguments, names, weight paths and order, `get_layer`,
inputs / outputs, `count_params`, `compute_output_shape` / `compute_output_spec`, configs and
`to_json` round trips, `clone_model` variants and what `predict` returns. kerasx must give the
same facts and predictions, and load Keras's own `to_json` text into the same model. The other tests pin what the comparison found (expected values
are Keras's).
"""

import json

import numpy as np
import pytest

import kerasx as keras
from tests.golden.fuzz_model_api_recipe import run_recipe, summary_text, weight_facts
from tests.golden.loader import load_cases

GOLDEN = load_cases("fuzz_model_api")
# recipes key dict inputs by tensor name, which Keras's check (and kerasx's) compares with
# the Input layer's name
pytestmark = pytest.mark.filterwarnings("ignore:When providing `inputs` as a dict")


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_recipe(case, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    expected = json.loads(case["arrays"]["facts"].tobytes().decode("utf-8"))
    facts, arrays = run_recipe(keras, case["config"])
    assert sorted(facts) == sorted(expected)
    for key in expected:
        assert facts[key] == expected[key], key
    predicted = sorted(k for k in case["arrays"] if k.startswith("predict_"))
    assert sorted(k for k in arrays if k.startswith("predict_")) == predicted
    for key in predicted:
        np.testing.assert_allclose(arrays[key], case["arrays"][key], rtol=1e-5, atol=1e-6,
                                   err_msg=key)


WITH_JSON = [c for c in GOLDEN if "keras_json" in c["arrays"]]


@pytest.mark.parametrize("case", WITH_JSON, ids=[c["name"] for c in WITH_JSON])
def test_keras_json_loads_into_the_same_model(case, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    expected = json.loads(case["arrays"]["facts"].tobytes().decode("utf-8"))["from_json"]
    keras.utils.clear_session()
    model = keras.models.model_from_json(case["arrays"]["keras_json"].tobytes().decode("utf-8"))
    assert model.name == expected["name"]
    assert [layer.name for layer in model.layers] == expected["layers"]
    assert weight_facts(model.weights) == expected["weights"]
    assert summary_text(model) == expected["summary"]


def test_unused_inputs_keep_their_order_among_the_layers():
    keras.utils.clear_session()
    a = keras.Input((2,), name="a")
    b = keras.Input((3,))
    c = keras.Input((4,), name="c")
    model = keras.Model([a, b, c], keras.layers.Dense(1, name="head")(a))
    assert [layer.name for layer in model.layers] == ["a", "input_layer", "c", "head"]
    assert [layer["name"] for layer in model.get_config()["layers"]] == [
        "a", "input_layer", "c", "head"]


def test_a_clone_names_its_inputs_after_the_input_tensors():
    keras.utils.clear_session()
    unnamed = keras.Input((3,))
    named = keras.Input((2,), name="named")
    model = keras.Model([unnamed, named], keras.layers.Concatenate()(
        [keras.layers.Dense(2)(unnamed), named]))
    clone = keras.models.clone_model(model)
    assert [layer.name for layer in clone.layers] == [
        "keras_tensor", "dense", "named", "concatenate"]
    assert [t.name for t in clone.inputs] == ["keras_tensor", "named"]


def test_a_sequential_clone_keeps_the_input_layer_name():
    model = keras.Sequential([keras.Input((3,), name="inp"), keras.layers.Dense(2, name="d")])
    clone = keras.models.clone_model(model)
    assert [t.name for t in clone.inputs] == ["inp"]
    assert clone.get_config()["layers"][0]["config"]["name"] == "inp"


def test_a_sequential_cloned_on_input_tensors_stays_sequential():
    model = keras.Sequential([keras.Input((3,), name="inp"), keras.layers.Dense(2, name="d")],
                             name="s")
    new_input = keras.Input((3,), name="new")
    clone = keras.models.clone_model(model, input_tensors=new_input)
    assert type(clone) is keras.Sequential
    assert clone.name == "s"
    assert [layer.name for layer in clone.layers] == ["d"]
    assert clone.inputs[0] is new_input
    assert clone.get_config()["layers"][0]["config"]["name"] == "inp"
    x = np.ones((2, 3), "float32")
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("outputs, expected, unknown", [
    ("one", (7, 2), (None, 2)),
    ("list", [(7, 2)], [(None, 2)]),
    ("tuple", ((7, 2), (7, 2)), ((None, 2), (None, 2))),
    ("dict", {"z": (7, 2)}, {"z": (None, 2)}),
])
def test_functional_compute_output_shape_follows_the_input_shape_and_output_structure(
        outputs, expected, unknown):
    inputs = keras.Input((3,), name="a")
    out = keras.layers.Dense(2)(inputs)
    structure = {"one": out, "list": [out], "tuple": (out, out), "dict": {"z": out}}[outputs]
    model = keras.Model(inputs, structure)
    assert model.compute_output_shape((7, 3)) == expected
    assert model.compute_output_shape([(7, 3)]) == expected
    assert model.compute_output_shape((None, 3)) == unknown


def test_compute_output_shape_of_dict_inputs_pairs_shapes_by_name():
    a = keras.Input((3,), name="a")
    b = keras.Input((4,), name="b")
    model = keras.Model({"b": b, "a": a}, keras.layers.Concatenate()([a, b]))
    assert model.compute_output_shape({"b": (5, 4), "a": (5, 3)}) == (5, 7)


def test_a_subclassed_model_config_records_the_arguments_given():
    # Keras 3.15.1 records the constructor's defaults here (units 3) and drops the name,
    # so its from_config rebuilds another model; kerasx keeps what was passed.
    class Tower(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    config = Tower(units=4, name="tower_4").get_config()
    assert config["units"] == 4 and config["name"] == "tower_4"
    rebuilt = Tower.from_config(config)
    assert rebuilt.dense.units == 4 and rebuilt.name == "tower_4"


@pytest.mark.parametrize("training, expected", [
    (False, [0.9995, 1.999, 2.9985, 3.998, 0.0]),
    (True, [0.0, -0.70693, 1.22383, -0.20202, -1.22383]),
])
def test_batch_normalization_of_integers_is_float32(training, expected):
    # NumPy's promotion of int32 with the float32 weights gave float64
    x = np.array([[1, 2, 3, 4], [0, 5, 1, 1], [2, 2, 2, 9]], "int32")
    layer = keras.layers.BatchNormalization()
    y = layer(x, training=training)
    assert keras.backend.standardize_dtype(y.dtype) == "float32"
    assert layer(keras.Input((4,), dtype="int32")).dtype == "float32"
    np.testing.assert_allclose(np.asarray(y).ravel()[:5], expected, atol=1e-5)
