"""`Loss`: the base class of losses, with masks, sample weights and reductions."""

from kerasx import ops
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.backends import current, host
from kerasx.backends.base import dtype_name
from kerasx.tree import map_structure, map_structure_up_to

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{list(REDUCTIONS)}. Received: reduction={reduction!r}. "
            "'sum_over_batch_size' (the default) averages over every loss value, 'sum' adds them, "
            "'none' returns the per-sample values."
        )
    return reduction


class Loss:
    """Computes per-sample losses in `call(y_true, y_pred)` and reduces them.

    `loss(y_true, y_pred, sample_weight=None)` converts both inputs to the
    loss's dtype, calls `call`, multiplies by `sample_weight` (and by the
    Keras mask of `y_pred`, if any) and applies the reduction.

    Args:
        name: the name used in logs (default: the snake-case class name,
            made unique as Keras does).
        reduction: `"sum_over_batch_size"` (default: the weighted sum divided
            by the number of loss values), `"sum"`, `"mean"` (same as the
            default), `"mean_with_sample_weight"` (divided by the sum of the
            weights) or `"none"`/None (the weighted per-sample values).
        dtype: the float type of the computation (default `floatx()`), or a
            dtype policy (`"mixed_float16"`), whose compute dtype is used.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        from kerasx.config import floatx
        from kerasx.utils.naming import to_snake_case, uniquify

        self.name = name or uniquify(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = compute_dtype_of(dtype) if dtype is not None else floatx()

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        if ops._has_symbolic((y_true, y_pred, sample_weight)):
            raise _symbolic_call_error(self)
        self._check_host_labels(y_true, y_pred)
        in_mask = getattr(y_pred, "_keras_mask", None)
        if isinstance(y_pred, dict) or isinstance(y_pred, (list, tuple)) and (
                not isinstance(self, LossFunctionWrapper)
                or any(hasattr(x, "shape") or isinstance(x, (list, tuple, dict))
                       for x in y_pred)):
            # as Keras: a subclass's `call` gets lists (or dicts) of tensors leaf by leaf,
            # e.g. feature maps of several shapes (GauGAN's feature-matching loss), and so
            # does a loss function given a part of a model's output structure
            y_pred = map_structure(lambda x: as_float_tensor(x, self.dtype), y_pred)
            y_true = map_structure(lambda x: as_float_tensor(x, self.dtype), y_true)
        else:
            y_pred = as_float_tensor(y_pred, self.dtype)
            y_true = self._labels_as_tensor(y_true)
        values = self.call(y_true, y_pred)
        out_mask = getattr(values, "_keras_mask", None)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(in_mask, out_mask)
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def _labels_as_tensor(self, y_true):
        """The labels as a tensor of the loss's dtype, as Keras converts them."""
        return as_float_tensor(y_true, self.dtype)

    def _check_host_labels(self, y_true, y_pred):
        """Checks labels that are still host arrays (free: no device transfer)."""

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around `fn(y_true, y_pred, **kwargs)`, which returns per-sample values.

    Args:
        fn: the loss function (a kerasx function or any differentiable
            function written with `kerasx.ops`).
        reduction, name, dtype: as in `Loss`.
        **kwargs: extra keyword arguments passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if isinstance(y_pred, (list, tuple, dict)):
            # a structure (part of a model's outputs): ranks matched leaf by leaf, as Keras
            pairs = map_structure(squeeze_or_expand_to_same_rank, y_true, y_pred)
            y_true = map_structure_up_to(y_true, lambda pair: pair[0], pairs)
            y_pred = map_structure_up_to(y_pred, lambda pair: pair[1], pairs)
        else:
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _labels_as_tensor(self, y_true):
        # A function of class ids (`_takes_class_ids`) reads integer labels as they
        # are: converting them to floats that it turns back into integers costs two
        # passes a step and changes no value below 2**24.
        if getattr(self.fn, "_takes_class_ids", False):
            y_true = as_tensor(y_true)
            value = getattr(y_true, "value", None)
            if value is not None and current().isdtype(value.dtype, "integral"):
                return y_true
        return as_float_tensor(y_true, self.dtype)

    def _check_host_labels(self, y_true, y_pred):
        check = getattr(self.fn, "_check_labels", None)
        if check is not None and host.is_host_array(y_true):
            check(y_true, tuple(getattr(y_pred, "shape", ())), **self._fn_kwargs)

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (dict, str)):
            from kerasx.saving.serialization import deserialize_keras_object

            config["fn"] = deserialize_keras_object(config["fn"])
        return cls(**config)

    def __repr__(self):
        fn = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({fn}, kwargs={self._fn_kwargs})>"


