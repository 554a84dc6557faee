"""Whole models in legacy HDF5 files (`model.save("model.h5")`): files made by Keras 3
(`make_legacy_h5_model_fixtures.py`) load with their architecture, weights, compile
arguments and optimizer state, and kerasx writes the same layout."""

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
    model = kerasx.saving.load_model(os.path.join(FIXTURES, "legacy_functional.h5"))
    assert int(model.optimizer.iterations) == 4  # 16 samples, batches of 8, 2 epochs
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


def test_loss_and_metric_objects_and_the_optimizer_state_load():
    """Keras stores compile objects as `{"class_name", "config"}` in this format."""
    record = _record()
    x = np.asarray(record["x"], dtype="float32")
    model = kerasx.saving.load_model(os.path.join(FIXTURES, "legacy_objects.h5"))
    np.testing.assert_allclose(to_numpy(model.predict(x, verbose=0)), record["objects"],
                               rtol=1e-5, atol=1e-6)
    assert isinstance(model.loss, kerasx.losses.MeanSquaredError)
    assert model.optimizer.momentum == pytest.approx(0.9)
    saved = record["objects_optimizer"]
    assert len(model.optimizer.variables) == len(saved)
    for variable, (path, value) in zip(model.optimizer.variables, saved.items()):
        assert variable.path.rsplit("_", 1)[-1] == path.rsplit("_", 1)[-1]
        np.testing.assert_allclose(to_numpy(variable), value, rtol=1e-6)
    logs = model.evaluate(x, np.zeros((4, 1), "float32"), verbose=0, return_dict=True)
    expected = np.asarray(record["objects"])
    assert logs["mean_absolute_error"] == pytest.approx(float(np.mean(np.abs(expected))),
                                                        rel=1e-4)
    assert logs["mse"] == pytest.approx(float(np.mean(expected ** 2)), rel=1e-4)


def _functional_like_the_fixture():
    """The architecture of `legacy_functional.h5`, with the layer names Keras gave it."""
    inputs = kerasx.Input((3,), name="features")
    hidden = kerasx.layers.Dense(4, activation="relu", name="dense")(inputs)
    hidden = kerasx.layers.BatchNormalization(name="batch_normalization")(hidden)
    hidden = kerasx.layers.Dropout(0.25, name="dropout")(hidden)
    model = kerasx.Model(inputs, kerasx.layers.Dense(2, name="head")(hidden))
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def _layout(path):
    """Every group and dataset of an HDF5 file with its `*_names` attributes, shapes, dtypes."""
    import h5py

    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, item):
            names = {k: [v.decode() if isinstance(v, bytes) else str(v) for v in item.attrs[k]]
                     for k in item.attrs if k.endswith("_names")}
            found[name] = (names, getattr(item, "shape", None), str(getattr(item, "dtype", "")))

        f.visititems(visit)
        roots = sorted(f.attrs), sorted(f["model_weights"].attrs)
    return found, roots


def test_a_saved_model_has_the_layout_keras_writes(tmp_path):
    model = _functional_like_the_fixture()
    x = np.ones((16, 3), "float32")
    model.fit(x, np.zeros((16, 2), "float32"), batch_size=8, epochs=2, verbose=0)
    with pytest.warns(UserWarning, match="considered legacy.*my_model.keras"):
        model.save(tmp_path / "model.h5")
    assert _layout(tmp_path / "model.h5") == _layout(os.path.join(FIXTURES,
                                                                  "legacy_functional.h5"))


def test_a_saved_model_reloads_and_trains_on_as_the_original(tmp_path):
    model = _functional_like_the_fixture()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    with pytest.warns(UserWarning, match="considered legacy"):
        model.save(tmp_path / "model.hdf5")
    loaded = kerasx.saving.load_model(tmp_path / "model.hdf5")
    np.testing.assert_array_equal(to_numpy(loaded.predict(x, verbose=0)),
                                  to_numpy(model.predict(x, verbose=0)))
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    for m in (model, loaded):
        kerasx.utils.set_random_seed(3)  # the same dropout masks
        m.fit(x, y, batch_size=8, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_include_optimizer_false_leaves_the_model_uncompiled(tmp_path):
    model = _functional_like_the_fixture()
    with pytest.warns(UserWarning, match="considered legacy"):
        model.save(tmp_path / "model.h5", include_optimizer=False)
    with pytest.warns(UserWarning, match="not\\* compiled"):
        loaded = kerasx.saving.load_model(tmp_path / "model.h5")
    assert loaded.optimizer is None and loaded.count_params() == model.count_params()


def test_an_optimizer_state_that_does_not_fit_warns_and_starts_fresh(tmp_path):
    import h5py

    model = _functional_like_the_fixture()
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 2), "float32"), verbose=0)
    with pytest.warns(UserWarning, match="considered legacy"):
        model.save(tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5", "r+") as f:
        group = f["optimizer_weights"]
        group.attrs["weight_names"] = group.attrs["weight_names"][:-1]
    with pytest.warns(UserWarning, match="was not restored.*freshly initialized"):
        loaded = kerasx.saving.load_model(tmp_path / "model.h5")
    assert int(loaded.optimizer.iterations) == 0
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_a_failed_save_leaves_the_previous_file_as_it_was(tmp_path, monkeypatch):
    from kerasx.saving import legacy_h5

    model = _functional_like_the_fixture()
    path = tmp_path / "model.h5"
    with pytest.warns(UserWarning, match="considered legacy"):
        model.save(path)
    before = path.read_bytes()
    write, calls = legacy_h5.write_weights_group, []

    def failing(group, variables):  # the disk fills up on the third layer
        calls.append(group.name)
        if len(calls) == 3:
            raise OSError("No space left on device")
        write(group, variables)

    monkeypatch.setattr(legacy_h5, "write_weights_group", failing)
    model.layers[1].kernel.assign(np.zeros((3, 4), "float32"))
    with pytest.warns(UserWarning, match="considered legacy"), \
            pytest.raises(OSError, match="No space left"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.h5"]
