"""`Mean`, `Sum` and `MeanMetricWrapper`: metrics that average or add values."""

from kerasx import ops
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.backends import current
from kerasx.losses.loss import apply_mask, squeeze_or_expand_to_same_rank
from kerasx.metrics.metric import Metric
from kerasx.ops.reduction import array_sum


def _tensor(x, dtype):
    t = x if isinstance(x, TensorOps) else ops.convert_to_tensor(x)
    return ops.cast(t, dtype)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Per-sample values (and weights) from `values` of any rank, as Keras reduces them.

    Values with more axes than the weights are reduced with `reduce_fn` over
    the extra trailing axes, weighted, then reduced to one value per sample.
    """
    mask = getattr(values, "_keras_mask", None)
    values = _tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, dtype)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim, v_ndim = sample_weight.ndim, values.ndim
        if v_ndim > w_ndim:
            values = reduce_fn(values, axis=tuple(range(w_ndim, v_ndim)))
        sample_weight = ops.broadcast_to(sample_weight, values.shape)
        values = ops.multiply(values, sample_weight)
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, w_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of every value seen.

    `update_state(values, sample_weight=None)`; `result()` is the running total.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign(self.total.value + value_of(ops.sum(values)))

    def result(self):
        return ops.convert_to_tensor(self.total.value)


class Mean(Metric):
    """The (weighted) mean of every value seen.

    `update_state(values, sample_weight=None)` adds the weighted sum of the
    values to `total` and the sum of the weights (or the number of samples)
    to `count`; `result()` is `total / count` (0 before any update).
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), dtype=self.dtype, name="total")
        self.count = self.add_variable((), dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        if (sample_weight is None or isinstance(sample_weight, (int, float))) \
                and getattr(values, "_keras_mask", None) is None:
            return self._update_unmasked(values, sample_weight)
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean,
                                                            self.dtype)
        self.total.assign(self.total.value + value_of(ops.sum(values)))
        if sample_weight is not None:
            count = value_of(ops.sum(sample_weight))
        else:
            count = float(values.shape[0]) if values.ndim >= 1 else 1.0
        self.count.assign(self.count.value + count)

    def _update_unmasked(self, values, weight):
        """The common case (no mask, no weight or one scalar weight) on raw arrays: the
        same arithmetic as the general path, without building tensors."""
        backend = current()
        xp = backend.xp
        v = value_of(values)
        if not backend.is_native(v):
            v = backend.asarray(v)
        if v.dtype != backend.dtype(self.dtype):
            v = xp.astype(v, backend.dtype(self.dtype))
        if v.ndim == 0:  # a scalar such as the loss: no reduction to run
            total, count = (v, 1.0) if weight is None else (v * float(weight), float(weight))
        elif weight is None:
            if v.ndim > 1:
                v = xp.mean(v, axis=tuple(range(1, v.ndim)))
            total, count = array_sum(v), float(v.shape[0])
        else:
            total, count = xp.mean(v) * float(weight), float(weight)
        add = backend.kernel("add_to_variable")
        if add is not None:
            add(self.total, total)
            add(self.count, count)
            return
        # NumPy gives scalars for 0-d sums; as arrays they take `assign`'s fast path
        self.total.assign(xp.asarray(self.total.value + total))
        self.count.assign(xp.asarray(self.count.value + count))

    def result(self):
        xp = current().xp
        total, count = self.total.value, self.count.value
        empty = count == 0
        # arrays of the total's dtype, not Python floats: NumPy widens bfloat16 with those
        ratio = total / xp.where(empty, xp.ones_like(count), count)
        return Tensor(xp.where(empty, xp.zeros_like(ratio), ratio))


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over every sample seen.

    Args:
        fn: a function returning per-sample values (any loss function works).
        name: the name in logs (default: `mean_metric_wrapper`, or the snake-case
            class name of a subclass, as for any metric).
        dtype: the dtype of the state.
        **kwargs: passed to `fn` on every update.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        y_true = y_true if isinstance(y_true, TensorOps) else ops.convert_to_tensor(y_true)
        y_pred = y_pred if isinstance(y_pred, TensorOps) else ops.convert_to_tensor(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, self.dtype, "sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        config = {**super().get_config(), "fn": serialize_keras_object(self._fn)}
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (dict, str)):
            from kerasx.saving.serialization import deserialize_keras_object

            config["fn"] = deserialize_keras_object(config["fn"])
        return cls(**config)