def compute_dtype_of(dtype):
    """The dtype name of a dtype, or the compute dtype of a dtype policy or policy name."""
    if (isinstance(dtype, str) and dtype.startswith("mixed_")) or hasattr(dtype, "compute_dtype"):
        from kerasx import dtype_policies

        return dtype_policies.get(dtype).compute_dtype
    return dtype_name(dtype)


def as_float_tensor(x, dtype):
    """`x` as a Tensor (or Variable) of `dtype`; casts keep gradients and fused-logit links."""
    if not isinstance(x, TensorOps):
        return ops.convert_to_tensor(x, dtype=dtype)
    if x.dtype == dtype:
        return x
    return ops.cast(x, dtype)


def as_tensor(x):
    return x if isinstance(x, TensorOps) else ops.convert_to_tensor(x)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes ranks equal when they differ by one and the longer has a trailing 1.

    `(batch,)` against `(batch, 1)`: the `(batch, 1)` side is squeezed, unless
    the other is rank 1 and `expand_rank_1` is True, in which case the rank-1
    side gains a trailing axis (the Keras rule).
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def _symbolic_call_error(loss):
    return TypeError(
        f"The loss {loss.name!r} ({type(loss).__name__}) was called on symbolic tensors "
        "(KerasTensors of a functional model being built). A Loss object reduces real "
        "values, with their masks, when the model runs: pass it to compile(loss=...), or "
        "call it in a custom train_step or in a layer's call(). For per-sample values as a "
        "node of the graph, call the loss function instead (e.g. "
        "kerasx.losses.categorical_crossentropy(y_true, y_pred))."
    )


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean mask into the sample weights.

    For the averaging reductions, unmasked entries get weight `total / valid`
    so that dividing by the number of entries averages over the valid ones.
    """
    if mask is None:
        return sample_weight
    xp_mask = as_tensor(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(_size(xp_mask.shape))
        valid = ops.sum(ops.cast(xp_mask, dtype))
        weight = divide_no_nan(total, valid)
        float_mask = ops.where(ops.cast(xp_mask, "bool"), weight, ops.zeros_like(valid))
    else:
        float_mask = ops.cast(xp_mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = as_float_tensor(sample_weight, dtype)
    float_mask, sample_weight = _match_weight_rank(float_mask, sample_weight)
    return ops.multiply(sample_weight, float_mask)


def divide_no_nan(a, b):
    """`a / b`, or 0 where `b == 0` (the Keras `divide_no_nan`)."""
    if isinstance(b, (int, float)):
        return ops.multiply(a, 0.0) if b == 0 else ops.divide(a, float(b))
    b = as_tensor(b)
    zero = ops.equal(b, 0.0)
    safe = ops.where(zero, ops.ones_like(b), b)
    quotient = ops.divide(a, safe)
    return ops.where(zero, ops.zeros_like(quotient), quotient)


def _match_weight_rank(values, sample_weight):
    """Aligns `sample_weight` with `values` (the Keras rule, plus trailing axes).

    Keras only squeezes or expands one trailing unit axis; kerasx also gives a
    `(batch,)` weight trailing axes so it applies to per-timestep losses of
    shape `(batch, steps)`, where Keras would fail to broadcast.
    """
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    vshape, wshape = tuple(values.shape), tuple(sample_weight.shape)
    if len(wshape) < len(vshape) and wshape == vshape[:len(wshape)]:
        sample_weight = ops.reshape(sample_weight, wshape + (1,) * (len(vshape) - len(wshape)))
        wshape = tuple(sample_weight.shape)
    if not _broadcastable(wshape, vshape):
        raise ValueError(
            f"sample_weight of shape {wshape} cannot be applied to loss values of shape {vshape}. "
            "Pass one weight per sample, shape (batch,), or an array broadcastable to "
            f"{vshape} such as {vshape[:1] + (1,) * (len(vshape) - 1)}."
        )
    return values, sample_weight


def _broadcastable(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Sums `values` and, for the averaging reductions, divides (0 if the divisor is 0)."""
    shape = tuple(values.shape)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    if reduction != "sum" and not (reduction == "mean_with_sample_weight"
                                   and sample_weight is not None) and _size(shape) > 0:
        return ops.mean(values)  # sum / size as one tape node
    loss = ops.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return divide_no_nan(loss, ops.sum(sample_weight))
    return divide_no_nan(loss, _size(shape))


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Applies the mask and `sample_weight` to per-sample `values`, then `reduction`."""
    reduction = standardize_reduction(reduction)
    values = as_tensor(values) if dtype is None else as_float_tensor(values, dtype)
    dtype = values.dtype
    if sample_weight is not None:
        sample_weight = as_float_tensor(sample_weight, dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = _match_weight_rank(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


def set_mask(tensor, mask):
    """Attaches a Keras mask to a loss output (so the reduction averages over valid entries)."""
    if not isinstance(tensor, Tensor):
        tensor = Tensor(value_of(tensor))
    tensor._keras_mask = mask
    return tensor
