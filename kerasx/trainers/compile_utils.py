"""What `compile` turns its `loss` and `metrics` arguments into."""

from kerasx import losses as losses_module
from kerasx import metrics as metrics_module
from kerasx import ops
from kerasx.losses.loss import Loss, LossFunctionWrapper
from kerasx.metrics.accuracy_metrics import (binary_accuracy, categorical_accuracy,
                                             sparse_categorical_accuracy)
from kerasx.metrics.reduction_metrics import Mean, MeanMetricWrapper

_ACCURACY_NAMES = ("accuracy", "acc")


def _as_loss_object(loss):
    loss = losses_module.get(loss)
    if loss is None or isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    return LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))


def _per_output(value, output_names, what):
    """Spreads a single value, a list or a dict of per-output values to `output_names`."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError(
                f"compile(): {what} has keys {unknown} that are not output names. "
                f"The model's outputs are named {output_names}."
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and len(output_names) > 1 and (
            what != "metrics" or any(isinstance(v, (list, tuple)) for v in value)):
        if len(value) != len(output_names):
            raise ValueError(
                f"compile(): {what} is a list of {len(value)} entries but the model has "
                f"{len(output_names)} outputs {output_names}."
            )
        return list(value)
    return [value] * len(output_names)


class CompileLoss:
    """The total training loss: the (weighted) sum of each output's loss."""

    def __init__(self, loss, loss_weights=None, output_names=("output",)):
        self.output_names = list(output_names)
        self.losses = [_as_loss_object(l) for l in _per_output(loss, self.output_names, "loss")]
        weights = _per_output(loss_weights, self.output_names, "loss_weights") \
            if loss_weights is not None else [None] * len(self.output_names)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        self.multi = len(self.output_names) > 1
        self.trackers = [Mean(name=f"{n}_loss") for n in self.output_names] if self.multi else []

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.multi:
            return self.losses[0](y_true, y_pred, sample_weight)
        y_true = self._by_output(y_true, "y")
        y_pred = self._by_output(y_pred, "predictions")
        sws = self._by_output(sample_weight, "sample_weight") if isinstance(
            sample_weight, (list, tuple, dict)) else [sample_weight] * len(self.output_names)
        total = None
        batch = None
        for i, loss in enumerate(self.losses):
            if loss is None or y_true[i] is None:
                continue
            value = loss(y_true[i], y_pred[i], sws[i])
            batch = y_pred[i].shape[0]
            self.trackers[i].update_state(value, sample_weight=batch)
            weighted = ops.multiply(value, self.loss_weights[i])
            total = weighted if total is None else ops.add(total, weighted)
        if total is None:
            raise ValueError("compile(): no output has both a loss and a target in y.")
        return total

    def _by_output(self, structure, what):
        if isinstance(structure, dict):
            return [structure.get(name) for name in self.output_names]
        if isinstance(structure, (list, tuple)):
            if len(structure) != len(self.output_names):
                raise ValueError(
                    f"The model has {len(self.output_names)} outputs {self.output_names} but "
                    f"{what} has {len(structure)} entries."
                )
            return list(structure)
        raise ValueError(
            f"The model has {len(self.output_names)} outputs {self.output_names}; pass {what} as a "
            "list or a dict keyed by output name."
        )


class CompileMetrics:
    """The metrics of every output, resolved against the data on the first batch."""

    def __init__(self, metrics, weighted_metrics, output_names=("output",), losses=None):
        self.output_names = list(output_names)
        self._specs = _per_output(metrics, self.output_names, "metrics") if metrics else \
            [None] * len(self.output_names)
        self._weighted_specs = _per_output(weighted_metrics, self.output_names, "weighted_metrics") \
            if weighted_metrics else [None] * len(self.output_names)
        self._losses = losses or [None] * len(self.output_names)
        self.metrics = None
        self.built = False

    def build(self, y_true, y_pred):
        multi = len(self.output_names) > 1
        y_true = y_true if multi else [y_true]
        y_pred = y_pred if multi else [y_pred]
        if multi and isinstance(y_true, dict):
            y_true = [y_true.get(n) for n in self.output_names]
        self.metrics = []
        for i, name in enumerate(self.output_names):
            for spec_list, weighted in ((self._specs[i], False), (self._weighted_specs[i], True)):
                for spec in _as_list(spec_list):
                    metric = self._resolve(spec, y_true[i], y_pred[i], self._losses[i])
                    if multi:
                        metric.name = f"{name}_{metric.name}"
                    if weighted:
                        metric.name = f"weighted_{metric.name}" if not multi else metric.name
                    self.metrics.append((i, weighted, metric))
        self.built = True

    @staticmethod
    def _resolve(spec, y_true, y_pred, loss):
        if isinstance(spec, str) and spec in _ACCURACY_NAMES:
            fn = _accuracy_for(y_true, y_pred, loss)
            return MeanMetricWrapper(fn, name=spec if spec == "accuracy" else "acc")
        return metrics_module.get(spec)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        multi = len(self.output_names) > 1
        if multi and isinstance(y_true, dict):
            y_true = [y_true.get(n) for n in self.output_names]
        if multi and isinstance(y_pred, dict):
            y_pred = [y_pred.get(n) for n in self.output_names]
        for i, weighted, metric in self.metrics:
            t = y_true[i] if multi else y_true
            p = y_pred[i] if multi else y_pred
            if t is None:
                continue
            sw = sample_weight if weighted else None
            if multi and isinstance(sw, (list, tuple)):
                sw = sw[i]
            metric.update_state(t, p, sample_weight=sw)

    def reset_state(self):
        for _, _, metric in self.metrics or []:
            metric.reset_state()


def _as_list(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _accuracy_for(y_true, y_pred, loss):
    """Keras's choice of accuracy from the loss and the label/prediction shapes."""
    name = getattr(getattr(loss, "fn", loss), "__name__", "") if loss is not None else ""
    if "sparse_categorical" in name:
        return sparse_categorical_accuracy
    if "binary" in name or y_pred.shape[-1] == 1:
        return binary_accuracy
    if "categorical" in name:
        return categorical_accuracy
    if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return sparse_categorical_accuracy
    return categorical_accuracy
