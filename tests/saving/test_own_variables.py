"""Layers that save state beyond their variables through `save_own_variables` /
`load_own_variables` (Keras's hooks): their group holds what they write, under their
keys, in `.keras`, `.weights.h5` and sharded files, and they read it back themselves."""

import zipfile

import h5py
import numpy as np
import pytest

import kerasx as keras


@keras.saving.register_keras_serializable(package="own_variables_test")
class Table(keras.layers.Layer):
    """A kernel plus a host lookup table that is not a variable."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.table = np.zeros(3, "float32")

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], 2), "ones", name="w")

    def call(self, x):
        return keras.ops.matmul(x, self.w) + float(self.table.sum())

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["table"] = self.table

    def load_own_variables(self, store):  # Keras's store offers keys() and [] only
        self.table = np.asarray(store["table"])
        self.w.assign(store["0"])


def _model():
    keras.backend.clear_session(free_memory=False)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Table()(inputs))
    model.layers[1].table = np.array([1.0, 2.0, 3.0], "float32")
    model.layers[1].w.assign(np.full((3, 2), 0.5, "float32"))
    return model


def _fresh():
    keras.backend.clear_session(free_memory=False)
    inputs = keras.Input((3,))
    return keras.Model(inputs, Table()(inputs))


def test_a_keras_file_holds_the_extra_state_and_loads_it(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as z, h5py.File(z.open("model.weights.h5"), "r") as h5:
        # the layout Keras 3 writes for this layer
        assert sorted(h5["layers/table/vars"]) == ["0", "table"]
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.layers[1].table, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(loaded.predict(np.ones((1, 3)), verbose=0), [[7.5, 7.5]])


@pytest.mark.parametrize("name, kwargs", [("w.weights.h5", {}),
                                          ("w.weights.json", {"max_shard_size": 1e-7})])
def test_weights_files_round_trip_the_extra_state(tmp_path, name, kwargs):
    path = str(tmp_path / name)
    _model().save_weights(path, **kwargs)
    model = _fresh()
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[1].table, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(model.predict(np.ones((1, 3)), verbose=0), [[7.5, 7.5]])


def test_the_default_hooks_check_the_variable_count():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"] and store["0"].shape == (3, 2)
    other = keras.layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.kernel.numpy(), store["0"])
    with pytest.raises(ValueError, match="expected 2 variables, but received 1 variables"):
        other.load_own_variables({"0": store["0"]})
