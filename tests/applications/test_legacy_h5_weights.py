"""Loading legacy Keras 2 HDF5 weights (the format of Keras's pretrained application
weights) with `kerasx.saving.legacy_h5`, against files real Keras wrote
(`tests/interop/make_app_fixtures.py`)."""

import shutil

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.saving.h5_weights import WeightsMismatchError
from kerasx.saving.legacy_h5 import load_legacy_h5_weights
from tests.applications.conftest import fixture_path
from tests.conftest import to_numpy

h5py = pytest.importorskip("h5py")
DATA = np.load(fixture_path("legacy.npz"))
WEIGHTS = fixture_path("legacy_weights.h5")


def legacy_net(head_units=5, names=("conv", "bn", "relu", "dw", "gap", "head")):
    """The model `make_app_fixtures.py` saved."""
    inputs = kerasx.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", name=names[0])(inputs)
    x = layers.BatchNormalization(name=names[1])(x)
    x = layers.ReLU(6.0, name=names[2])(x)
    x = layers.DepthwiseConv2D(3, use_bias=False, name=names[3])(x)
    x = layers.GlobalAveragePooling2D(name=names[4])(x)
    return kerasx.Model(inputs, layers.Dense(head_units, name=names[5])(x), name="legacy_net")


def predict(model):
    return model.predict(DATA["x"], verbose=0)


def snapshot(model):
    return [to_numpy(w).copy() for w in model.weights]


def test_legacy_weights_file_predicts_like_keras():
    model = legacy_net()
    load_legacy_h5_weights(model, WEIGHTS)
    np.testing.assert_allclose(predict(model), DATA["pred"], rtol=1e-4, atol=1e-4)


def test_legacy_whole_model_file_predicts_like_keras():
    model = legacy_net()
    load_legacy_h5_weights(model, fixture_path("legacy_model.h5"))
    np.testing.assert_allclose(predict(model), DATA["pred"], rtol=1e-4, atol=1e-4)


def test_topological_loading_ignores_names_and_by_name_uses_them():
    renamed = legacy_net(names=("a", "b", "c", "d", "e", "f"))
    load_legacy_h5_weights(renamed, WEIGHTS)
    np.testing.assert_allclose(predict(renamed), DATA["pred"], rtol=1e-4, atol=1e-4)
    by_name = legacy_net(names=("conv", "bn", "relu", "dw", "gap", "other_head"))
    before = snapshot(by_name)
    load_legacy_h5_weights(by_name, WEIGHTS, by_name=True)
    after = snapshot(by_name)
    assert not np.array_equal(before[0], after[0])  # conv kernel loaded
    np.testing.assert_array_equal(before[-1], after[-1])  # unmatched head untouched


def test_model_load_weights_reads_legacy_files_as_keras_3_does(tmp_path):
    model = legacy_net()
    model.load_weights(WEIGHTS)
    np.testing.assert_allclose(predict(model), DATA["pred"], rtol=1e-4, atol=1e-4)
    renamed = legacy_net(names=("conv", "bn", "relu", "dw", "gap", "other_head"))
    before = snapshot(renamed)
    kerasx.saving.load_weights(renamed, WEIGHTS, by_name=True)
    assert not np.array_equal(before[0], snapshot(renamed)[0])  # conv kernel loaded
    np.testing.assert_array_equal(before[-1], snapshot(renamed)[-1])  # head left alone
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    with pytest.raises(ValueError, match="by_name=True applies to legacy"):
        legacy_net().load_weights(path, by_name=True)


def test_application_builder_reads_a_legacy_path(tmp_path):
    # weights=<path> goes through the same loader as the ImageNet files
    from kerasx.applications import _builder

    model = legacy_net()
    _builder.load_weights(model, WEIGHTS)
    np.testing.assert_allclose(predict(model), DATA["pred"], rtol=1e-4, atol=1e-4)


def test_shape_mismatch_loads_nothing():
    model = legacy_net(head_units=6)
    before = snapshot(model)
    with pytest.raises(WeightsMismatchError, match=r"layer 'head'.*\(4, 6\)"):
        load_legacy_h5_weights(model, WEIGHTS)
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="skipped"):
        load_legacy_h5_weights(model, WEIGHTS, skip_mismatch=True)
    assert not np.array_equal(before[0], snapshot(model)[0])
    np.testing.assert_array_equal(before[-1], snapshot(model)[-1])


def test_layer_count_mismatch():
    inputs = kerasx.Input((8, 8, 3))
    model = kerasx.Model(inputs, layers.Conv2D(4, 3, padding="same")(inputs))
    with pytest.raises(WeightsMismatchError, match="1 layers with weights, the file holds 4"):
        load_legacy_h5_weights(model, WEIGHTS)


def test_refuses_files_of_another_layout(tmp_path):
    model = legacy_net()
    path = tmp_path / "model.weights.h5"
    model.save_weights(str(path))
    with pytest.raises(ValueError, match="not a legacy Keras 2 HDF5"):
        load_legacy_h5_weights(model, path)
    with pytest.raises(ValueError, match="not an HDF5 file"):
        (tmp_path / "junk.h5").write_bytes(b"not hdf5")
        load_legacy_h5_weights(model, tmp_path / "junk.h5")


def test_damaged_file_names_the_missing_dataset(tmp_path):
    path = tmp_path / "damaged.h5"
    shutil.copy(WEIGHTS, path)
    with h5py.File(path, "a") as f:
        del f["bn/bn/moving_mean"]
    model = legacy_net()
    before = snapshot(model)
    with pytest.raises(ValueError, match="bn/moving_mean"):
        load_legacy_h5_weights(model, path)
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)


def test_weights_of_the_model_object_itself_are_refused(tmp_path):
    path = tmp_path / "subclassed.h5"
    shutil.copy(WEIGHTS, path)
    with h5py.File(path, "a") as f:
        group = f["top_level_model_weights"]
        group.attrs["weight_names"] = [b"extra"]
        group.create_dataset("extra", data=np.zeros(3, "float32"))
    with pytest.raises(WeightsMismatchError, match="top_level_model_weights"):
        load_legacy_h5_weights(legacy_net(), path)
