"""`Model.get_state_tree` / `set_state_tree`: the model's state as nested dicts by
variable path, in Keras 3's four sections."""

import numpy as np
import pytest

import kerasx as keras


def _trained():
    keras.backend.clear_session(free_memory=False)  # the same names, so the same paths
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                              keras.layers.BatchNormalization()])
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    return model


def test_the_tree_has_keras_layout():
    tree = _trained().get_state_tree(value_format="numpy_array")
    # the same keys and shapes as Keras 3 gives this model
    assert {k: v.shape for k, v in tree["trainable_variables"]["sequential"]["dense"].items()} \
        == {"kernel": (3, 2), "bias": (2,)}
    assert set(tree["non_trainable_variables"]["sequential"]["batch_normalization"]) == {
        "moving_mean", "moving_variance"}
    assert list(tree["optimizer_variables"]["adam"])[:4] == [
        "iteration", "learning_rate", "sequential_dense_kernel_momentum",
        "sequential_dense_kernel_velocity"]
    assert set(tree["metrics_variables"]) == {"loss", "mean_absolute_error"}
    assert set(tree["metrics_variables"]["loss"]) == {"total", "count"}
    listed = _trained().get_state_tree("python_list")
    assert isinstance(listed["trainable_variables"]["sequential"]["dense"]["bias"], list)


def test_set_state_tree_copies_a_whole_state():
    source, target = _trained(), _trained()
    target.fit(np.zeros((4, 3)), np.zeros((4, 2)), epochs=2, verbose=0)
    target.set_state_tree(source.get_state_tree())
    for a, b in zip(target.weights + target.optimizer.variables,
                    source.weights + source.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


def test_a_bad_tree_changes_nothing():
    model = _trained()
    before = [w.numpy().copy() for w in model.weights]
    tree = model.get_state_tree("numpy_array")
    tree["trainable_variables"]["sequential"]["dense"]["kernel"] = np.zeros((3, 2))
    tree["trainable_variables"]["sequential"]["dense"]["bias"] = np.zeros(5)
    with pytest.raises(ValueError, match="'sequential/dense/bias'.*shape \\(2,\\).*\\(5,\\)"):
        model.set_state_tree(tree)
    for w, b in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)
    with pytest.raises(ValueError, match="unknown sections \\['weights'\\]"):
        model.set_state_tree({"weights": {}})
    with pytest.raises(ValueError, match="no variable at 'sequential/conv/kernel'"):
        model.set_state_tree({"trainable_variables": {"sequential": {"conv": {"kernel": 1}}}})
    with pytest.raises(ValueError, match="value_format must be one of"):
        model.get_state_tree("torch")
