"""Whole models from legacy HDF5 files (`model.save("model.h5")`), made by Keras 3
(`make_legacy_h5_model_fixtures.py`): architecture, weights and compile arguments."""

import json
import os
import shutil

import numpy as np
import pytest

import kerasx
from tests.conftest import to_numpy

pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _record():
    with open(os.path.join(FIXTURES, "legacy_h5_models.json")) as f:
        return json.load(f)


def test_a_compiled_functional_model_loads_with_its_weights_and_compile_arguments():
    record = _record()
    x = np.asarray(record["x"], dtype="float32")
    with pytest.warns(UserWarning, match="optimizer state saved in the legacy HDF5 file"):
        model = kerasx.saving.load_model(os.path.join(FIXTURES, "legacy_functional.h5"))
    np.testing.assert_allclose(to_numpy(model.predict(x, verbose=0)), record["functional"],
                               rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in model.layers][-1] == "head"
    assert type(model.optimizer).__name__ == record["optimizer"]
    assert float(to_numpy(model.optimizer.learning_rate)) == pytest.approx(
        record["learning_rate"])
    assert model.loss == record["loss"]
    expected = np.asarray(record["functional"])  # against zero targets: mse and mae of these
    loss, mae = model.evaluate(x, np.zeros((4, 2), "float32"), verbose=0)
    assert loss == pytest.approx(float(np.mean(expected ** 2)), rel=1e-4)
    assert mae == pytest.approx(float(np.mean(np.abs(expected))), rel=1e-4)
    assert set(model.fit(x, np.zeros((4, 2), "float32"), verbose=0).history) == {"loss", "mae"}


def test_an_uncompiled_sequential_loads_and_warns_as_keras(tmp_path):
    record = _record()
    path = tmp_path / "model.hdf5"  # either suffix
    shutil.copy(os.path.join(FIXTURES, "legacy_sequential.h5"), path)
    with pytest.warns(UserWarning, match=r"No training configuration found .*not\* compiled"):
        model = kerasx.saving.load_model(path)
    assert isinstance(model, kerasx.Sequential) and model.optimizer is None
    np.testing.assert_allclose(
        to_numpy(model.predict(np.asarray(record["x"], dtype="float32"), verbose=0)),
        record["sequential"], rtol=1e-5, atol=1e-6)
    same = kerasx.saving.load_model(path, compile=False)  # no warning without compile
    assert same.count_params() == model.count_params()


def test_a_weights_only_h5_file_is_refused_by_load_model_with_the_fix(tmp_path):
    model = kerasx.Sequential([kerasx.Input((3,)), kerasx.layers.Dense(2)])
    model.save_weights(tmp_path / "w.weights.h5")
    shutil.copy(tmp_path / "w.weights.h5", tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"holds weights only.*model.load_weights\(path\)"):
        kerasx.saving.load_model(tmp_path / "w.h5")
