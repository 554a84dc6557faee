"""`sparse_categorical_accuracy` on 2-D scores runs on raw arrays; it must agree
with the general tensor path it skips."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.metrics import accuracy_metrics as am


def _general_path(y_true, y_pred, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(am, "_sparse_categorical_accuracy_2d", lambda *a: None)
        return ops.convert_to_numpy(am.sparse_categorical_accuracy(y_true, y_pred))


@pytest.mark.parametrize("labels", [
    np.array([0, 2, 1, 1, 3]), np.array([[0], [2], [1], [1], [3]]),
    np.array([0., 2., 1., 1., 3.]), [0, 2, 1, 1, 3],
], ids=["ids", "column", "float", "list"])
def test_common_case_matches_general_path(labels, monkeypatch):
    scores = np.array([[.9, .1, 0, 0], [.2, .2, .6, 0], [.5, .5, 0, 0],   # a tie: first wins
                       [0, 1, 0, 0], [.3, .3, .3, .1]], dtype=np.float32)
    y_pred = ops.convert_to_tensor(scores)
    got = am.sparse_categorical_accuracy(labels, y_pred)
    assert tuple(got.shape) == (5,) and str(got.dtype) == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(got), [1, 1, 0, 1, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(got),
                                  _general_path(labels, y_pred, monkeypatch))


def test_other_shapes_take_the_general_path():
    y_pred = ops.convert_to_tensor(np.eye(3, dtype=np.float32)[None, :2])   # (1, 2, 3)
    assert am._sparse_categorical_accuracy_2d(np.array([[0, 2]]), y_pred) is None
    got = am.sparse_categorical_accuracy(np.array([[0, 2]]), y_pred)
    np.testing.assert_array_equal(ops.convert_to_numpy(got), [[1, 0]])
