"""Probabilistic losses: cross-entropies (plain and focal), KL divergence, Poisson."""

from kerasx import ops
from kerasx.config import epsilon
from kerasx.losses.loss import Loss, LossFunctionWrapper, as_tensor, set_mask


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(
            f"`axis` must be an int, received axis={axis!r} of type {type(axis).__name__}.")


def _prepare(y_true, y_pred):
    y_pred = as_tensor(y_pred)
    y_true = ops.cast(as_tensor(y_true), y_pred.dtype)
    return y_true, y_pred


def _check_same_shape(name, y_true, y_pred, hint):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}. "
            f"{name} expects labels of the same shape as the predictions. {hint}"
        )


_ONE_HOT_HINT = ("For integer class ids use sparse_categorical_crossentropy, or one-hot encode "
                 "the labels with kerasx.utils.to_categorical.")


def _smooth_categorical(y_true, label_smoothing):
    if not label_smoothing:
        return y_true
    num_classes = float(y_true.shape[-1])
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _smooth_binary(y_true, label_smoothing):
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _activation_logits(y_pred, kind, axis=-1):
    """The pre-activation tensor when `y_pred` came straight from `kind` applied
    along the last axis, else None (then the probabilities are used, as given)."""
    remembered = getattr(y_pred, "logits", None)
    if remembered is None or remembered[0] != kind or axis % y_pred.ndim != y_pred.ndim - 1:
        return None
    return remembered[1]


