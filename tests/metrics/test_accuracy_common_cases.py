"""Binary, categorical and sparse top-k accuracy run on raw arrays in the common case
(a computed prediction Tensor and a label array); each must agree with the general
tensor path it skips, and decline what that path alone handles."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.metrics import accuracy_metrics as am

NAN = float("nan")


def _declined(monkeypatch, name):
    monkeypatch.setattr(am, name, lambda *a, **k: None)


def _both(fn, fast_name, y_true, y_pred, monkeypatch, **kwargs):
    """`fn`'s result on the raw-array path (asserted taken) and on the general path."""
    taken = []
    real = getattr(am, fast_name)

    def spy(*args, **kw):
        out = real(*args, **kw)
        taken.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(am, fast_name, spy)
        fast = fn(y_true, y_pred, **kwargs)
    assert taken == [True], f"{fast_name} declined the common case"
    with monkeypatch.context() as m:
        _declined(m, fast_name)
        general = fn(y_true, y_pred, **kwargs)
    return fast, general


def _assert_same(fast, general):
    assert tuple(fast.shape) == tuple(general.shape)
    assert str(fast.dtype) == str(general.dtype) == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(fast), ops.convert_to_numpy(general))


def _native(a):
    return current().asarray(a)


_SCORES = np.array([0.1, 0.5, 0.50001, 0.9, NAN, 0.0, 1.0, 0.7], np.float32)
_LABELS = np.array([0, 0, 1, 1, 0, 1, 1, 0])


@pytest.mark.parametrize("true_shape,pred_shape", [((8,), (8, 1)), ((8, 1), (8,)),
                                                   ((8, 1), (8, 1)), ((8,), (8,))])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float64"])
@pytest.mark.parametrize("threshold", [0.5, 0.0])
def test_binary_accuracy_matches_the_general_path(true_shape, pred_shape, dtype, threshold,
                                                  monkeypatch):
    y_true = _native(_LABELS.astype(dtype).reshape(true_shape))
    y_pred = ops.convert_to_tensor(_SCORES.reshape(pred_shape))
    fast, general = _both(am.binary_accuracy, "_binary_accuracy_arrays", y_true, y_pred,
                          monkeypatch, threshold=threshold)
    _assert_same(fast, general)
    want = (_SCORES > threshold) == _LABELS.astype(bool)
    np.testing.assert_array_equal(ops.convert_to_numpy(fast).reshape(-1), want)


def test_binary_accuracy_multi_label_rows_and_declines(monkeypatch):
    scores = np.array([[0.2, 0.8, 0.6], [0.9, 0.1, NAN]], np.float32)
    labels = _native(np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], np.float32))
    fast, general = _both(am.binary_accuracy, "_binary_accuracy_arrays", labels,
                          ops.convert_to_tensor(scores), monkeypatch)
    _assert_same(fast, general)
    np.testing.assert_array_equal(ops.convert_to_numpy(fast), [[1, 1, 0], [1, 0, 1]])
    y_pred = ops.convert_to_tensor(scores)
    for labels in ([[0, 1, 0], [1, 1, 0]],                      # a list: the general path
                   _native(np.zeros((2, 1), np.float32)),        # broadcasting shapes
                   _native(np.zeros(3, np.float32))):            # a different batch
        assert am._binary_accuracy_arrays(labels, y_pred, 0.5) is None
    assert am._binary_accuracy_arrays(labels, scores, 0.5) is None   # scores not a Tensor


_ONE_HOT = np.eye(4, dtype=np.float32)[[0, 2, 1, 3, 3]]
_CLASS_SCORES = np.array([[.9, .1, 0, 0], [.2, .2, .6, 0], [.5, .5, 0, 0],   # a tie
                          [0, 1, 0, 0], [.3, .3, .3, .3]], np.float32)


def test_categorical_accuracy_matches_the_general_path(monkeypatch):
    calls = []
    real = am._batch_arrays
    monkeypatch.setattr(am, "_batch_arrays", lambda *a: calls.append(1) or real(*a))
    y_pred = ops.convert_to_tensor(_CLASS_SCORES)
    fast = am.categorical_accuracy(_native(_ONE_HOT), y_pred)
    assert calls == [1]
    monkeypatch.setattr(am, "_batch_arrays", lambda *a: None)
    general = am.categorical_accuracy(_native(_ONE_HOT), y_pred)
    _assert_same(fast, general)
    np.testing.assert_array_equal(ops.convert_to_numpy(fast), [1, 1, 0, 0, 0])


@pytest.mark.parametrize("labels", [np.array([0, 2, 1, 3, 3]), np.array([[0], [2], [1], [3], [3]]),
                                    np.array([0.0, 2.0, 1.0, 3.0, 3.0])],
                         ids=["ids", "column", "float ids"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_sparse_top_k_matches_the_general_path(labels, k, monkeypatch):
    if getattr(current().xp, "take_along_axis", None) is None:
        pytest.skip("this namespace has no take_along_axis: the general path runs")
    scores = _CLASS_SCORES.copy()
    scores[3, 3] = NAN            # NaN at the label: never in the top k
    scores[4, 0] = NAN            # NaN elsewhere: never larger than the label's score
    fast, general = _both(am.sparse_top_k_categorical_accuracy, "_sparse_top_k_arrays",
                          _native(labels), ops.convert_to_tensor(scores), monkeypatch, k=k)
    _assert_same(fast, general)
    # ranks: 1, 1, 1 (a tie ranks in the label's favour), last (a NaN at the label ranks
    # below every other score), 1 (a NaN elsewhere is never larger)
    want = [1, 1, 1, int(k == 4), 1]
    np.testing.assert_array_equal(ops.convert_to_numpy(fast).reshape(-1), want)


def test_sparse_top_k_ranks_by_strictly_larger_scores(monkeypatch):
    if getattr(current().xp, "take_along_axis", None) is None:
        pytest.skip("this namespace has no take_along_axis: the general path runs")
    scores = np.array([[0.1, 0.4, 0.3, 0.2], [0.4, 0.3, 0.3, 0.3]], np.float32)
    labels = _native(np.array([0, 2]))
    for k, want in ((1, [0, 0]), (2, [0, 1]), (3, [0, 1]), (4, [1, 1])):
        fast, general = _both(am.sparse_top_k_categorical_accuracy, "_sparse_top_k_arrays",
                              labels, ops.convert_to_tensor(scores), monkeypatch, k=k)
        _assert_same(fast, general)
        np.testing.assert_array_equal(ops.convert_to_numpy(fast), want)
    y_pred = ops.convert_to_tensor(scores)
    assert am._sparse_top_k_arrays(_native(np.zeros((2, 2))), y_pred, 1) is None  # 2 columns
    assert am._sparse_top_k_arrays([0, 2], y_pred, 1) is None                     # a list
