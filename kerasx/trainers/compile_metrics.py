"""What `compile` turns its `metrics` and `weighted_metrics` into: `CompileMetrics`.

`CompileMetrics` holds the compiled metrics of every output. They are made on
the first batch, because `"accuracy"` picks binary, sparse or categorical
accuracy from the shapes of the labels and predictions, as Keras does. Each
metric's `name` is its key in the logs and `History`, with Keras 3's names:
the name given in `compile` (`"accuracy"`, `"mae"`, a metric object's
`name`), prefixed with the output's name (`out_a_accuracy`) when the model
has several outputs, `_1`, `_2`... for repeats, and `weighted_` for a
weighted metric that would otherwise clash with an unweighted one. Metrics of
outputs the model cannot name are logged without a prefix; metrics of outputs that
nest dicts or lists are prefixed with the output layers' names, as Keras.

Interface used by the trainer: `CompileMetrics(metrics, weighted_metrics,
output_names)` has `update_state(y_true, y_pred, sample_weight)`, `reset_state()`,
`result()` (a dict keyed by log name, like Keras's `compile_metrics`),
`flat_metrics` and `metrics` (the metric objects).
"""

from kerasx import metrics as metrics_module
from kerasx.metrics.metric import Metric
from kerasx.metrics.reduction_metrics import MeanMetricWrapper
from kerasx.trainers.compile_outputs import (PositionalNames, binary_or_sparse,
                                             check_dict_specs_for_unnamed, flat_outputs,
                                             flat_paths, flat_spec, infer_output_names,
                                             is_nested, nests_containers, per_item_spec,
                                             provisional_names)
from kerasx.utils.naming import to_snake_case

_ACCURACY_NAMES = ("accuracy", "acc")


def _is_metric_like(spec):
    return spec is None or isinstance(spec, (str, Metric)) or callable(spec)


def _metric_object(spec, y_true, y_pred):
    """A `Metric` for a name, function, class or object, named as Keras names it."""
    if isinstance(spec, str) and spec.lower() in _ACCURACY_NAMES:
        binary, sparse = binary_or_sparse(y_true, y_pred)
        cls = (metrics_module.BinaryAccuracy if binary else
               metrics_module.SparseCategoricalAccuracy if sparse else
               metrics_module.CategoricalAccuracy)
        return cls(name=spec)
    metric = metrics_module.get(spec)
    if isinstance(spec, str):
        metric.name = spec
    elif not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric, name=_function_metric_name(spec))
    elif not isinstance(spec, (Metric, type)):
        metric.name = _function_metric_name(spec)
    return metric


def _function_metric_name(fn):
    """Keras's name for a metric function: its `name`, else its `__name__` (or its
    class's name) in snake case (`PSNR` -> `psnr`, `myMetric` -> `my_metric`)."""
    name = getattr(fn, "name", None)
    if isinstance(name, str):
        return name
    return to_snake_case(getattr(fn, "__name__", None) or type(fn).__name__)


