"""Cross-entropy losses: categorical, sparse categorical and binary."""

from kerasx import ops
from kerasx.config import epsilon
from kerasx.losses.loss import LossFunctionWrapper


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    When `y_pred` came straight from a softmax, the loss is computed from its
    logits in one fused, numerically stable step.
    """
    y_true = ops.cast(y_true, y_pred.dtype)
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    logits = y_pred if from_logits else _activation_logits(y_pred, "softmax", axis)
    if logits is not None:
        return ops.softmax_cross_entropy(y_true, logits, sparse=False, axis=axis)
    probs = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    probs = ops.clip(probs, epsilon(), 1.0 - epsilon())
    return ops.negative(ops.sum(ops.multiply(y_true, ops.log(probs)), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy between integer class ids and predicted class probabilities."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(y_true, ignore_class)
        y_true = ops.where(valid, y_true, 0)
    logits = y_pred if from_logits else _activation_logits(y_pred, "softmax", axis)
    if logits is not None:
        out = ops.softmax_cross_entropy(y_true, logits, sparse=True, axis=axis)
    else:
        probs = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
        probs = ops.clip(probs, epsilon(), 1.0 - epsilon())
        idx = ops.expand_dims(ops.cast(y_true, "int64"), axis)
        out = ops.negative(ops.squeeze(ops.take_along_axis(ops.log(probs), idx, axis=axis), axis=axis))
    if valid is not None:
        out = ops.where(valid, out, 0.0)
    return out


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean binary cross-entropy over the last axis."""
    y_true = ops.cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else _activation_logits(y_pred, "sigmoid")
    if logits is not None:
        elementwise = ops.sigmoid_cross_entropy(y_true, logits)
    else:
        p = ops.clip(y_pred, epsilon(), 1.0 - epsilon())
        elementwise = ops.negative(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(elementwise, axis=axis)


def _activation_logits(y_pred, kind, axis=-1):
    """The pre-activation tensor when `y_pred` came straight from `kind` applied
    along `axis`, else None."""
    remembered = getattr(y_pred, "logits", None)
    if remembered is None or remembered[0] != kind or axis % y_pred.ndim != y_pred.ndim - 1:
        return None
    return remembered[1]


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None, axis=-1):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
