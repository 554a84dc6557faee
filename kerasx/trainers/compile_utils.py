"""What `compile` turns its `loss`, `loss_weights`, `metrics` and `weighted_metrics` into.

`CompileLoss` is the total training loss: one loss per model output (a single
loss applies to every output), each multiplied by its weight and summed. With
more than one loss it also keeps a `Mean` per output, named `<output>_loss`.

`CompileMetrics` holds the compiled metrics of every output. They are made on
the first batch, because `"accuracy"` picks binary, sparse or categorical
accuracy from the shapes of the labels and predictions, as Keras does. Each
metric's `name` is its key in the logs and `History`, with Keras 3's names:
the name given in `compile` (`"accuracy"`, `"mae"`, a metric object's
`name`), prefixed with the output's name (`out_a_accuracy`) when the model
has several outputs, `_1`, `_2`... for repeats, and `weighted_` for a
weighted metric that would otherwise clash with an unweighted one.

Output names are the keys of a model's dict outputs, else the names of the
layers producing the outputs (`Model._output_names()`). Outputs a model cannot name
(a subclassed model's `call` returning a list) are logged as Keras 3 logs them: a
per-output loss under its loss's name (`mse_loss`, two outputs with the same loss
sharing one log key), metrics without a prefix. Metrics of outputs that nest dicts or
lists are prefixed with the output layers' names, and an output that is a list item
has its loss logged under its layer's name (`b/d/dense_1_loss`), as Keras.

A `loss` nesting lists or dicts the per-output reading cannot take (several losses for
one output, a loss over a part of the output structure) is read structurally, as Keras
reads it: `struct_loss.StructLoss`.

Interface used by the trainer: `CompileLoss(loss, loss_weights, output_names)`
is called as `compile_loss(y_true, y_pred, sample_weight)`; `.losses` holds one
loss object per output (None where an output has no loss) and `.metrics`
(alias `.trackers`) the per-output loss means. `CompileMetrics(metrics,
weighted_metrics, output_names)` has `update_state(y_true, y_pred,
sample_weight)`, `reset_state()`, `result()` (a dict keyed by log name, like
Keras's `compile_metrics`), `flat_metrics` and `metrics` (the metric objects).
"""

from kerasx import losses as losses_module
from kerasx import metrics as metrics_module
from kerasx import ops, tree
from kerasx.losses.loss import Loss, LossFunctionWrapper
from kerasx.metrics.metric import Metric
from kerasx.metrics.reduction_metrics import Mean, MeanMetricWrapper
from kerasx.trainers.struct_loss import LossPathError, StructLoss, is_structured
from kerasx.utils.naming import to_snake_case

_ACCURACY_NAMES = ("accuracy", "acc")
_CROSSENTROPY_NAMES = ("crossentropy", "ce")


# -- structures ---------------------------------------------------------------------------
def _is_nested(x):
    return isinstance(x, (list, tuple, dict))


def flat_paths(structure):
    """A dict of outputs that nests further dicts or lists (`{"a": x, "b": {"c": y}}`) as
    one flat dict keyed by "/"-joined paths (`{"a": x, "b/c": y}`, list items by index),
    which the per-output losses and metrics read; anything else unchanged."""
    if not isinstance(structure, dict) or not any(
            isinstance(v, (dict, list, tuple)) for v in structure.values()):
        return structure
    flat = {}

    def visit(value, path):
        if isinstance(value, dict):
            for key in sorted(value):
                visit(value[key], f"{path}/{key}" if path else str(key))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{path}/{i}")
        else:
            flat[path] = value

    visit(structure, "")
    return flat


def nests_containers(structure):
    """Whether a dict or list of outputs holds further dicts or lists."""
    inner = structure.values() if isinstance(structure, dict) else (
        structure if isinstance(structure, (list, tuple)) else ())
    return any(isinstance(item, (list, tuple, dict)) for item in inner)


def _flat_spec(spec):
    """A loss, loss-weight or metric dict nesting dicts, keyed by "/"-joined paths as
    `flat_paths` keys the outputs (lists stay: they list metrics, or one loss)."""
    if not isinstance(spec, dict) or not any(isinstance(v, dict) for v in spec.values()):
        return spec
    flat = {}
    for key, value in spec.items():
        if isinstance(value, dict):
            for sub, item in _flat_spec(value).items():
                flat[f"{key}/{sub}"] = item
        else:
            flat[key] = value
    return flat