class CompileMetrics:
    """The compiled metrics of every output of a model.

    Args:
        metrics: metrics without sample weights: for one output a list of
            names/functions/objects; for several outputs a list with one entry
            (a metric or a list of metrics) per output, or a dict keyed by
            output name.
        weighted_metrics: the same, updated with `sample_weight`.
        output_names: the model's output names (`Model._output_names()`).
        losses: accepted for compatibility and unused: as in Keras 3, `"accuracy"`
            is chosen from the shapes of labels and predictions, not from the loss.
    """

    def __init__(self, metrics=None, weighted_metrics=None, output_names=("output",), losses=None,
                 prefixes=None):
        for value, what in ((metrics, "metrics"), (weighted_metrics, "weighted_metrics")):
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(
                    f"compile(): `{what}` must be a list, tuple or dict, received {value!r} of "
                    f"type {type(value).__name__}. Wrap a single metric in a list: "
                    f"{what}=[{value!r}]."
                )
        self.name = "compile_metrics"
        # Keras lists "compile_metrics" whenever metrics were given, even an empty list
        self._given = metrics is not None or weighted_metrics is not None
        self._declared_names = list(output_names)
        self.output_names = provisional_names(
            output_names, flat_spec(metrics), flat_spec(weighted_metrics))
        self._prefixes = list(prefixes) if prefixes else None
        metrics, weighted_metrics = (per_item_spec(flat_spec(value), self.output_names)
                                     for value in (metrics, weighted_metrics))
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self.flat_metrics = []
        self._entries = []
        self._log_keys = []
        self.built = False
        if (metrics or weighted_metrics) and not (
                self.output_names == ["output"] and any(
                    isinstance(value, (list, tuple)) and any(
                        isinstance(item, (list, tuple)) for item in value)
                    for value in (metrics, weighted_metrics))):
            # Checks the structure against the outputs now, so mistakes fail at compile()
            # (a subclassed model given lists of metrics per output: on the first batch).
            self._specs(metrics, self.output_names, "metrics")
            self._specs(weighted_metrics, self.output_names, "weighted_metrics")

    @property
    def has_metrics(self):
        return self._given or bool(self._user_metrics or self._user_weighted_metrics)

    @property
    def metrics(self):
        """The metric objects, those without sample weights first (empty until built),
        as Keras's `CompileMetrics.metrics`."""
        return [metric for _, _, metric in self._entries] if self.built else []

    @property
    def variables(self):
        return [v for m in self.flat_metrics for v in m.variables]

    @staticmethod
    def _specs(value, names, what):
        """A list (one per output) of lists of metric specs."""
        n = len(names)
        if not value:
            return [[] for _ in names]
        if n == 1:
            if isinstance(value, (list, tuple)) and len(value) == 1 and \
                    isinstance(value[0], (list, tuple)):
                value = value[0]  # one output's list of metrics, as Keras 2 saved them
            items = [v for k in sorted(value) for v in _as_list(value[k])] \
                if isinstance(value, dict) else list(value)
            if isinstance(value, dict) and sorted(value) != names and len(value) > 1:
                raise ValueError(
                    f"compile(): `{what}` has keys {sorted(value)} but the model has one output "
                    f"named {names[0]!r}."
                )
            specs = [items]
        elif isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(
                    f"compile(): in the dict argument `{what}`, the keys {unknown} do not "
                    f"correspond to any model output. The model's outputs are named {names}."
                )
            specs = [_as_list(value.get(name)) for name in names]
        else:
            if len(value) != n:
                raise ValueError(
                    f"compile(): for a model with {n} outputs {names}, the list `{what}` must "
                    f"have one entry per output (a metric or a list of metrics), but it has "
                    f"{len(value)}. Received {what}={value!r}. Use a dict keyed by output name "
                    "to give metrics to some outputs only."
                )
            specs = [_as_list(v) for v in value]
        for items in specs:
            bad = [s for s in items if not _is_metric_like(s)]
            if bad:
                raise ValueError(
                    f"compile(): the entries of `{what}` must be metric names, functions or "
                    f"Metric objects; found {bad}."
                )
        return specs

    def build(self, y_true, y_pred):
        # outputs nesting containers have no names of their own in Keras unless the model
        # names its output layers (`prefixes`): the metrics' log names are then unprefixed
        anonymous = nests_containers(y_pred) and not self._prefixes
        y_true, y_pred = flat_paths(y_true), flat_paths(y_pred)
        check_dict_specs_for_unnamed(y_pred, self._declared_names, (
            ("metrics", self._user_metrics), ("weighted_metrics", self._user_weighted_metrics)))
        names = self.output_names
        if isinstance(y_pred, dict) or (
                (len(y_pred) if isinstance(y_pred, (list, tuple)) else 1) != len(names)):
            names = self.output_names = infer_output_names(y_pred, names)
        preds = flat_outputs(y_pred, names, "the model's predictions")
        # without metrics the targets' structure is the loss's business (`loss=[fn, None]`
        # takes one target for two outputs)
        trues = (flat_outputs(y_true, names, "y")
                 if self._user_metrics or self._user_weighted_metrics else [None] * len(names))
        multi = len(names) > 1 and not isinstance(names, PositionalNames) and not anonymous
        # nested outputs: Keras prefixes with the output layers' names, not the keys
        prefixes = self._prefixes if self._prefixes and len(self._prefixes) == len(names) \
            else None
        taken = set()
        entries, keys = [], []
        for weighted, value, what in ((False, self._user_metrics, "metrics"),
                                      (True, self._user_weighted_metrics, "weighted_metrics")):
            for i, items in enumerate(self._specs(value, names, what)):
                for spec in items:
                    if spec is None:
                        continue
                    metric = _metric_object(spec, trues[i], preds[i])
                    prefix = prefixes[i] if prefixes else names[i]
                    key = f"{prefix}_{metric.name}" if multi else metric.name
                    if key in taken and weighted:
                        base = f"weighted_{metric.name}"
                        key = f"{prefix}_{base}" if multi else base
                    # the key names the value in the logs; as in Keras, the metric
                    # object keeps its own name
                    entries.append((i, weighted, metric))
                    keys.append(_unique(key, taken))
        self._entries = entries
        self._log_keys = keys
        self.flat_metrics = [m for _, _, m in entries]
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = flat_paths(y_true), flat_paths(y_pred)
        sample_weight = flat_paths(sample_weight)
        if not self.built:
            self.build(y_true, y_pred)
        if not self._entries:
            return
        names = self.output_names
        preds = flat_outputs(y_pred, names, "the model's predictions")
        trues = flat_outputs(y_true, names, "y")
        if sample_weight is None or not is_nested(sample_weight):
            weights = [sample_weight] * len(names)
        else:
            weights = flat_outputs(sample_weight, names, "sample_weight")
        for i, weighted, metric in self._entries:
            if trues[i] is None:
                continue
            try:
                metric.update_state(trues[i], preds[i],
                                    sample_weight=weights[i] if weighted else None)
            except (ValueError, TypeError, IndexError) as e:
                error = _mismatch_error(metric, trues[i], preds[i], e)
                if error is None:
                    raise
                raise error from e

    def reset_state(self):
        for metric in self.flat_metrics:
            metric.reset_state()

    def result(self):
        """Each metric's current value, keyed by its log name."""
        return {key: m.result() for key, m in zip(self._log_keys, self.flat_metrics)}


