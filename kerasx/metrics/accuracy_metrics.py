"""Accuracy metrics: exact match, binary, categorical and sparse categorical."""

from kerasx import ops
from kerasx.metrics.reduction_metrics import MeanMetricWrapper


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, else 0.0."""
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.cast(ops.equal(y_true, y_pred), y_pred.dtype)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of `(y_pred > threshold) == y_true`."""
    y_true = ops.cast(y_true, y_pred.dtype)
    pred = ops.cast(ops.greater(y_pred, threshold), y_pred.dtype)
    return ops.mean(ops.cast(ops.equal(y_true, pred), y_pred.dtype), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """Whether the arg-max of one-hot `y_true` and of `y_pred` agree."""
    match = ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1))
    return ops.cast(match, y_pred.dtype)


def sparse_categorical_accuracy(y_true, y_pred):
    """Whether integer `y_true` equals the arg-max of `y_pred`."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    pred = ops.argmax(y_pred, axis=-1)
    match = ops.equal(ops.cast(y_true, pred.dtype), pred)
    return ops.cast(match, y_pred.dtype)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)
