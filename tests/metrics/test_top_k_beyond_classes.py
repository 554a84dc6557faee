"""Top-k accuracy with k at least the number of classes counts every prediction, as
Keras 3.15.1 does (it scored 1.0 for each case here)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import metrics

LABELS = np.array([0, 2, 1])
SCORES = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3]], np.float32)


def _value(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("k", [3, 5])
def test_metric_classes_and_functions(k):
    one_hot = np.eye(3, dtype=np.float32)[LABELS]
    assert float(metrics.SparseTopKCategoricalAccuracy(k=k)(LABELS, SCORES)) == 1.0
    assert float(metrics.TopKCategoricalAccuracy(k=k)(one_hot, SCORES)) == 1.0
    np.testing.assert_array_equal(
        _value(metrics.sparse_top_k_categorical_accuracy(LABELS, SCORES, k=k)), [1, 1, 1])
    np.testing.assert_array_equal(
        _value(metrics.top_k_categorical_accuracy(one_hot, SCORES, k=k)), [1, 1, 1])
    # per-timestep labels keep their shape
    np.testing.assert_array_equal(
        _value(metrics.sparse_top_k_categorical_accuracy(LABELS[None], SCORES[None], k=k)),
        [[1, 1, 1]])


def test_nan_scores_count_when_k_covers_every_class():
    scores = SCORES.copy()
    scores[1, 2] = np.nan  # Keras's rank rule: a NaN at the label ranks last, still in the top 3
    np.testing.assert_array_equal(
        _value(metrics.sparse_top_k_categorical_accuracy(LABELS, scores, k=3)), [1, 1, 1])


def test_sorted_ids_with_k_beyond_the_ids():
    ids = np.array([[2, 1, 0], [0, 1, 2], [1, 0, 2]])
    assert float(metrics.SparseTopKCategoricalAccuracy(k=5, from_sorted_ids=True)(LABELS, ids)) \
        == 1.0


@pytest.mark.parametrize("name, labels", [
    ("sparse_top_k_categorical_accuracy", np.array([0, 1, 2, 0, 1, 2])),
    ("top_k_categorical_accuracy", np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]),
])
def test_compiled_by_name_on_three_classes(name, labels):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    loss = "sparse_categorical_crossentropy" if name.startswith("sparse") else \
        "categorical_crossentropy"
    model.compile("sgd", loss, metrics=[name])
    x = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(6, 4)
    model.fit(x, labels, verbose=0)
    assert model.evaluate(x, labels, verbose=0, return_dict=True)[name] == 1.0
