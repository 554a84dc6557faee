"""F-scores: `FBetaScore` and `F1Score`, per class or averaged."""

from kerasx import ops
from kerasx.autodiff.tensor import TensorOps, value_of
from kerasx.config import epsilon
from kerasx.metrics.metric import Metric


def _t(x, dtype):
    if isinstance(x, TensorOps):
        return ops.cast(x, dtype)
    return ops.convert_to_tensor(x, dtype=dtype)


class FBetaScore(Metric):
    """The F-beta score, `(1 + beta^2) P R / (beta^2 P + R)`, of multi-label predictions.

    Args:
        average: None (one score per class), `"micro"` (counts pooled over
            classes), `"macro"` (unweighted mean of class scores) or
            `"weighted"` (mean weighted by each class's number of positives).
        beta: the weight of recall relative to precision (a float > 0).
        threshold: predictions above it count as positive; None marks the
            highest-scoring class of each row (single-label use).
        name, dtype: as for every metric.

    Inputs are 2-D, `(batch, classes)`: binary labels and scores.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta!r} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify "
                    f"0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={pred_shape} and y_true.shape={true_shape}."
            )
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim), with "
                "output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={pred_shape} and y_true.shape={true_shape}."
            )
        shape = () if self.average == "micro" else (pred_shape[-1],)
        self.true_positives = self.add_variable(shape, dtype=self.dtype, name="true_positives")
        self.false_positives = self.add_variable(shape, dtype=self.dtype, name="false_positives")
        self.false_negatives = self.add_variable(shape, dtype=self.dtype, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, dtype=self.dtype,
                                                      name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _t(y_true, self.dtype)
        y_pred = _t(y_pred, self.dtype)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            # abs > tiny, not != 0, so an all-zero row marks nothing
            positive = ops.logical_and(ops.greater_equal(y_pred, top),
                                       ops.greater(ops.abs(y_pred), 1e-9))
        else:
            positive = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(positive, self.dtype)
        weight = None
        if sample_weight is not None:
            weight = ops.expand_dims(_t(sample_weight, self.dtype), 1)

        def weighted_sum(v):
            if weight is not None:
                v = v * weight
            return value_of(ops.sum(v, axis=self.axis))

        self.true_positives.assign(self.true_positives.value + weighted_sum(y_pred * y_true))
        self.false_positives.assign(self.false_positives.value
                                    + weighted_sum(y_pred * (1.0 - y_true)))
        self.false_negatives.assign(self.false_negatives.value
                                    + weighted_sum((1.0 - y_pred) * y_true))
        self.intermediate_weights.assign(self.intermediate_weights.value + weighted_sum(y_true))

    def result(self):
        if not self._built:
            return ops.convert_to_tensor(0.0, dtype=self.dtype)
        eps = epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        b2 = self.beta ** 2
        score = (precision * recall) / (b2 * precision + recall + eps) * (1.0 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (ops.sum(self.intermediate_weights) + eps)
            score = ops.sum(score * weights)
        elif self.average is not None:
            score = ops.mean(score)
        return score

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score, the harmonic mean of precision and recall (`FBetaScore` with beta=1).

    Args:
        average, threshold, name, dtype: as in `FBetaScore`.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
