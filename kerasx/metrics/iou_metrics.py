"""Intersection-over-Union metrics: `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`, `OneHotMeanIoU`.

Each accumulates a `(num_classes, num_classes)` confusion matrix on the device
(rows: true class, columns: predicted class) and reads the IoU of class `c`
from it as `TP / (TP + FP + FN)` = `cm[c, c] / (row_c + column_c - cm[c, c])`.
A class that appears neither in the labels nor in the predictions has no IoU
and is left out of the mean.
"""

import operator
import warnings

from kerasx.autodiff.tensor import Tensor, value_of
from kerasx.backends import current
from kerasx.backends.base import dtype_name
from kerasx.config import epsilon
from kerasx.metrics.metric import Metric
from kerasx.metrics.metrics_utils import confusion_matrix

_SHORT_DTYPES = {"int": "int32", "float": "float32"}


def _check_num_classes(owner, num_classes):
    try:
        n = operator.index(num_classes)
    except TypeError:
        n = None
    if n is None or isinstance(num_classes, bool) or n < 1:
        raise ValueError(
            f"{owner}: num_classes must be a positive integer (the number of classes, the size "
            f"of the confusion matrix), received num_classes={num_classes!r}. Example: "
            f"{owner}(num_classes=3, ...)."
        )
    return n


def _check_target_class_ids(owner, target_class_ids, num_classes):
    if isinstance(target_class_ids, int) or not hasattr(target_class_ids, "__iter__"):
        raise ValueError(
            f"{owner}: target_class_ids must be a list or tuple of class ids, received "
            f"{target_class_ids!r}. For one class, pass a list of one id: "
            f"target_class_ids=[{target_class_ids!r}]."
        )
    try:
        ids = [operator.index(i) for i in target_class_ids]
    except TypeError:
        raise ValueError(
            f"{owner}: target_class_ids must hold integer class ids, received "
            f"{list(target_class_ids)!r}."
        ) from None
    if not ids:
        raise ValueError(f"{owner}: target_class_ids is empty; give at least one class id.")
    bad = [i for i in ids if not 0 <= i < num_classes]
    if bad:
        raise ValueError(
            f"{owner}: target class id {bad[0]} is out of range: with num_classes={num_classes} "
            f"the ids are in [0, {num_classes}). Received target_class_ids={ids}."
        )
    return ids


class _IoUBase(Metric):
    """The confusion-matrix state and update shared by the IoU metrics (arguments as in
    `IoU`)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        num_classes = _check_num_classes(type(self).__name__, num_classes)
        if isinstance(dtype, str):
            dtype = _SHORT_DTYPES.get(dtype, dtype)
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), dtype=self.dtype,
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch to the confusion matrix.

        Labels and predictions of any shape are flattened (after the argmax
        along `axis` of non-sparse ones); entries whose label or prediction is
        outside `[0, num_classes)`, or whose label is `ignore_class`, are left
        out. `sample_weight` is a scalar or has one weight per label entry.
        Returns the updated confusion matrix, as Keras does.
        """
        xp = current().xp
        labels = self._class_ids(y_true, self.sparse_y_true)
        preds = self._class_ids(y_pred, self.sparse_y_pred)
        if labels.shape != preds.shape:
            raise ValueError(
                f"{type(self).__name__}: y_true holds {labels.shape[0]} class ids but y_pred "
                f"holds {preds.shape[0]} (shapes {_shape(y_true)} and {_shape(y_pred)}, "
                f"sparse_y_true={self.sparse_y_true}, sparse_y_pred={self.sparse_y_pred}). "
                "Predictions given as scores or one-hot vectors need sparse_y_pred=False "
                "(labels: sparse_y_true=False); class ids need one per label."
            )
        weights = self._weights(sample_weight, labels.shape[0], y_true)
        if self.ignore_class is not None:
            keep = labels != self.ignore_class
            if weights is None:
                weights = xp.astype(keep, current().dtype(self.dtype))
            else:
                weights = xp.where(keep, weights, xp.zeros_like(weights))
        cm = batch_confusion_matrix(labels, preds, weights, self.num_classes, self.dtype)
        self.total_cm.assign(self.total_cm.value + cm)
        return Tensor(self.total_cm.value)

    def _class_ids(self, x, sparse):
        """`x` as a flat integer array of class ids on the device."""
        backend = current()
        xp = backend.xp
        x = value_of(x)
        if not backend.is_native(x):
            x = backend.asarray(x)
        if not sparse:
            x = xp.argmax(x, axis=self.axis)
        index_t = backend.dtype("int64")
        if x.dtype != index_t:  # floats truncate to ids; unsigned ids compare with -1 safely
            x = xp.astype(x, index_t)
        return xp.reshape(x, (-1,))

    def _weights(self, sample_weight, n, y_true):
        if sample_weight is None:
            return None
        weight_dtype = getattr(sample_weight, "dtype", None)
        if weight_dtype is not None and "float" in dtype_name(weight_dtype) \
                and "int" in self.dtype:
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This may result in an "
                f"incorrect weight due to type casting: {type(self).__name__} counts in "
                f"{self.dtype}, so fractional {dtype_name(weight_dtype)} weights are truncated "
                "toward zero. Consider using integer weights, or dtype='float32' for the metric.",
                stacklevel=3)
        backend = current()
        xp = backend.xp
        w = value_of(sample_weight)
        if not backend.is_native(w):
            w = backend.asarray(w)
        w = xp.reshape(w, (-1,))
        if w.shape[0] == 1:
            return xp.broadcast_to(w, (n,))
        if w.shape[0] != n:
            raise ValueError(
                f"{type(self).__name__}: sample_weight of shape {_shape(sample_weight)} does not "
                f"fit y_true of shape {_shape(y_true)}: IoU metrics weigh each label entry, so "
                "give a scalar or one weight per entry of y_true (e.g. a per-pixel weight map)."
            )
        return w

    def _confusion_counts(self, ids):
        """`(TP, TP + FP + FN)` of the classes `ids` (a list), as float32."""
        backend = current()
        xp = backend.xp
        cm = self.total_cm.value
        n = self.num_classes
        index = xp.asarray(ids, dtype=backend.dtype("int64"), device=backend.device)
        tp = xp.take(xp.reshape(cm, (-1,)), index * (n + 1))
        union = xp.take(xp.sum(cm, axis=0), index) + xp.take(xp.sum(cm, axis=1), index) - tp
        f32 = backend.dtype("float32")
        return xp.astype(tp, f32), xp.astype(union, f32)


