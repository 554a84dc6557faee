"""Losses given to `compile` as a structure that follows the model's outputs ("struct
losses", as Keras 3 reads them).

Where the per-output reading of `compile_loss.CompileLoss` (one loss per output) does
not fit the `loss` argument, it is read as Keras does:

- a leaf of `loss` (a name, function or `Loss`) applies at its place in the output
  structure; when that place holds several outputs (a dict, a list), the loss receives
  them as that structure (`loss={"a": fn}` calls `fn(y_true["a"], y_pred["a"])`);
- a list of losses where the predictions at that place are not a list of that many
  outputs adds every loss of the list there (`loss=["mse", ["mse", "mae"]]` gives the
  second output two losses, summed);
- dicts, lists, tuples and namedtuples of losses are walked along the predictions of
  the same kind; a key or index the predictions lack is an error (`LossPathError`).

`loss_weights` has the structure of `loss` (or as many entries, in its flattened
order). Each loss is logged under its path ("a/c"), an output that is a list item under
its layer's name, a loss over the whole output structure under the output names
joined by "_"; with several losses each gets a `Mean` named `<name>_loss`, as Keras.
"""

import collections

from kerasx import ops, tree
from kerasx.metrics.reduction_metrics import Mean

_Entry = collections.namedtuple("_Entry", ["path", "loss", "weight", "name"])


class LossPathError(KeyError, ValueError):
    """A place in `loss` that the model's outputs (or the labels) do not have. A
    `KeyError` as in Keras, and a `ValueError` as kerasx's other `compile` errors."""

    def __str__(self):
        return str(self.args[0])


class _Weighted:
    """One loss of the structure with its weight (a leaf for `kerasx.tree`)."""

    def __init__(self, loss, weight):
        self.loss = loss
        self.weight = weight


def is_structured(loss):
    """Whether `loss` nests containers (a list or dict inside a list or dict), the form
    only the structural reading accepts."""
    if isinstance(loss, dict):
        inner = loss.values()
    elif isinstance(loss, (list, tuple)):
        inner = loss
    else:
        return False
    return any(isinstance(item, (list, tuple, dict)) for item in inner)


def _pair_weights(loss, loss_weights):
    def pair(spec, weight=None):
        return None if spec is None else _Weighted(spec, weight)

    if loss_weights is None:
        return tree.map_structure(pair, loss)
    try:
        tree.assert_same_structure(loss, loss_weights)
    except (ValueError, TypeError):
        flat_weights = tree.flatten(loss_weights)
        count = len(tree.flatten(loss))
        if count != len(flat_weights):
            raise ValueError(
                f"compile(): `loss_weights` must match the number of losses: `loss` holds "
                f"{count} losses ({loss!r}) but `loss_weights` has {len(flat_weights)} "
                f"weights ({loss_weights!r}). Give one weight per loss, in the structure of "
                "`loss`."
            ) from None
        loss_weights = tree.pack_sequence_as(loss, flat_weights)
    return tree.map_structure(pair, loss, loss_weights)


def _loss_name(loss):
    return loss if isinstance(loss, str) else loss.name


def _as_labels_of(y_true, y_pred, output_names, user_loss):
    """`y_true` in the structure of `y_pred` (a list for list outputs given as a dict by
    output name, labels only for the outputs that have a loss, ...), as Keras pairs them."""
    try:
        tree.assert_same_structure(y_pred, y_true)
        return y_true
    except (ValueError, TypeError):
        pass
    if not tree.is_nested(y_true) and isinstance(y_pred, (list, tuple)) and len(y_pred) == 1:
        y_true = [y_true]
    elif isinstance(y_pred, (list, tuple)) and isinstance(y_true, dict) and output_names \
            and set(output_names) == set(y_true):
        y_true = [y_true[name] for name in output_names]
    flat_true, flat_pred = tree.flatten(y_true), tree.flatten(y_pred)
    if len(flat_true) == len(flat_pred) and _repackable(y_true, y_pred):
        return tree.pack_sequence_as(y_pred, flat_true)
    flat_loss = tree.flatten(user_loss)
    with_loss = [i for i, spec in enumerate(flat_loss) if spec is not None]
    if len(flat_loss) == len(flat_pred) and len(with_loss) == len(flat_true):
        # labels given only for the outputs that have a loss
        placed = [None] * len(flat_pred)
        for i, label in zip(with_loss, flat_true):
            placed[i] = label
        return tree.pack_sequence_as(y_pred, placed)
    shape_of = lambda s: tree.map_structure(lambda _: "*", s)  # noqa: E731
    raise ValueError(
        "y_true and y_pred have different structures: the labels are "
        f"{shape_of(y_true)} but the model's outputs are {shape_of(y_pred)}. Pass labels "
        "in the structure of the outputs."
    )


def _repackable(y_true, y_pred):
    """Whether labels can take the outputs' structure leaf for leaf: a flat list of them,
    or the same paths in other containers (a tuple for a list). Dicts keyed otherwise
    cannot: their keys would be paired by sorted position."""
    if isinstance(y_true, (list, tuple)) and not any(tree.is_nested(y) for y in y_true):
        return True
    try:
        tree.assert_same_paths(y_true, y_pred)
    except (ValueError, TypeError):
        return False
    return True


