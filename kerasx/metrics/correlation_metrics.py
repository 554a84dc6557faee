"""Correlation metrics: `PearsonCorrelation`, `ConcordanceCorrelation` and their functions.

Each function returns one coefficient per slice along `axis` (per sample for
the default `axis=-1`); the metric classes average those values over every
sample seen, as `MeanMetricWrapper` does.
"""

from kerasx import ops
from kerasx.autodiff.tensor import TensorOps
from kerasx.config import epsilon
from kerasx.losses.loss import squeeze_or_expand_to_same_rank
from kerasx.metrics.reduction_metrics import MeanMetricWrapper


def _pair(y_true, y_pred):
    y_pred = y_pred if isinstance(y_pred, TensorOps) else ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true if isinstance(y_true, TensorOps) else ops.convert_to_tensor(y_true),
                      y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def pearson_correlation(y_true, y_pred, axis=-1):
    """The Pearson correlation coefficient of labels and predictions along `axis`.

    `mean(z(y_true) * z(y_pred))`, where `z` centres a slice on its mean and
    divides by its (population) standard deviation: 1 for a perfect positive
    linear relation, -1 for a negative one. A constant slice gives NaN.

    Args:
        y_true: the targets.
        y_pred: the predictions, of the same shape.
        axis: the axis (or tuple of axes) along which the coefficient is taken.

    Returns:
        The coefficients, with `axis` reduced away.

    Example:

        pearson_correlation([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        # [1.0, 0.9934]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    axis = _axis(axis)
    true_dev = y_true - ops.mean(y_true, axis=axis, keepdims=True)
    pred_dev = y_pred - ops.mean(y_pred, axis=axis, keepdims=True)
    return ops.mean(_standardized(true_dev, axis) * _standardized(pred_dev, axis), axis=axis)


def _standardized(dev, axis):
    """`dev / std(dev)`: NaN for a constant slice, without the 0 / 0 of a division
    (which NumPy warns about)."""
    std = ops.std(dev, axis=axis, keepdims=True)
    return dev / ops.where(std > 0, std, float("nan"))


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient of labels and predictions along `axis`.

    `2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))^2 + epsilon)`: like
    Pearson's coefficient, but also penalizing predictions that are shifted or
    scaled away from the labels (1 only when `y_pred == y_true`).

    Args:
        y_true: the targets.
        y_pred: the predictions, of the same shape.
        axis: the axis (or tuple of axes) along which the coefficient is taken.

    Returns:
        The coefficients, with `axis` reduced away.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    axis = _axis(axis)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    norm = (ops.var(y_true, axis=axis, keepdims=True) + ops.var(y_pred, axis=axis, keepdims=True)
            + ops.square(true_mean - pred_mean))
    covar = (y_true - true_mean) * (y_pred - pred_mean)
    return ops.mean(2.0 * covar / (norm + epsilon()), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The Pearson correlation coefficient, averaged over the samples seen.

    `update_state` computes `pearson_correlation(y_true, y_pred, axis)` (one
    value per sample for `axis=-1`) and adds those values, weighted by
    `sample_weight`, to a running mean.

    Args:
        name, dtype: as for every metric.
        axis: the axis (or tuple of axes) along which each coefficient is taken.

    Example:

        model.compile(optimizer="sgd", loss="mse", metrics=["pearson_correlation"])
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=_axis(axis))
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Lin's concordance correlation coefficient, averaged over the samples seen.

    `update_state` computes `concordance_correlation(y_true, y_pred, axis)`
    and adds the values, weighted by `sample_weight`, to a running mean.

    Args:
        name, dtype: as for every metric.
        axis: the axis (or tuple of axes) along which each coefficient is taken.
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=_axis(axis))
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
