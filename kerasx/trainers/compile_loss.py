"""What `compile` turns its `loss` and `loss_weights` into: `CompileLoss`.

`CompileLoss` is the total training loss: one loss per model output (a single
loss applies to every output), each multiplied by its weight and summed. With
more than one loss it also keeps a `Mean` per output, named `<output>_loss`.
A per-output loss of an output the model cannot name is logged as Keras 3 logs it:
under its loss's name (`mse_loss`, two outputs with the same loss sharing one log key);
an output that is a list item has its loss logged under its layer's name
(`b/d/dense_1_loss`), as Keras.

A `loss` nesting lists or dicts the per-output reading cannot take (several losses for
one output, a loss over a part of the output structure) is read structurally, as Keras
reads it: `struct_loss.StructLoss`.

Interface used by the trainer: `CompileLoss(loss, loss_weights, output_names)`
is called as `compile_loss(y_true, y_pred, sample_weight)`; `.losses` holds one
loss object per output (None where an output has no loss) and `.metrics`
(alias `.trackers`) the per-output loss means.
"""

from kerasx import losses as losses_module
from kerasx import ops, tree
from kerasx.losses.loss import Loss, LossFunctionWrapper
from kerasx.metrics.reduction_metrics import Mean
from kerasx.trainers.compile_outputs import (PositionalNames, binary_or_sparse,
                                             check_dict_specs_for_unnamed, flat_outputs,
                                             flat_paths, flat_spec, infer_output_names,
                                             is_nested, provisional_names)
from kerasx.trainers.struct_loss import LossPathError, StructLoss, is_structured

_CROSSENTROPY_NAMES = ("crossentropy", "ce")


def _provisional_loss_names(output_names, loss, loss_weights):
    """`provisional_names` for the losses, where a list of several entries (one per
    output) also tells how many outputs a subclassed model returns; the predictions
    confirm it on the first batch."""
    names = provisional_names(output_names, loss, loss_weights)
    if names == ["output"]:
        for spec in (loss, loss_weights):
            if isinstance(spec, (list, tuple)) and len(spec) > 1:
                return infer_output_names(list(spec), None)
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


def _check_dict_covers_list_outputs(loss, output_structure, output_names):
    """Keras's rule for a dict loss on a model whose outputs are a list (or tuple) of
    tensors: it names every output (None for one trained without a loss). For outputs in
    a dict, a missing key means no loss for that output."""
    if not isinstance(loss, dict) or not isinstance(output_structure, (list, tuple)):
        return
    missing = [name for name in output_names if name not in loss]
    if missing and all(key in output_names for key in loss):
        raise ValueError(
            f"compile(): the `loss` dict has keys {list(loss)} but the model's outputs, a "
            f"list, are named {list(output_names)}: the outputs {missing} have no entry. Give "
            f"every output a key, e.g. loss={{..., {missing[0]!r}: None}} for an output "
            "trained without a loss, or pass a list with one loss per output.")


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
        binary, sparse = binary_or_sparse(y_true, y_pred)
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
        loss, loss_weights = flat_spec(loss), flat_spec(loss_weights)
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.metrics = []
        self.structured = None
        self._declared_names = list(output_names)
        self._log_names = _nested_list_log_names(output_structure, layer_names)
        names = _provisional_loss_names(output_names, loss, loss_weights)
        if outputs_known:
            _check_dict_covers_list_outputs(loss, output_structure, names)
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
            self._configure(infer_output_names(list(loss), None))

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
        positional = isinstance(output_names, PositionalNames)
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
        self._check_dict_specs(y_pred)
        names = self.output_names
        if self._names_differ(y_pred, names):
            self._configure(infer_output_names(y_pred, self._declared_names))
            names = self.output_names
        self._built_for = names
        preds = flat_outputs(y_pred, names, "the model's predictions")
        trues = self._labels(y_true, names)
        if sample_weight is None or not is_nested(sample_weight):
            weights = [sample_weight] * len(names)
        else:
            weights = flat_outputs(sample_weight, names, "sample_weight")
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
        self._check_dict_specs(y_pred)
        names = self.output_names
        if self._names_differ(y_pred, names):
            names = infer_output_names(y_pred, names)
        preds = flat_outputs(y_pred, names, "the model's predictions")
        return self._labels(y_true, names), preds

    def _names_differ(self, y_pred, names):
        """Whether the predictions are not those `names` were read for: a dict with other
        keys (a subclassed model given a list of losses names its outputs by the sorted
        keys, as Keras), another number of outputs, or unnamed outputs given names by a
        dict keyed `output_1`, `output_2`, ... (their losses are then logged as Keras
        logs a list of losses)."""
        if isinstance(y_pred, dict):
            return sorted(y_pred) != sorted(names)
        if isinstance(y_pred, (list, tuple)) and len(y_pred) > 1 and \
                self._declared_names == ["output"] and not isinstance(names, PositionalNames):
            return True
        return (len(y_pred) if isinstance(y_pred, (list, tuple)) else 1) != len(names)

    def _check_dict_specs(self, y_pred):
        check_dict_specs_for_unnamed(y_pred, self._declared_names, (
            ("loss", self._user_loss), ("loss_weights", self._user_loss_weights)))

    def _labels(self, y_true, names):
        if len(names) == 1 and not is_nested(y_true):
            return [y_true]
        active = [i for i, s in enumerate(self._specs) if s is not None]
        if not is_nested(y_true) and len(active) == 1 < len(names):
            # one target for the only output with a loss (`loss=[fn, None]`), as Keras
            y_true = [y_true]
        if isinstance(y_true, (list, tuple)):
            if len(y_true) == len(active) < len(names):
                # Targets given only for the outputs that have a loss (as Keras allows).
                out = [None] * len(names)
                for i, y in zip(active, y_true):
                    out[i] = y
                return out
        return flat_outputs(y_true, names, "y")