class StructLoss:
    """The compiled loss for a structured `loss` (see the module docstring).

    Args:
        loss, loss_weights: as given to `compile`.
        output_names: the model's output names in flattened output order (Keras's
            `model.output_names`: the layers' names), or None when the model cannot
            name them (a subclassed model).
        make_loss: turns a loss spec into a `Loss` object, given labels and
            predictions (`"crossentropy"` reads their shapes).
    """

    def __init__(self, loss, loss_weights, output_names, make_loss):
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.output_names = list(output_names) if output_names else None
        self._make_loss = make_loss
        self.entries = None
        self.metrics = []

    def build(self, y_true, y_pred):
        """Reads the structure against these labels and predictions; raises
        `LossPathError` / `ValueError` where they do not fit."""
        loss, weights = self._user_loss, self._user_loss_weights
        names = self.output_names
        if names and isinstance(loss, dict) and not isinstance(y_pred, dict):
            if set(loss) != set(names):
                raise LossPathError(
                    f"compile(): `loss` is a dict with keys {sorted(loss)} but the model's "
                    f"outputs are a {type(y_pred).__name__} named {names}. Key the dict by "
                    "these names, or give a list in output order."
                )
            loss = [loss[name] for name in names]
            if isinstance(weights, dict):
                weights = [weights.get(name) for name in names]
        paired = _pair_weights(loss, weights)
        count = len(tree.flatten(y_pred))
        flat_names = names if names and len(names) == count else [None] * count
        packed_names = tree.pack_sequence_as(y_pred, flat_names)
        if not tree.is_nested(paired):
            paired = tree.map_structure(lambda _: paired, y_pred)
        entries = []
        self._walk(y_true, y_pred, paired, packed_names, (), entries)
        self.entries = entries

    def _walk(self, y_true, y_pred, spec, names, path, entries):
        if not tree.is_nested(spec):
            if spec is None:
                return
            loss = self._make_loss(spec.loss, y_true, y_pred)
            name_path = path
            if not tree.is_nested(names):
                label = names if names is not None else _loss_name(loss)
                if not path:
                    name_path = (label,)
                elif isinstance(path[-1], int):
                    name_path = path[:-1] + (label,)
            name = "/".join(str(key) for key in name_path)
            if not name:
                name = "_".join(str(key) for key in (
                    list(names) if isinstance(names, dict) else tree.flatten(names)))
            entries.append(_Entry(path, loss, spec.weight, name))
            return
        if isinstance(spec, (list, tuple)) and len(spec) == len(tree.flatten(y_pred)) and \
                not any(tree.is_nested(item) for item in spec):
            spec = tree.pack_sequence_as(y_pred, list(spec))
        elif isinstance(spec, (list, tuple)) and not isinstance(y_pred, type(spec)):
            for item in spec:  # several losses at this place, summed
                self._walk(y_true, y_pred, item, names, path, entries)
            return
        if not tree.is_nested(spec):
            return self._walk(y_true, y_pred, spec, names, path, entries)
        if not isinstance(spec, type(y_pred)):
            raise LossPathError(
                f"The path {path} in the `loss` argument can't be found in the model's output "
                f"(`y_pred`): `loss` holds a {type(spec).__name__} there, where the output "
                f"{_describe(y_pred)}. Give `loss` the structure of the outputs."
            )
        is_dict = isinstance(spec, dict)
        for key, item in (spec.items() if is_dict else enumerate(spec)):
            if item is None:
                continue
            for what, value in (("the model's output (y_pred)", y_pred), ("the labels (y_true)",
                                                                          y_true)):
                found = key in value if is_dict else (
                    isinstance(value, (list, tuple)) and key < len(value))
                if not (found and isinstance(value, dict) == is_dict):
                    raise LossPathError(
                        f"The path {path + (key,)} in the `loss` argument can't be found in "
                        f"{what}, which at {path} {_describe(value)}. Give `loss` the "
                        "structure of the outputs."
                    )
            self._walk(y_true[key], y_pred[key], item, names[key], path + (key,), entries)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true = _as_labels_of(y_true, y_pred, self.output_names, self._user_loss)
        if self.entries is None:
            self.build(y_true, y_pred)
            self.metrics = ([Mean(name=f"{entry.name}_loss") for entry in self.entries]
                            if len(self.entries) > 1 else [])
        total = None
        trackers = self.metrics or [None] * len(self.entries)
        for (path, loss, weight, _), tracker in zip(self.entries, trackers):
            target, pred = _at(y_true, path), _at(y_pred, path)
            weights = _at(sample_weight, path) if tree.is_nested(sample_weight) else sample_weight
            value = loss(target, pred, weights)
            if tracker is not None:
                tracker.update_state(value, sample_weight=tree.flatten(pred)[0].shape[0])
            if weight is not None:
                value = ops.multiply(value, weight)
            total = value if total is None else ops.add(total, value)
        return total


def _describe(structure):
    if not tree.is_nested(structure):
        return "is a single tensor"
    return f"has the structure {tree.map_structure(lambda _: '*', structure)}"


def _at(structure, path):
    for key in path:
        structure = structure[key]
    return structure