def _mismatch_error(metric, y_true, y_pred, error):
    """A `ValueError` naming `metric` and the shapes it failed on, with the likely fix,
    when the labels' shape does not fit the predictions' for a metric that compares them
    value for value (None otherwise, and for sparse metrics, which take class ids, and the
    IoU metrics: the original error stands)."""
    true_shape = tuple(getattr(y_true, "shape", ()))
    pred_shape = tuple(getattr(y_pred, "shape", ()))
    kind = " ".join((metric.name, type(metric).__name__,
                     getattr(getattr(metric, "_fn", None), "__name__", "")))
    # the IoU metrics' own errors say which of sparse_y_true / sparse_y_pred to change
    own_error = "sparse" in kind.lower() or hasattr(metric, "sparse_y_pred")
    if own_error or true_shape == pred_shape or (
            len(true_shape) == len(pred_shape) - 1 and pred_shape[-1:] == (1,)):
        return None
    classes = pred_shape[-1] if pred_shape else None
    if len(true_shape) == len(pred_shape) - 1 or true_shape[-1:] == (1,) != pred_shape[-1:]:
        fix = ("The labels look like class ids: use 'sparse_categorical_accuracy' (or "
               "'accuracy', which picks it from the shapes), a sparse metric such as "
               "SparseTopKCategoricalAccuracy, or one-hot labels "
               f"(kerasx.utils.to_categorical(y, {classes})) for metrics of one value per class.")
    else:
        fix = "Give labels of the predictions' shape, or change the size of the last layer."
    batchless = lambda shape: (None,) + shape[1:] if shape else shape  # noqa: E731
    return ValueError(
        f"Metric {metric.name!r} compares labels with predictions value for value, but "
        f"received labels of shape {batchless(true_shape)} for predictions of shape "
        f"{batchless(pred_shape)}. {fix} (The error was: {error})")


def _as_list(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _unique(key, taken):
    if key in taken:
        i = 1
        while f"{key}_{i}" in taken:
            i += 1
        key = f"{key}_{i}"
    taken.add(key)
    return key