def _clipped_log_probs(y_pred, axis):
    """log of `y_pred` renormalised to sum to 1 along `axis` and clipped to [eps, 1 - eps]."""
    probs = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.log(ops.clip(probs, epsilon(), 1.0 - epsilon()))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    Probabilities are renormalised along `axis` and clipped to `[eps, 1 - eps]`
    as in Keras. When `y_pred` came straight from a softmax over the last axis
    the loss is computed from its logits in one fused, numerically stable step.

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: probabilities (or logits with `from_logits=True`), same shape.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; mixes the labels with the uniform distribution.
        axis: the class axis.

    Returns:
        The per-sample losses, shape `y_pred.shape` without `axis`.
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _check_same_shape("categorical_crossentropy", y_true, y_pred, _ONE_HOT_HINT)
    y_true = _smooth_categorical(y_true, label_smoothing)
    logits = y_pred if from_logits else _activation_logits(y_pred, "softmax", axis)
    if logits is not None:
        return ops.softmax_cross_entropy(y_true, logits, sparse=False, axis=axis)
    return ops.negative(ops.sum(ops.multiply(y_true, _clipped_log_probs(y_pred, axis)), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy between integer class ids and predicted class probabilities.

    Args:
        y_true: class ids, shape `(batch, ...)` (or with a trailing 1).
        y_pred: probabilities (or logits), shape `(batch, ..., num_classes)`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label value whose entries contribute no loss; the
            result carries a mask so an averaging reduction divides by the
            number of other entries only.
        axis: the class axis.

    Returns:
        The per-sample losses, shape `y_true.shape`. Ids outside
        `[0, num_classes)` on the device give 0, as in Keras (host arrays
        are rejected up front with an explanation).
    """
    _check_axis(axis)
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true)
    ax = axis % y_pred.ndim
    if y_true.ndim == y_pred.ndim and y_true.shape[ax] == 1:
        y_true = ops.squeeze(y_true, axis=ax)
    _check_sparse_shape(tuple(y_true.shape), tuple(y_pred.shape), ax)
    logits = y_pred if from_logits else _activation_logits(y_pred, "softmax", axis)
    if logits is not None and ignore_class is None:
        return ops.softmax_cross_entropy(y_true, logits, sparse=True, axis=ax,
                                         probs=None if from_logits else y_pred)
    labels = ops.cast(y_true, "int64")
    n = y_pred.shape[ax]
    valid = ops.logical_and(ops.greater_equal(labels, 0), ops.less(labels, n))
    kept = None
    if ignore_class is not None:
        kept = ops.not_equal(labels, int(ignore_class))
        valid = ops.logical_and(valid, kept)
    labels = ops.where(valid, labels, 0)
    if logits is not None:
        out = ops.softmax_cross_entropy(labels, logits, sparse=True, axis=ax)
    else:
        log_probs = _clipped_log_probs(y_pred, ax)
        picked = ops.take_along_axis(log_probs, ops.expand_dims(labels, ax), axis=ax)
        out = ops.negative(ops.squeeze(picked, axis=ax))
    out = ops.where(valid, out, ops.zeros_like(out))
    if kept is not None:
        out = set_mask(out, kept)
    return out


def _check_sparse_shape(true_shape, pred_shape, ax):
    expected = pred_shape[:ax] + pred_shape[ax + 1:]
    if true_shape == expected:
        return
    if true_shape == pred_shape:
        raise ValueError(
            f"sparse_categorical_crossentropy expects integer class ids of shape {expected}, but "
            f"received labels of shape {true_shape}, the shape of the predictions: they look "
            "one-hot encoded. Use loss='categorical_crossentropy' for one-hot labels, or pass "
            "the class ids (y.argmax(axis=-1))."
        )
    raise ValueError(
        f"sparse_categorical_crossentropy expects integer class ids of shape {expected} for "
        f"predictions of shape {pred_shape}, but received labels of shape {true_shape}."
    )


def _check_sparse_labels(y, y_pred_shape, ignore_class=None, axis=-1, **_):
    if not y_pred_shape or y.dtype.kind not in "iuf":
        return
    n = y_pred_shape[axis]
    values = y if ignore_class is None else y[y != ignore_class]
    if values.size and (values.min() < 0 or values.max() >= n):
        bad = values.max() if values.max() >= n else values.min()
        raise ValueError(
            f"Received a label value of {bad}, outside the valid range [0, {n - 1}] for "
            f"predictions with {n} classes. Check the labels, make the last layer output "
            f"{int(values.max()) + 1} classes, or set ignore_class for a padding label."
        )


sparse_categorical_crossentropy._check_labels = _check_sparse_labels
sparse_categorical_crossentropy._takes_class_ids = True


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over `axis`.

    Probabilities are clipped to `[eps, 1 - eps]`; when `y_pred` came straight
    from a sigmoid the loss is computed from its logits, stably.

    Args:
        y_true: labels in [0, 1], the shape of `y_pred`.
        y_pred: probabilities (or logits with `from_logits=True`).
        from_logits: whether `y_pred` holds logits.
        label_smoothing: squeezes the labels towards 0.5.
        axis: the axis averaged over.
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred,
                      "Give one label per output unit (use Dense(1, 'sigmoid') for one label per "
                      "sample), or use sparse_categorical_crossentropy for class ids.")
    y_true = _smooth_binary(y_true, label_smoothing)
    logits = y_pred if from_logits else _activation_logits(y_pred, "sigmoid")
    if logits is not None:
        elementwise = ops.sigmoid_cross_entropy(y_true, logits)
    else:
        elementwise = _clipped_bce(y_true, y_pred)
    return ops.mean(elementwise, axis=axis)


def _clipped_bce(y_true, p):
    p = ops.clip(p, epsilon(), 1.0 - epsilon())
    return ops.negative(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))


def _check_binary_labels(y, y_pred_shape, **_):
    if y.size == 0 or y.dtype.kind not in "iufb":
        return
    if y.ndim == len(y_pred_shape) and tuple(y.shape) != tuple(y_pred_shape):
        return  # the shape check reports this case
    low, high = float(y.min()), float(y.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"Binary cross-entropy expects labels in [0, 1], but received values from {low} to "
            f"{high}. For several classes use sparse_categorical_crossentropy (integer ids) or "
            "categorical_crossentropy (one-hot); for labels in {-1, 1} use hinge."
        )


binary_crossentropy._check_labels = _check_binary_labels


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by `(1 - p_t) ** gamma`, which focuses on hard examples.

    Args:
        y_true, y_pred: as in `binary_crossentropy`.
        apply_class_balancing: weight positives by `alpha`, negatives by `1 - alpha`.
        alpha: the class-balancing weight.
        gamma: the focusing parameter (0 gives plain binary cross-entropy).
        from_logits, label_smoothing, axis: as in `binary_crossentropy`.
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _check_same_shape("binary_focal_crossentropy", y_true, y_pred,
                      "Give one label per output unit.")
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _clipped_bce(y_true, y_pred)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


binary_focal_crossentropy._check_labels = _check_binary_labels


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy scaled by `alpha * (1 - p) ** gamma` per class.

    Args:
        y_true, y_pred, from_logits, label_smoothing, axis: as in `categorical_crossentropy`.
        alpha: the weighting factor.
        gamma: the focusing parameter.
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _check_same_shape("categorical_focal_crossentropy", y_true, y_pred, _ONE_HOT_HINT)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    probs = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    probs = ops.clip(probs, epsilon(), 1.0 - epsilon())
    cce = ops.negative(y_true * ops.log(probs))
    weight = ops.power(1.0 - probs, gamma) * alpha
    return ops.sum(weight * cce, axis=axis)


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred))` over the last axis, both clipped to [eps, 1]."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = ops.clip(y_true, epsilon(), 1.0)
    y_pred = ops.clip(y_pred, epsilon(), 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + eps))` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + epsilon()), axis=-1)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """`(1 - p ** q) / q` with `p` the predicted probability of the true (integer) class."""
    y_pred = as_tensor(y_pred)
    labels = ops.cast(as_tensor(y_true), "int64")
    if len(labels.shape) == len(y_pred.shape) and labels.shape[-1] == y_pred.shape[-1] != 1:
        raise ValueError(
            f"categorical_generalized_cross_entropy expects integer class ids of shape "
            f"{tuple(y_pred.shape[:-1])}, but received labels of shape {tuple(labels.shape)}, "
            "the shape of the predictions: they look one-hot encoded. Pass the class ids "
            "(y.argmax(axis=-1)).")
    onehot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = ops.sum(y_pred * onehot, axis=-1)
    return (1.0 - ops.power(p, q)) / q


# -- classes ----------------------------------------------------------------------------


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy (see `binary_crossentropy`)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal cross-entropy (see `binary_focal_crossentropy`)."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy on one-hot labels (see `categorical_crossentropy`)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal cross-entropy (see `categorical_focal_crossentropy`)."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.alpha, self.gamma = alpha, gamma

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "alpha": self.alpha, "gamma": self.gamma}


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy on integer labels (see `sparse_categorical_crossentropy`)."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits, self.ignore_class = from_logits, ignore_class

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class}


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence (see `kl_divergence`)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Poisson(LossFunctionWrapper):
    """Poisson loss (see `poisson`)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy for noisy labels (see `categorical_generalized_cross_entropy`).

    Args:
        q: in (0, 1); towards 0 it behaves like cross-entropy, towards 1 like MAE.
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(
                f"CategoricalGeneralizedCrossEntropy: q must be in (0, 1), received q={q}.")
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, q=q)
        self.q = q

    def get_config(self):
        return {**Loss.get_config(self), "q": self.q}
