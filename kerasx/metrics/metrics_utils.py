"""Confusion-matrix counting shared by the threshold metrics, and `confusion_matrix`."""

import enum
import functools

from kerasx.autodiff.tensor import Tensor, value_of
from kerasx.backends import current
from kerasx.backends.base import dtype_name

NEG_INF = -1e10
CONDITIONS = ("tp", "fp", "tn", "fn")


class AUCCurve(str, enum.Enum):
    """The curves `AUC` integrates (members compare equal to their names)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"


class AUCSummationMethod(str, enum.Enum):
    """How `AUC` sums the area between thresholds (members equal their lower-case names)."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """`thresholds` as a list of floats in [0, 1] (`[default_threshold]` for None)."""
    if thresholds is None:
        return [default_threshold]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    bad = [t for t in values if t is None or not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}.")
    return [float(t) for t in values]


def is_evenly_distributed_thresholds(thresholds):
    """True for thresholds `i / (n - 1)`, i = 0..n-1 (n >= 3), up to epsilon: they allow
    counting by buckets instead of comparing every prediction with every threshold."""
    from kerasx.config import epsilon

    n = len(thresholds)
    if n < 3:
        return False
    return all(abs(float(t) - i / (n - 1)) <= epsilon() + 1e-5 * (i / (n - 1))
               for i, t in enumerate(thresholds))


def _array(x, backend, dtype):
    x = value_of(x)
    if backend.is_native(x):
        return x if x.dtype == dtype else backend.xp.astype(x, dtype)
    return backend.asarray(x, dtype=dtype)


def _same_rank(xp, a, b, expand_rank_1=True):
    """`squeeze_or_expand_to_same_rank` on backend arrays."""
    ra, rb = a.ndim, b.ndim
    if ra == rb + 1 and a.shape[-1] == 1:
        if rb == 1 and expand_rank_1:
            b = xp.expand_dims(b, axis=-1)
        else:
            a = xp.squeeze(a, axis=-1)
    elif rb == ra + 1 and b.shape[-1] == 1:
        if ra == 1 and expand_rank_1:
            a = xp.expand_dims(a, axis=-1)
        else:
            b = xp.squeeze(b, axis=-1)
    return a, b


def filter_top_k(xp, x, k):
    """Keeps the `k` largest entries of each row of `x`, setting the rest to `NEG_INF`."""
    n = x.shape[-1]
    if k > n:
        raise ValueError(f"top_k={k} is larger than the number of classes ({n}) in y_pred.")
    idx = xp.argsort(x, axis=-1, descending=True, stable=True)[..., :k]
    arange = xp.arange(n, dtype=idx.dtype, device=current().device)
    keep = xp.any(xp.expand_dims(idx, axis=-1) == arange, axis=-2)
    return xp.where(keep, x, xp.asarray(NEG_INF, dtype=x.dtype, device=current().device))


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds, top_k=None,
                                      class_id=None, sample_weight=None, multi_label=False,
                                      label_weights=None, thresholds_distributed_evenly=False):
    """Adds the (weighted) confusion counts of one batch at each threshold.

    Args:
        variables_to_update: a dict from `"tp"`, `"fp"`, `"tn"`, `"fn"` to the
            Variables (shape `(num_thresholds,)`, or `(num_thresholds, labels)`
            with `multi_label`) that accumulate those counts.
        y_true: labels; any non-zero value counts as positive.
        y_pred: scores; an entry is positive at a threshold it exceeds.
        thresholds: the list of thresholds.
        top_k: only the `top_k` highest scores of each row can be positive.
        class_id: count only this column.
        sample_weight: per-sample or broadcastable weights.
        multi_label: keep the label axis (one curve per label).
        label_weights: per-label weights (not with `multi_label`).
        thresholds_distributed_evenly: thresholds are `i / (n - 1)` (perhaps
            with the end points moved by epsilon): count by buckets, which
            costs a sort instead of a comparison per threshold.
    """
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multi-label data must be applied outside "
                         "update_confusion_matrix_variables when `multi_label` is True.")
    invalid = [k for k in variables_to_update if k not in CONDITIONS]
    if invalid or not variables_to_update:
        raise ValueError(f"Invalid confusion matrix keys {invalid}; expected some of {CONDITIONS}.")
    backend = current()
    xp = backend.xp
    first = next(iter(variables_to_update.values()))
    dtype = first.value.dtype
    y_true = _array(y_true, backend, dtype)
    y_pred = _array(y_pred, backend, dtype)
    y_pred, y_true = _same_rank(xp, y_pred, y_true)
    if sample_weight is not None:
        sample_weight = xp.expand_dims(_array(sample_weight, backend, dtype), axis=-1)
        _, sample_weight = _same_rank(xp, y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(xp, y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id:class_id + 1]
        y_pred = y_pred[..., class_id:class_id + 1]
    if label_weights is not None:
        label_weights = _array(label_weights, backend, dtype)
    if thresholds_distributed_evenly:
        with_eps = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        counts = _bucket_counts(xp, backend, y_true, y_pred, len(thresholds), multi_label,
                                sample_weight, label_weights, with_eps)
    else:
        counts = _threshold_counts(xp, backend, y_true, y_pred, thresholds, multi_label,
                                   sample_weight, label_weights, variables_to_update)
    for key, var in variables_to_update.items():
        var.assign(var.value + counts[key])


def _weights(xp, y_pred, sample_weight, label_weights, flatten):
    weights = None
    if sample_weight is not None:
        weights = xp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        lw = xp.broadcast_to(xp.expand_dims(label_weights, axis=0), y_pred.shape)
        weights = lw if weights is None else weights * lw
    if weights is not None and flatten:
        weights = xp.reshape(weights, (-1,))
    return weights


def _threshold_counts(xp, backend, y_true, y_pred, thresholds, multi_label, sample_weight,
                      label_weights, wanted):
    """Counts by comparing each score with each threshold: (T, N[, L]) work; only the
    counts named in `wanted` (`Precision` needs two of the four)."""
    dtype = y_pred.dtype
    thr = _threshold_array(backend, tuple(thresholds), dtype_name(dtype))
    if multi_label:
        preds, labels = y_pred[None, ...], y_true[None, ...] != 0
        thr = xp.reshape(thr, (-1,) + (1,) * y_pred.ndim)
    else:
        preds = xp.reshape(y_pred, (1, -1))
        labels = xp.reshape(y_true, (1, -1)) != 0
        thr = xp.reshape(thr, (-1, 1))
    weights = _weights(xp, y_pred, sample_weight, label_weights, flatten=not multi_label)
    if weights is not None:
        weights = weights[None, ...]
    pred_pos = preds > thr

    def count(key):
        label = labels if key in ("tp", "fn") else xp.logical_not(labels)
        pred = pred_pos if key in ("tp", "fp") else xp.logical_not(pred_pos)
        hit = xp.logical_and(label, pred)
        values = xp.astype(hit, dtype) if weights is None else xp.where(hit, weights, 0.0)
        return xp.sum(values, axis=1)

    return {key: count(key) for key in wanted}


@functools.lru_cache(maxsize=64)
def _threshold_array(backend, thresholds, dtype):
    """The thresholds as a backend array, made once: building it from the list cost
    every update 2.5 us (of 18 for `Precision` at batch 64). Ops only read it."""
    return backend.asarray([float(t) for t in thresholds], dtype=dtype)


def _bucket_counts(xp, backend, y_true, y_pred, num_thresholds, multi_label, sample_weight,
                   label_weights, with_eps):
    """Counts for evenly spaced thresholds: each score falls in the bucket
    `ceil(score * (T - 1)) - 1` and counts at every threshold up to it."""
    dtype = y_pred.dtype
    weights = _weights(xp, y_pred, sample_weight, label_weights, flatten=not multi_label)
    y_pred = xp.clip(y_pred, 0.0, 1.0)
    y_true = xp.astype(y_true != 0, dtype)
    if not multi_label:
        y_true = xp.reshape(y_true, (-1,))
        y_pred = xp.reshape(y_pred, (-1,))
    true_labels = y_true if weights is None else y_true * weights
    false_labels = (1.0 - y_true) if weights is None else (1.0 - y_true) * weights
    bucket = xp.ceil(y_pred * float(num_thresholds - 1)) - 1.0
    if with_eps:
        bucket = xp.maximum(bucket, 0.0)
    # a NaN score's bucket is -1 (it counts at no threshold) before the integer cast,
    # which NaN would make undefined (and NumPy warn)
    bucket = xp.where(bucket >= 0.0, bucket, -1.0)
    # shift in [0, T - 1]: a score counts at threshold i when shift >= i + 1
    shift = xp.astype(bucket, backend.dtype("int64")) + 1
    tp = _suffix_counts(xp, backend, shift, true_labels, num_thresholds)
    fp = _suffix_counts(xp, backend, shift, false_labels, num_thresholds)
    total_true = xp.sum(true_labels, axis=0)
    total_false = xp.sum(false_labels, axis=0)
    return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}


def _suffix_counts(xp, backend, shift, weights, num_thresholds):
    """`out[i(, l)] = sum of weights[n(, l)] with shift[n(, l)] > i`, by one sort.

    Every (sample, label) gets the key `label * T + shift`; with the keys
    sorted, each count is a difference of two prefix sums found by binary
    search. The prefix sums run in float64 so large batches lose no counts.
    """
    T = num_thresholds
    fast = backend.kernel("threshold_suffix_counts")
    if fast is not None and shift.ndim == 1:
        return fast(shift, weights, T)
    device = backend.device
    n_labels = shift.shape[1] if shift.ndim == 2 else 1
    keys = shift
    if shift.ndim == 2:
        keys = shift + xp.arange(n_labels, dtype=shift.dtype, device=device)[None, :] * T
    keys = xp.reshape(keys, (-1,))
    order = xp.argsort(keys)
    sorted_keys = xp.take(keys, order)
    acc = backend.dtype("float64")
    w = xp.take(xp.astype(xp.reshape(weights, (-1,)), acc), order)
    prefix = xp.cumulative_sum(w, include_initial=True)
    base = xp.arange(n_labels, dtype=keys.dtype, device=device)[:, None] * T
    lower = base + xp.arange(1, T + 1, dtype=keys.dtype, device=device)[None, :]
    upper = xp.broadcast_to(base + T, lower.shape)
    lo = xp.searchsorted(sorted_keys, xp.reshape(lower, (-1,)))
    hi = xp.searchsorted(sorted_keys, xp.reshape(upper, (-1,)))
    counts = xp.take(prefix, hi) - xp.take(prefix, lo)
    counts = xp.astype(xp.reshape(counts, (n_labels, T)), weights.dtype)
    return xp.permute_dims(counts, (1, 0)) if shift.ndim == 2 else counts[0, ...]


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int32"):
    """The confusion matrix of integer `labels` (rows) against `predictions` (columns).

    Args:
        labels: true class ids, shape `(n,)`.
        predictions: predicted class ids, shape `(n,)` (e.g. `argmax(y_pred, -1)`).
        num_classes: the size of the matrix.
        weights: optional per-sample weights added instead of 1.
        dtype: the dtype of the result (`"int32"`; a float type for fractional weights).

    Returns:
        A Tensor of shape `(num_classes, num_classes)` whose entry `[i, j]`
        counts the samples of class `i` predicted as `j`.

    Example:

        cm = kerasx.metrics.confusion_matrix(y_test, model.predict(x).argmax(-1), 10)
    """
    backend = current()
    xp = backend.xp
    num_classes = int(num_classes)
    index_t = backend.dtype("int64")
    lab = xp.reshape(_array(labels, backend, index_t), (-1,))
    pred = xp.reshape(_array(predictions, backend, index_t), (-1,))
    if lab.shape != pred.shape:
        raise ValueError(
            f"confusion_matrix: labels and predictions must have the same number of entries, "
            f"received {tuple(lab.shape)} and {tuple(pred.shape)}. Pass class ids, not "
            "probabilities (use argmax over the class axis)."
        )
    acc = backend.dtype("float64")
    classes = xp.arange(num_classes, dtype=index_t, device=backend.device)
    lab_hot = xp.astype(lab[:, None] == classes[None, :], acc)
    pred_hot = xp.astype(pred[:, None] == classes[None, :], acc)
    if weights is not None:
        w = xp.reshape(_array(weights, backend, backend.dtype(dtype)), (-1,))
        pred_hot = pred_hot * xp.astype(w, acc)[:, None]
    out = xp.matmul(xp.permute_dims(lab_hot, (1, 0)), pred_hot)
    target = backend.dtype(dtype)
    if xp.isdtype(target, "integral"):
        out = xp.round(out)
    return Tensor(xp.astype(out, target))


__all__ = ["confusion_matrix", "is_evenly_distributed_thresholds", "parse_init_thresholds",
           "update_confusion_matrix_variables"]
