"""Accuracy metrics: exact match, binary, categorical, sparse categorical and top-k."""

import math

from kerasx import ops
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.backends import current
from kerasx.backends.base import dtype_name
from kerasx.config import floatx
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.losses.loss import squeeze_or_expand_to_same_rank
from kerasx.metrics.reduction_metrics import MeanMetricWrapper


def _t(x, dtype=None):
    if isinstance(x, TensorOps):
        return x if dtype is None else ops.cast(x, dtype)
    return ops.convert_to_tensor(x, dtype=dtype)


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, else 0.0 (elementwise)."""
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold)` equals the 0/1 label, elementwise."""
    common = _binary_accuracy_arrays(y_true, y_pred, threshold)
    if common is not None:
        return common
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if dtype_name(y_pred.dtype) == "bool":
        y_pred = ops.cast(y_pred, floatx())  # boolean predictions read as 0 / 1
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.cast(ops.equal(y_true, y_pred), floatx())


def categorical_accuracy(y_true, y_pred):
    """Whether the arg-max of one-hot `y_true` and of `y_pred` agree (first maximum wins)."""
    pair = _batch_arrays(y_true, y_pred, 2)
    if pair is not None and pair[1].shape == pair[2].shape:
        backend, labels, scores = pair
        xp = backend.xp
        same = xp.argmax(labels, axis=-1) == xp.argmax(scores, axis=-1)
        return Tensor(xp.astype(same, backend.dtype(floatx())))
    y_pred = _t(y_pred)
    labels = ops.argmax(_t(y_true), axis=-1)
    shape = tuple(labels.shape)
    if labels.ndim == y_pred.ndim:
        labels = ops.squeeze(labels, axis=-1)
    matches = ops.cast(ops.equal(labels, ops.argmax(y_pred, axis=-1)), floatx())
    return ops.reshape(matches, shape) if tuple(matches.shape) != shape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """Whether integer `y_true` equals the arg-max of `y_pred`."""
    common = _sparse_categorical_accuracy_2d(y_true, y_pred)
    if common is not None:
        return common
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype)
    shape = tuple(y_true.shape)
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
        reshape = True
    pred = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    matches = ops.cast(ops.equal(y_true, pred), floatx())
    if reshape:
        matches = ops.reshape(matches, shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = ops.squeeze(matches, axis=-1)
    return matches


def _batch_arrays(y_true, y_pred, score_ndim, convert_labels=False):
    """`(backend, labels, scores)` as backend arrays for the accuracy metrics' common
    case, on raw arrays (these run on every training batch, and a tensor per op costs
    more than the comparison): `y_pred` a computed Tensor of rank `score_ndim` (a tuple
    of ranks allowed) and `y_true` a Tensor or backend array (any array-like with
    `convert_labels`) of rank 1 or 2 with as many samples. None for anything else
    (placeholders, other shapes), which takes the general path."""
    if not isinstance(y_pred, TensorOps) or isinstance(y_true, KerasTensor):
        return None
    backend = current()
    scores = y_pred.value
    labels = value_of(y_true) if isinstance(y_true, TensorOps) else y_true
    if convert_labels and not backend.is_native(labels):
        labels = backend.asarray(labels)
    if not backend.is_native(scores) or not backend.is_native(labels):
        return None
    ranks = score_ndim if isinstance(score_ndim, tuple) else (score_ndim,)
    if scores.ndim not in ranks or labels.ndim not in (1, 2) \
            or labels.shape[0] != scores.shape[0]:
        return None
    return backend, labels, scores


def _class_id_arrays(y_true, y_pred, convert_labels=False):
    """`(backend, ids, scores)` for `(batch,)` or `(batch, 1)` class ids (returned as
    `(batch,)`) against `(batch, classes)` scores, or None (`_batch_arrays`)."""
    pair = _batch_arrays(y_true, y_pred, 2, convert_labels)
    if pair is None or pair[1].ndim == 2 and pair[1].shape[1] != 1:
        return None
    backend, labels, scores = pair
    return backend, backend.xp.reshape(labels, (labels.shape[0],)), scores


def _binary_accuracy_arrays(y_true, y_pred, threshold):
    """`binary_accuracy` for `(batch,)` or `(batch, 1)` labels and scores (the ranks
    made equal as `squeeze_or_expand_to_same_rank` makes them), on raw arrays; None
    for any other case."""
    pair = _batch_arrays(y_true, y_pred, (1, 2))
    if pair is None:
        return None
    backend, labels, scores = pair
    xp = backend.xp
    if labels.ndim != scores.ndim:  # the rank-1 side gains the trailing axis
        if labels.ndim == 1 and scores.shape[-1] == 1:
            labels = xp.reshape(labels, (labels.shape[0], 1))
        elif scores.ndim == 1 and labels.shape[-1] == 1:
            scores = xp.reshape(scores, (scores.shape[0], 1))
        else:
            return None
    if labels.shape != scores.shape:
        return None
    if backend.isdtype(scores.dtype, "bool"):
        scores = xp.astype(scores, backend.dtype(floatx()))  # boolean predictions read as 0 / 1
    predicted = xp.astype(scores > threshold, labels.dtype)
    return Tensor(xp.astype(labels == predicted, backend.dtype(floatx())))


def _sparse_top_k_arrays(y_true, y_pred, k):
    """`sparse_top_k_categorical_accuracy` (class-id labels) for `(batch,)` or
    `(batch, 1)` labels against `(batch, classes)` scores, on raw arrays, with the
    same steps as `in_top_k`; None for any other case, or a namespace without
    `take_along_axis`."""
    found = _class_id_arrays(y_true, y_pred)
    if found is None:
        return None
    backend, labels, scores = found
    xp = backend.xp
    take_along_axis = getattr(xp, "take_along_axis", None)
    if take_along_axis is None:
        return None
    index = backend.dtype("int64")
    ids = xp.astype(xp.reshape(labels, (labels.shape[0], 1)), index)
    at_label = take_along_axis(scores, ids, axis=-1)
    at_label = xp.where(xp.isnan(at_label), -math.inf, at_label)
    larger = xp.sum(xp.astype(scores > at_label, index), axis=-1)
    matches = xp.astype(larger < k, backend.dtype(floatx()))
    shape = tuple(value_of(y_true).shape)  # the labels' own shape, (batch,) or (batch, 1)
    return Tensor(xp.reshape(matches, shape) if len(shape) > 1 else matches)


def _sparse_categorical_accuracy_2d(y_true, y_pred):
    """The common case, `(batch,)` or `(batch, 1)` labels against `(batch, classes)`
    scores, on raw arrays: the same comparison without a tensor per step
    (this runs on every training batch). None for any other case."""
    found = _class_id_arrays(y_true, y_pred, convert_labels=True)
    if found is None:
        return None
    backend, labels, scores = found
    xp = backend.xp
    ids = xp.argmax(scores, axis=-1)
    if labels.dtype != ids.dtype:  # compared as floats, as Keras does (class ids need not)
        ids = xp.astype(ids, scores.dtype)
        labels = xp.astype(labels, scores.dtype)
    return Tensor(xp.astype(labels == ids, backend.dtype(floatx())))


def _check_k(k, name):
    # k may exceed the number of classes: every prediction then counts (as in Keras)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{name}: k must be a positive integer, received k={k!r}.")


def in_top_k(targets, predictions, k):
    """Whether each target id is among the `k` largest predictions (ties count in its favour).

    The rank of a target is one plus the number of strictly larger scores, so
    tied scores never push the target out; a NaN score at the target never counts.
    """
    labels = ops.expand_dims(ops.cast(targets, "int64"), -1)
    at_label = ops.take_along_axis(predictions, labels, axis=-1)
    at_label = ops.where(ops.isnan(at_label), float("-inf"), at_label)
    larger = ops.sum(ops.cast(ops.greater(predictions, at_label), "int64"), axis=-1)
    return ops.less(larger, k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the true class (arg-max of one-hot `y_true`) is among the top `k` predictions."""
    y_pred = _t(y_pred)
    _check_k(k, "top_k_categorical_accuracy")
    labels = ops.argmax(_t(y_true, y_pred.dtype), axis=-1)
    shape = tuple(labels.shape)
    if y_pred.ndim > 2:
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[-1]))
    if labels.ndim > 1:
        labels = ops.reshape(labels, (-1,))
    matches = ops.cast(in_top_k(labels, y_pred, k), floatx())
    return ops.reshape(matches, shape) if len(shape) > 1 else matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Whether integer `y_true` is among the top `k` predictions.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score
    (best first) instead of scores.
    """
    y_pred = _t(y_pred)
    if not from_sorted_ids:
        _check_k(k, "sparse_top_k_categorical_accuracy")
        if y_pred.shape[-1] is not None and k > y_pred.shape[-1]:
            # every class is in the top k, so every label counts (Keras's rank rule gives
            # this for any score, NaN included), without reading the labels
            return ops.ones(tuple(_t(y_true).shape), floatx())
        common = _sparse_top_k_arrays(y_true, y_pred, k)
        if common is not None:
            return common
    y_true = _t(y_true, y_pred.dtype if from_sorted_ids else "int64")
    shape = tuple(y_true.shape)
    if y_pred.ndim > 2:
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        y_true = ops.reshape(y_true, (-1,))
    if from_sorted_ids:
        ids = y_pred.shape[-1]
        top = y_pred[:, :k if ids is None else min(k, ids)]  # k may exceed the ids given
        matches = ops.any(ops.equal(ops.expand_dims(y_true, 1), top), axis=1)
    else:
        matches = in_top_k(y_true, y_pred, k)
    matches = ops.cast(matches, floatx())
    return ops.reshape(matches, shape) if len(shape) > 1 else matches


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches the binary label.

    Args:
        threshold: the decision threshold on the predicted probability.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (arg-max) matches the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (arg-max) matches the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the `k` highest predictions.

    Args:
        k: how many top predictions count (must not exceed the number of classes).
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions.

    Args:
        k: how many top predictions count (must not exceed the number of classes).
        from_sorted_ids: `y_pred` holds class ids sorted by score instead of scores.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
