"""Overlap losses for segmentation: Dice and Tversky."""

from kerasx import ops
from kerasx.config import epsilon
from kerasx.losses.loss import Loss, LossFunctionWrapper, as_tensor


def dice(y_true, y_pred, axis=None):
    """`1 - 2 |y_true . y_pred| / (|y_true| + |y_pred| + eps)`, summed over `axis` (all if None)."""
    y_pred = as_tensor(y_pred)
    y_true = ops.cast(as_tensor(y_true), y_pred.dtype)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    total = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + epsilon()
    return 1.0 - 2.0 * intersection / total


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """`1 - TP / (TP + alpha FP + beta FN + eps)` with soft counts summed over `axis`."""
    y_pred = as_tensor(y_pred)
    y_true = ops.cast(as_tensor(y_true), y_pred.dtype)
    tp = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + epsilon())


class Dice(LossFunctionWrapper):
    """Dice loss (see `dice`).

    Args:
        axis: the axes summed over (None: all, one value for the whole batch).
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "axis": self.axis}


class Tversky(LossFunctionWrapper):
    """Tversky loss, a Dice loss with separate weights for false positives and negatives.

    Args:
        alpha: the weight of false positives.
        beta: the weight of false negatives.
        axis: the axes summed over (None: all).
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis

    def get_config(self):
        return {**Loss.get_config(self), "alpha": self.alpha, "beta": self.beta, "axis": self.axis}
