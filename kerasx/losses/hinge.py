"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge."""

from kerasx import ops
from kerasx.losses.loss import Loss, LossFunctionWrapper, as_tensor


def _pm1_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; any other labels are used unchanged.

    The choice is made on the device (no host round trip), as Keras does.
    """
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _prepare(y_true, y_pred):
    y_pred = as_tensor(y_pred)
    return ops.cast(as_tensor(y_true), y_pred.dtype), y_pred


def hinge(y_true, y_pred):
    """Mean over the last axis of `max(1 - y_true * y_pred, 0)`; labels in {-1, 1} or {0, 1}."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _pm1_labels(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Mean over the last axis of `max(1 - y_true * y_pred, 0) ** 2`."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _pm1_labels(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)` with `pos` the score of the true class and `neg` the best other."""
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


class Hinge(LossFunctionWrapper):
    """Hinge loss (see `hinge`)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss (see `squared_hinge`)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss on one-hot labels (see `categorical_hinge`)."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)