def _per_item_spec(spec, output_names):
    """A metric dict keyed by `flat_paths` names where a key names a list of outputs
    (`{"b/d": [m1, m2]}` for outputs `b/d/0`, `b/d/1`): one entry per list item, as Keras
    reads metrics in the structure of the outputs."""
    if not isinstance(spec, dict):
        return spec
    out = {}
    for key, value in spec.items():
        items = [f"{key}/{i}" for i in range(len(value))] \
            if isinstance(value, (list, tuple)) and key not in output_names else ()
        if items and all(item in output_names for item in items):
            out.update(zip(items, value))
        else:
            out[key] = value
    return out


def _flat_outputs(structure, output_names, what):
    """Per-output entries of `structure` (model predictions, labels or sample weights), in
    `output_names` order; a dict is read by name, a list by position."""
    n = len(output_names)
    if isinstance(structure, dict):
        unknown = sorted(set(structure) - set(output_names))
        if unknown and n > 1:
            raise ValueError(
                f"{what} is a dict with keys {unknown} that are not output names. The model's "
                f"outputs are named {output_names}."
            )
        if n == 1 and output_names[0] not in structure and len(structure) == 1:
            return list(structure.values())
        return [structure.get(name) for name in output_names]
    if isinstance(structure, (list, tuple)):
        if len(structure) != n:
            raise ValueError(
                f"The model has {n} output(s) {output_names}, but {what} is a "
                f"{type(structure).__name__} of {len(structure)} entries. Pass one entry per "
                "output, or a dict keyed by output name."
            )
        return list(structure)
    if n > 1:
        raise ValueError(
            f"The model has {n} outputs {output_names}, but {what} is a single array. Pass a "
            "list with one array per output, or a dict keyed by output name."
        )
    return [structure]


class _PositionalNames(list):
    """Placeholder output names `output_1`, `output_2`, ... for a list of predictions the
    model cannot name (a subclassed model's `call` returning a list). As in Keras, the
    logs then name a per-output loss by its loss (`mse_loss`) and a metric by itself."""


def _infer_output_names(y_pred, given):
    """Output names for predictions `y_pred`: the given ones if they fit, else dict keys or
    positional placeholders (`_PositionalNames`)."""
    if isinstance(y_pred, dict):
        return sorted(y_pred)
    count = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
    if given is not None and len(given) == count:
        return given if isinstance(given, _PositionalNames) else list(given)
    if count == 1:
        return ["output"]
    return _PositionalNames(f"output_{i + 1}" for i in range(count))


def _provisional_names(output_names, *specs):
    """The output names to use before the first batch. Models that cannot name their outputs
    before running (subclassed models) report the placeholder `["output"]`; a dict of
    losses or metrics then names the outputs, checked against the predictions later."""
    if list(output_names) == ["output"]:
        for spec in specs:
            if isinstance(spec, dict) and set(spec) != {"output"}:
                return sorted(spec)
    return list(output_names)


def _provisional_loss_names(output_names, loss, loss_weights):
    """`_provisional_names` for the losses, where a list of several entries (one per
    output) also tells how many outputs a subclassed model returns; the predictions
    confirm it on the first batch."""
    names = _provisional_names(output_names, loss, loss_weights)
    if names == ["output"]:
        for spec in (loss, loss_weights):
            if isinstance(spec, (list, tuple)) and len(spec) > 1:
                return _infer_output_names(list(spec), None)
    return names


def _per_output_spec(value, output_names, what):
    """One spec per output from a single spec, a list (one per output) or a dict by name."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError(
                f"compile(): `{what}` has keys {unknown} that do not correspond to any model "
                f"output. The model's outputs are named {output_names}."
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)):
        if len(value) == n:
            return list(value)
        raise ValueError(
            f"compile(): `{what}` is a list of {len(value)} entries but the model has {n} "
            f"output(s) {output_names}. Give one entry per output (None for an output without "
            "one), or a dict keyed by output name."
        )
    return [value] * n


def _nested_list_log_names(structure, layer_names):
    """Log names of outputs that are list items inside a dict of outputs: Keras names
    their losses by the output layer (`b/d/dense_2`) where kerasx keys them by index
    (`b/d/0`). A dict from kerasx's path name to Keras's; empty otherwise."""
    if not isinstance(structure, dict) or not layer_names:
        return {}
    paths = [path for path, _ in tree.flatten_with_path(structure)]
    if len(paths) != len(layer_names):
        return {}
    names = {}
    for path, layer in zip(paths, layer_names):
        if len(path) > 1 and isinstance(path[-1], int):
            names["/".join(str(key) for key in path)] = "/".join(
                [str(key) for key in path[:-1]] + [layer])
    return names


def _names_a_subtree(loss, output_names):
    """Whether a dict `loss` has a key naming several outputs at once (`"a"` for the
    outputs `a/0`, `a/1`): a loss for that part of the output structure."""
    return isinstance(loss, dict) and any(
        key not in output_names and any(name.startswith(f"{key}/") for name in output_names)
        for key in loss)


def _loss_log_name(loss):
    """The name Keras logs an unnamed output's loss under: the loss name given (`"mse"`)
    or the loss object's `name`."""
    return loss if isinstance(loss, str) else loss.name


