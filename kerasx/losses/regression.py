"""Regression losses: mean squared and mean absolute error."""

from kerasx import ops
from kerasx.losses.loss import LossFunctionWrapper


def mean_squared_error(y_true, y_pred):
    """Mean of `(y_true - y_pred) ** 2` over the last axis."""
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.mean(ops.square(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean of `|y_true - y_pred|` over the last axis."""
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)