class IoU(_IoUBase):
    """Intersection-over-Union, averaged over the classes `target_class_ids`.

    `IoU = TP / (TP + FP + FN)` per class, from a confusion matrix accumulated
    over batches and weighted by `sample_weight` (a weight of 0 masks an
    entry). The result is the mean IoU of the target classes that occur in
    the labels or the predictions (0 when none does).

    Args:
        num_classes: the number of classes.
        target_class_ids: a list or tuple of the classes to average (one id
            gives that class's IoU).
        name: the name in logs (default `"io_u"`).
        dtype: the dtype of the confusion matrix (default `"int32"`, which
            truncates fractional sample weights; pass `"float32"` to keep
            them). The result is float32 either way.
        ignore_class: a label id left out of the counts (e.g. 255).
        sparse_y_true: labels are class ids (True) or vectors along `axis`.
        sparse_y_pred: predictions are class ids (True) or scores along `axis`.
        axis: the class axis of non-sparse inputs (default -1).

    Example:

        m = kerasx.metrics.IoU(num_classes=2, target_class_ids=[0])
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        float(m.result())  # 0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = _check_target_class_ids(type(self).__name__, target_class_ids,
                                                        self.num_classes)

    def result(self):
        xp = current().xp
        tp, union = self._confusion_counts(self.target_class_ids)
        valid = union > 1e-9
        iou = xp.where(valid, tp / (union + epsilon()), xp.zeros_like(tp))
        count = xp.sum(xp.astype(valid, tp.dtype))
        # NumPy reduces to a scalar; the result stays an array like every metric's
        return Tensor(xp.asarray(xp.sum(iou) / (count + epsilon())))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class MeanIoU(IoU):
    """The mean Intersection-over-Union over all `num_classes` classes.

    Classes absent from both labels and predictions are left out of the mean.

    Args:
        num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred,
            axis: as in `IoU`.

    Example:

        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=[kerasx.metrics.MeanIoU(num_classes=3, sparse_y_pred=False)])
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        num_classes = _check_num_classes(type(self).__name__, num_classes)
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task whose predictions are scores: a score `>= threshold` is class 1.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (default: the mean of both).
        threshold: the score from which a prediction counts as class 1.
        name, dtype: as in `IoU`.

    Example:

        m = kerasx.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        float(m.result())  # 0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch: labels 0/1 and scores, thresholded at `threshold`."""
        backend = current()
        xp = backend.xp
        scores = value_of(y_pred)
        scores = backend.asarray(scores, dtype="float32")
        classes = xp.astype(scores >= self.threshold, backend.dtype("int64"))
        return super().update_state(y_true, classes, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class OneHotIoU(IoU):
    """`IoU` of one-hot labels (and score or one-hot predictions), by argmax along `axis`.

    Args:
        num_classes, target_class_ids, name, dtype, ignore_class, axis: as in `IoU`.
        sparse_y_pred: predictions are class ids (True) or scores/logits along
            `axis` (False, the default).
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` of one-hot labels (and score or one-hot predictions), by argmax along `axis`.

    Args:
        num_classes, name, dtype, ignore_class, axis: as in `MeanIoU`.
        sparse_y_pred: predictions are class ids (True) or scores/logits along
            `axis` (False, the default).
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


def batch_confusion_matrix(labels, preds, weights, num_classes, dtype):
    """The `(num_classes, num_classes)` confusion matrix (a backend array of `dtype`) of
    flat integer `labels` and `preds`, pairs with an id outside `[0, num_classes)` left
    out, each pair adding its weight (1 without `weights`).

    Where the backend has a scatter-add kernel it takes memory in proportion to the
    number of pairs; the portable path, `confusion_matrix`'s one-hot product, takes
    `num_classes` times more, which matters for large segmentation maps.
    """
    backend = current()
    fast = backend.kernel("scatter_add_rows")
    if fast is None:
        return value_of(confusion_matrix(labels, preds, num_classes, weights=weights, dtype=dtype))
    xp = backend.xp
    n = num_classes
    target = backend.dtype(dtype)
    valid = (labels >= 0) & (labels < n) & (preds >= 0) & (preds < n)
    index = xp.where(valid, labels * n + preds, xp.zeros_like(labels))
    if weights is None:
        w = xp.ones(labels.shape, dtype=target, device=backend.device)
    else:
        w = xp.astype(weights, target)
    w = xp.where(valid, w, xp.zeros_like(w))
    return xp.reshape(fast((n * n, 1), index, w[:, None], target), (n, n))


def _shape(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        try:
            return (len(x),)
        except TypeError:
            return ()
    return tuple(shape)