# -- losses -------------------------------------------------------------------------------
def _is_crossentropy_alias(spec):
    return isinstance(spec, str) and spec.lower() in _CROSSENTROPY_NAMES


def resolve_alias(loss, y_true, y_pred):
    """The loss a deferred alias (`"crossentropy"`, kept as a string until the first
    batch) becomes for these targets and predictions; any other loss as it is."""
    return _loss_object(loss, y_true, y_pred) if _is_crossentropy_alias(loss) else loss


def _loss_object(spec, y_true=None, y_pred=None):
    """A `Loss` object for a name, function, class or object (None stays None; a list of
    one loss is that loss, as Keras reads `{"output_a": ["mse"]}`)."""
    if isinstance(spec, (list, tuple)) and len(spec) == 1:
        spec = spec[0]
    if spec is None:
        return None
    if _is_crossentropy_alias(spec):
        if y_pred is None:
            return spec  # resolved from the data's shapes on the first batch
        binary, sparse = _binary_or_sparse(y_true, y_pred)
        fn = (losses_module.binary_crossentropy if binary else
              losses_module.sparse_categorical_crossentropy if sparse else
              losses_module.categorical_crossentropy)
        return LossFunctionWrapper(fn, name=spec)
    if isinstance(spec, type) and issubclass(spec, Loss):
        return spec()
    loss = losses_module.get(spec)
    if isinstance(loss, Loss):
        return loss
    if not callable(loss):
        raise TypeError(
            f"compile(): could not interpret the loss {spec!r}. Pass a loss name such as 'mse', "
            "a kerasx.losses.Loss object, or a function f(y_true, y_pred)."
        )
    name = spec if isinstance(spec, str) else getattr(loss, "__name__", "loss")
    return LossFunctionWrapper(loss, name=name)


