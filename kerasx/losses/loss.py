"""`Loss`: the base class of losses, with reductions and sample weights."""

from kerasx import ops
from kerasx.autodiff.tensor import TensorOps

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """Computes per-sample losses in `call(y_true, y_pred)` and reduces them.

    Args:
        reduction: `"sum_over_batch_size"` (default: the weighted sum divided by
            the number of elements), `"sum"`, `"mean"` (same as the default),
            `"mean_with_sample_weight"` (divided by the sum of the weights) or
            `"none"`/None (the per-sample values).
        name: the name used in logs.
        dtype: the float type of the computation.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"Invalid reduction {reduction!r}: expected one of {list(REDUCTIONS)}."
            )
        from kerasx.utils.naming import to_snake_case

        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_tensor(y_pred)
        y_true = _as_tensor(y_true)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` returning per-sample values."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _as_tensor(x):
    if isinstance(x, TensorOps):
        return x
    return ops.convert_to_tensor(x)


def squeeze_or_expand_to_same_rank(y_true, y_pred):
    """Matches `(batch,)` labels with `(batch, 1)` predictions (and the reverse), as Keras."""
    rt, rp = y_true.ndim, y_pred.ndim
    if rt == rp:
        return y_true, y_pred
    if rt == rp - 1 and y_pred.shape[-1] == 1:
        return y_true, ops.squeeze(y_pred, axis=-1)
    if rp == rt - 1 and y_true.shape[-1] == 1:
        return ops.squeeze(y_true, axis=-1), y_pred
    return y_true, y_pred


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Applies `sample_weight` (broadcast against `values`) and then `reduction`."""
    if sample_weight is not None:
        sample_weight = _as_tensor(sample_weight)
        if sample_weight.dtype != values.dtype:
            sample_weight = ops.cast(sample_weight, values.dtype)
        while sample_weight.ndim > values.ndim and sample_weight.shape[-1] == 1:
            sample_weight = ops.squeeze(sample_weight, axis=-1)
        while sample_weight.ndim < values.ndim:
            sample_weight = ops.expand_dims(sample_weight, -1)
        values = ops.multiply(values, sample_weight)
    if reduction is None or reduction == "none":
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        weight_sum = ops.sum(ops.broadcast_to(sample_weight, values.shape))
        return ops.divide(total, ops.maximum(weight_sum, 1e-12))
    size = 1
    for n in values.shape:
        size *= n
    return ops.divide(total, float(max(size, 1)))
