"""Models pickle (and deep-copy) as their `.keras` contents: architecture, weights,
compile arguments and optimizer state."""

import copy
import pickle

import numpy as np
import pytest

import kerasx as keras

pytest.importorskip("h5py", reason="pickling a model writes its weights as HDF5")


def _trained(build):
    keras.utils.set_random_seed(3)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 6)).astype("float32"), rng.integers(0, 3, 64)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    return model, x, y


def _sequential():
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])


def _functional():
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h + inputs[:, :1]))


@pytest.mark.parametrize("build", [_sequential, _functional])
@pytest.mark.parametrize("copier", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_trained_model_round_trips_and_trains_on_the_same(build, copier):
    model, x, y = _trained(build)
    clone = copier(model)
    assert clone is not model and type(clone) is type(model)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(clone.optimizer.iterations) == int(model.optimizer.iterations) == 8
    for a, b in zip(model.optimizer.variables, clone.optimizer.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    # the same next steps (dropout draws aside: one seed for both)
    results = []
    for m in (model, clone):
        keras.utils.set_random_seed(5)
        results.append(m.fit(x, y, batch_size=16, epochs=1, verbose=0).history["loss"])
    assert results[0] == results[1]
    for a, b in zip(model.get_weights(), clone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_an_uncompiled_model_pickles():
    model = _sequential()
    clone = pickle.loads(pickle.dumps(model))
    x = np.ones((2, 6), "float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert not getattr(clone, "compiled", False)