class CompileLoss:
    """The compiled training loss of a model with one or several outputs.

    Args:
        loss: one loss (applied to every output), a list with one per output,
            or a dict keyed by output name (None or a missing key: no loss
            for that output).
        loss_weights: a float (single output), a list or a dict of floats
            multiplying each output's loss in the total.
        output_names: the model's output names (`Model._output_names()`).
        outputs_known: False when the predictions the loss receives may not be
            the model's outputs (a custom `compute_loss`): a list of losses of
            another length is then checked on the first call.
    """

    def __init__(self, loss, loss_weights=None, output_names=("output",),
                 outputs_known=True, output_structure=None, layer_names=None):
        if loss_weights is not None and not isinstance(
                loss_weights, (int, float, list, tuple, dict)) or isinstance(loss_weights, bool):
            raise ValueError(
                "compile(): `loss_weights` must be a float (single output), a list or a dict "
                f"(one weight per output); received {loss_weights!r}."
            )
        self.name = "compile_loss"
        given_loss, given_weights = loss, loss_weights
        loss, loss_weights = _flat_spec(loss), _flat_spec(loss_weights)
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.metrics = []
        self.structured = None
        self._declared_names = list(output_names)
        self._log_names = _nested_list_log_names(output_structure, layer_names)
        names = _provisional_loss_names(output_names, loss, loss_weights)
        try:
            self._configure(names)
        except (ValueError, TypeError) as error:
            if is_structured(given_loss) or _names_a_subtree(given_loss, names):
                self._use_structure(given_loss, given_weights, output_structure, layer_names,
                                    error)
                return
            if isinstance(error, TypeError) or outputs_known or not (
                    isinstance(loss, (list, tuple)) and len(loss) != len(names)):
                raise
            # As Keras, checked on the first batch instead: a custom `compute_loss` may
            # split the model's outputs (`y_pred=[y_pred, y_pred]` for two losses).
            self._configure(_infer_output_names(list(loss), None))

    def _use_structure(self, loss, loss_weights, output_structure, layer_names, error):
        """Reads `loss` structurally (`struct_loss`), checked now against the model's
        output structure when the model knows it, else on the first batch."""
        self.structured = StructLoss(loss, loss_weights, layer_names, _loss_object)
        self.losses = []  # no loss per output: the trainer checks no labels against them
        self._built_for = None
        if output_structure is not None:
            probe = StructLoss(loss, loss_weights, layer_names,
                               lambda spec, y_true, y_pred: _loss_object(spec))
            try:
                probe.build(output_structure, output_structure)
            except LossPathError:
                raise
            except (ValueError, TypeError):
                raise error from None

    def _configure(self, output_names):
        self.output_names = output_names
        n = len(output_names)
        loss = self._user_loss
        if n == 1 and isinstance(loss, (list, tuple)) and len(loss) == 1:
            loss = loss[0]
        if n == 1 and isinstance(loss, dict) and len(loss) == 1 and output_names[0] not in loss:
            raise ValueError(
                f"compile(): `loss` has keys {sorted(loss)} that do not correspond to any model "
                f"output. The model's output is named {output_names}."
            )
        specs = _per_output_spec(loss, output_names, "loss")
        weights = self._user_loss_weights
        if weights is None:
            weights = [None] * n
        elif isinstance(weights, (int, float)):
            if n > 1:
                raise ValueError(
                    f"compile(): `loss_weights` is a single number but the model has {n} outputs "
                    f"{output_names}. Pass a list or a dict with one weight per output."
                )
            weights = [weights]
        else:
            weights = _per_output_spec(weights, output_names, "loss_weights")
        self._specs = specs
        self.losses = [_loss_object(s) for s in specs]
        self.loss_weights = [None if w is None else float(w) for w in weights]
        active = [name for name, s in zip(output_names, specs) if s is not None]
        if not active:
            raise ValueError(
                f"compile(): no output of {output_names} has a loss; `loss` was {self._user_loss!r}."
            )
        if isinstance(loss, dict):
            # Keras lists the per-output loss means in the order of the loss dict's keys
            active = [k for k in loss if k in active] + [k for k in active if k not in loss]
        positional = isinstance(output_names, _PositionalNames)
        losses_by_name = dict(zip(output_names, self.losses))
        log_names = {name: _loss_log_name(losses_by_name[name]) if positional
                     else self._log_names.get(name, name) for name in active}
        self._trackers_by_output = {
            name: Mean(name=f"{log_names[name]}_loss") for name in active} \
            if len(active) > 1 else {}
        self.metrics = list(self._trackers_by_output.values())
        for tracker in self.metrics:
            # Keras builds its per-output trackers inside the `compile_loss` name scope
            for variable in tracker.variables:
                variable.path = f"{self.name}/{variable.path}"
        self._built_for = None

    @property
    def trackers(self):
        """The per-output loss means, once a first call has built them (Keras's
        `model.metrics` lists them from then on)."""
        return self.metrics if self._built_for is not None else []

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.structured is not None:
            return self._call_structured(y_true, y_pred, sample_weight)
        y_true, y_pred = flat_paths(y_true), flat_paths(y_pred)
        sample_weight = flat_paths(sample_weight)
        names = self.output_names
        if isinstance(y_pred, dict) and sorted(y_pred) != sorted(names) or \
                (not isinstance(y_pred, dict) and
                 (len(y_pred) if isinstance(y_pred, (list, tuple)) else 1) != len(names)):
            self._configure(_infer_output_names(y_pred, self._declared_names))
            names = self.output_names
        self._built_for = names
        preds = _flat_outputs(y_pred, names, "the model's predictions")
        trues = self._labels(y_true, names)
        if sample_weight is None or not _is_nested(sample_weight):
            weights = [sample_weight] * len(names)
        else:
            weights = _flat_outputs(sample_weight, names, "sample_weight")
        total = None
        for i, spec in enumerate(self._specs):
            if spec is None:
                continue
            tracker = self._trackers_by_output.get(names[i])
            if trues[i] is None:
                raise ValueError(
                    f"Output {names[i]!r} has a loss but no target: y has no entry for it. Pass "
                    f"y as a list or dict covering every output with a loss ({names})."
                )
            loss = self.losses[i]
            if isinstance(loss, str):
                loss = self.losses[i] = _loss_object(loss, trues[i], preds[i])
            value = loss(trues[i], preds[i], weights[i])
            if tracker is not None:
                tracker.update_state(value, sample_weight=preds[i].shape[0])
            if self.loss_weights[i] is not None:
                value = ops.multiply(value, self.loss_weights[i])
            total = value if total is None else ops.add(total, value)
        return total

    def _call_structured(self, y_true, y_pred, sample_weight):
        struct = self.structured
        built = struct.entries is not None
        total = struct(y_true, y_pred, sample_weight)
        if not built:
            self.metrics = struct.metrics
            for tracker in self.metrics:
                for variable in tracker.variables:
                    variable.path = f"{self.name}/{variable.path}"
            self._built_for = True
        return total

    def per_output(self, y_true, y_pred):
        """`(targets, predictions)` as lists in output order (a missing target is None);
        raises a clear error when `y_true` does not match the model's outputs."""
        y_true, y_pred = flat_paths(y_true), flat_paths(y_pred)
        names = self.output_names
        if not isinstance(y_pred, dict) and (
                len(y_pred) if isinstance(y_pred, (list, tuple)) else 1) != len(names):
            names = _infer_output_names(y_pred, names)
        preds = _flat_outputs(y_pred, names, "the model's predictions")
        return self._labels(y_true, names), preds

    def _labels(self, y_true, names):
        if len(names) == 1 and not _is_nested(y_true):
            return [y_true]
        active = [i for i, s in enumerate(self._specs) if s is not None]
        if not _is_nested(y_true) and len(active) == 1 < len(names):
            # one target for the only output with a loss (`loss=[fn, None]`), as Keras
            y_true = [y_true]
        if isinstance(y_true, (list, tuple)):
            if len(y_true) == len(active) < len(names):
                # Targets given only for the outputs that have a loss (as Keras allows).
                out = [None] * len(names)
                for i, y in zip(active, y_true):
                    out[i] = y
                return out
        return _flat_outputs(y_true, names, "y")


