"""Whole models saved by Keras 2 (`tf_keras`) as legacy HDF5 files
(`make_keras2_h5_fixtures.py`) load compiled, with their weights and optimizer state:
Keras 2 configs (list `axis`, `time_major`, `Custom>Adam` optimizers with Keras 2 keys,
metrics wrapped per output, losses with `fn`) read in Keras 3's terms."""

import json
import os

import numpy as np
import pytest

import kerasx
from tests.conftest import to_numpy

pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _load(name):
    with open(os.path.join(FIXTURES, "keras2_h5_models.json")) as f:
        record = json.load(f)[name]
    model = kerasx.saving.load_model(os.path.join(FIXTURES, f"keras2_{name}.h5"))
    return model, record


def _check_optimizer_state(model, record, steps):
    """Keras 2 saved the iteration count and the slots, not the learning rate."""
    saved = list(record["optimizer"].values())
    assert int(model.optimizer.iterations) == saved[0] == steps
    slots = model.optimizer.variables[2:]
    assert len(slots) == len(saved) - 1
    for variable, value in zip(slots, saved[1:]):
        np.testing.assert_allclose(to_numpy(variable), value, rtol=1e-6, atol=1e-8)


def test_a_keras2_functional_model_loads_compiled_with_its_state():
    model, record = _load("functional")
    x, y = (np.asarray(record[k], "float32") for k in ("x", "y"))
    assert model.get_layer("batch_normalization").axis == 1  # Keras 2 wrote [1]
    np.testing.assert_allclose(to_numpy(model.predict(x, verbose=0)), record["predictions"],
                               rtol=1e-5, atol=1e-6)
    assert isinstance(model.optimizer, kerasx.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    _check_optimizer_state(model, record, steps=4)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == set(record["evaluate"])  # "mae" under the name it was compiled with
    for key, value in record["evaluate"].items():
        assert logs[key] == pytest.approx(value, rel=1e-5)
    history = model.fit(x, y, verbose=0)
    assert int(model.optimizer.iterations) == 5 and np.isfinite(history.history["loss"][0])


def test_a_keras2_sequential_with_recurrent_layers_loads_compiled_with_its_state():
    model, record = _load("sequential")
    x, y = np.asarray(record["x"], "int32"), np.asarray(record["y"], "float32")
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", "LSTM", "GRU",
                                                                "Dense"]
    assert model.input_shape == (None, 6)
    np.testing.assert_allclose(to_numpy(model.predict(x, verbose=0)), record["predictions"],
                               rtol=1e-5, atol=1e-6)
    assert isinstance(model.loss, kerasx.losses.BinaryCrossentropy)
    assert model.optimizer.momentum == pytest.approx(0.5)
    _check_optimizer_state(model, record, steps=2)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    # "accuracy" resolves to binary accuracy for this loss, as it did in Keras 2
    assert logs == pytest.approx(record["evaluate"], rel=1e-5)


def test_a_keras2_model_loads_uncompiled_without_warnings(recwarn):
    model = kerasx.saving.load_model(os.path.join(FIXTURES, "keras2_sequential.h5"),
                                     compile=False)
    assert model.optimizer is None
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_one_list_of_metrics_for_a_single_output_model_is_that_output_s():
    model = kerasx.Sequential([kerasx.Input((3,)), kerasx.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[["mae"]])  # accepted by Keras 3 too
    logs = model.evaluate(np.ones((2, 3)), np.ones((2, 1)), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}


def test_a_keras2_architecture_json_and_its_weights_file_make_the_model():
    with open(os.path.join(FIXTURES, "keras2_h5_models.json")) as f:
        record = json.load(f)["json_and_weights"]
    with open(os.path.join(FIXTURES, "keras2_architecture.json")) as f:
        model = kerasx.models.model_from_json(f.read())
    assert type(model.layers[2]).__name__ == "BatchNormalization"
    assert model.layers[2].axis == 2  # Keras 2 wrote [2]
    model.load_weights(os.path.join(FIXTURES, "keras2_weights.h5"))
    x = np.asarray(record["x"], "float32")
    np.testing.assert_allclose(to_numpy(model.predict(x, verbose=0)), record["predictions"],
                               rtol=1e-5, atol=1e-6)
