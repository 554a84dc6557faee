"""`Mean`, `Sum` and `MeanMetricWrapper`: metrics that average or add values."""

from kerasx import ops
from kerasx.autodiff.tensor import TensorOps, value_of
from kerasx.metrics.metric import Metric


def _values(x, dtype):
    t = x if isinstance(x, TensorOps) else ops.convert_to_tensor(x)
    return ops.cast(t, dtype)


def _weighted(values, sample_weight):
    """(sum of weighted values, sum of weights) with `sample_weight` broadcast to `values`."""
    if sample_weight is None:
        n = 1
        for d in values.shape:
            n *= d
        return ops.sum(values), float(n)
    sw = _values(sample_weight, values.dtype)
    while sw.ndim > values.ndim and sw.shape[-1] == 1:
        sw = ops.squeeze(sw, axis=-1)
    while sw.ndim < values.ndim:
        sw = ops.expand_dims(sw, -1)
    sw = ops.broadcast_to(sw, values.shape)
    return ops.sum(ops.multiply(values, sw)), ops.sum(sw)


class Sum(Metric):
    """The (weighted) sum of every value seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        total, _ = _weighted(_values(values, self.dtype), sample_weight)
        self.total.assign(self.total.value + value_of(total))

    def result(self):
        return ops.convert_to_tensor(self.total.value)


class Mean(Metric):
    """The (weighted) mean of every value seen."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        total, count = _weighted(_values(values, self.dtype), sample_weight)
        self.total.assign(self.total.value + value_of(total))
        self.count.assign(self.count.value + value_of(count))

    def result(self):
        return ops.divide(self.total, ops.maximum(self.count, 1e-30))


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over every sample seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        from kerasx.losses.loss import squeeze_or_expand_to_same_rank

        y_true = y_true if isinstance(y_true, TensorOps) else ops.convert_to_tensor(y_true)
        y_pred = y_pred if isinstance(y_pred, TensorOps) else ops.convert_to_tensor(y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}