# -- metrics ------------------------------------------------------------------------------
def _binary_or_sparse(y_true, y_pred):
    """Keras's rule for 'accuracy' and 'crossentropy': binary when the prediction has one
    unit; sparse when labels have lower rank (or one column against several units)."""
    p_shape = tuple(y_pred.shape)
    t_shape = tuple(y_true.shape) if y_true is not None else p_shape
    binary = p_shape[-1] == 1 if p_shape else True
    sparse = len(t_shape) < len(p_shape) or (
        bool(t_shape) and t_shape[-1] == 1 and bool(p_shape) and p_shape[-1] > 1)
    return binary, sparse


def _is_metric_like(spec):
    return spec is None or isinstance(spec, (str, Metric)) or callable(spec)


def _metric_object(spec, y_true, y_pred):
    """A `Metric` for a name, function, class or object, named as Keras names it."""
    if isinstance(spec, str) and spec.lower() in _ACCURACY_NAMES:
        binary, sparse = _binary_or_sparse(y_true, y_pred)
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
        self.output_names = _provisional_names(
            output_names, _flat_spec(metrics), _flat_spec(weighted_metrics))
        self._prefixes = list(prefixes) if prefixes else None
        metrics, weighted_metrics = (_per_item_spec(_flat_spec(value), self.output_names)
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
        return bool(self._user_metrics or self._user_weighted_metrics)

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
        names = self.output_names
        if isinstance(y_pred, dict) or (
                (len(y_pred) if isinstance(y_pred, (list, tuple)) else 1) != len(names)):
            names = self.output_names = _infer_output_names(y_pred, names)
        preds = _flat_outputs(y_pred, names, "the model's predictions")
        # without metrics the targets' structure is the loss's business (`loss=[fn, None]`
        # takes one target for two outputs)
        trues = (_flat_outputs(y_true, names, "y")
                 if self._user_metrics or self._user_weighted_metrics else [None] * len(names))
        multi = len(names) > 1 and not isinstance(names, _PositionalNames) and not anonymous
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
        preds = _flat_outputs(y_pred, names, "the model's predictions")
        trues = _flat_outputs(y_true, names, "y")
        if sample_weight is None or not _is_nested(sample_weight):
            weights = [sample_weight] * len(names)
        else:
            weights = _flat_outputs(sample_weight, names, "sample_weight")
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
