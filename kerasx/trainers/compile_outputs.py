"""How the compiled losses and metrics find a model's outputs in a batch.

Output names are the keys of a model's dict outputs, else the names of the layers
producing the outputs (`Model._output_names()`). A dict of outputs that nests dicts or
lists is read as one flat dict keyed by "/"-joined paths (`flat_paths`), and so are the
loss, loss-weight and metric dicts (`flat_spec`); `flat_outputs` picks each output's
entry from the predictions, labels or sample weights. Outputs a model cannot name (a
subclassed model's `call` returning a list) get placeholder names (`PositionalNames`),
and a model that names its outputs only when it runs is given provisional names by the
loss or metric dicts (`provisional_names`), unless they return a list, which such a dict
cannot name (`check_dict_specs_for_unnamed`). `binary_or_sparse` is Keras's rule, read
from an output's shapes, behind `"accuracy"` and `"crossentropy"`.
"""


def is_nested(x):
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


def flat_spec(spec):
    """A loss, loss-weight or metric dict nesting dicts, keyed by "/"-joined paths as
    `flat_paths` keys the outputs (lists stay: they list metrics, or one loss)."""
    if not isinstance(spec, dict) or not any(isinstance(v, dict) for v in spec.values()):
        return spec
    flat = {}
    for key, value in spec.items():
        if isinstance(value, dict):
            for sub, item in flat_spec(value).items():
                flat[f"{key}/{sub}"] = item
        else:
            flat[key] = value
    return flat


def per_item_spec(spec, output_names):
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


def flat_outputs(structure, output_names, what):
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


class PositionalNames(list):
    """Placeholder output names `output_1`, `output_2`, ... for a list of predictions the
    model cannot name (a subclassed model's `call` returning a list). As in Keras, the
    logs then name a per-output loss by its loss (`mse_loss`) and a metric by itself."""


def placeholder_names(count):
    """The names `output_1`, `output_2`, ... that `PositionalNames` gives `count` outputs."""
    return [f"output_{i + 1}" for i in range(count)]


def check_dict_specs_for_unnamed(y_pred, declared_names, specs):
    """Raises a clear error where a dict of `specs` (`(argument name, value)` pairs) is
    keyed by names the outputs do not have: a model that cannot name its outputs
    (`declared_names == ["output"]`) whose predictions are a list or tuple of several.
    Pairing the keys with the outputs by sorted order could silently give an output
    another output's loss; the placeholder keys `output_1`, `output_2`, ... still work."""
    if list(declared_names) != ["output"] or not isinstance(y_pred, (list, tuple)) \
            or len(y_pred) < 2:
        return
    placeholders = placeholder_names(len(y_pred))
    for what, spec in specs:
        if isinstance(spec, dict) and not set(spec) <= set(placeholders):
            raise ValueError(
                f"compile(): `{what}` is a dict with keys {sorted(spec)}, but the model "
                f"returns a {type(y_pred).__name__} of {len(y_pred)} outputs, which have no "
                "names: the keys cannot be matched to the outputs (their order says nothing "
                f"about the order of the outputs). Pass `{what}` as a list in the order the "
                f"model's `call()` returns its outputs, key the dict by {placeholders} "
                "(the outputs in that order), or return a dict from `call()` keyed by the "
                f"names you use.{_sorted_pairing_hint(what, spec, placeholders)}"
            )


def _sorted_pairing_hint(what, spec, placeholders):
    """For code written against Keras, which pairs the sorted keys with the outputs by
    position: the list that keeps that pairing, when there is one key per output."""
    if len(spec) != len(placeholders):
        return ""
    keys = sorted(spec)
    pairs = ", ".join(f"{key!r} -> {name}" for key, name in zip(keys, placeholders))
    return (f" Pairing the sorted keys with the outputs by position ({pairs}) is what "
            f"{what}={[spec[key] for key in keys]!r} does, if that pairing is the one meant.")


def infer_output_names(y_pred, given):
    """Output names for predictions `y_pred`: the given ones if they fit, else dict keys or
    positional placeholders (`PositionalNames`)."""
    if isinstance(y_pred, dict):
        return sorted(y_pred)
    count = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
    if given is not None and len(given) == count:
        return given if isinstance(given, PositionalNames) else list(given)
    if count == 1:
        return ["output"]
    return PositionalNames(placeholder_names(count))


def provisional_names(output_names, *specs):
    """The output names to use before the first batch. Models that cannot name their outputs
    before running (subclassed models) report the placeholder `["output"]`; a dict of
    losses or metrics then names the outputs, checked against the predictions later."""
    if list(output_names) == ["output"]:
        for spec in specs:
            if isinstance(spec, dict) and set(spec) != {"output"}:
                return sorted(spec)
    return list(output_names)


def binary_or_sparse(y_true, y_pred):
    """Keras's rule for 'accuracy' and 'crossentropy': binary when the prediction has one
    unit; sparse when labels have lower rank (or one column against several units)."""
    p_shape = tuple(y_pred.shape)
    t_shape = tuple(y_true.shape) if y_true is not None else p_shape
    binary = p_shape[-1] == 1 if p_shape else True
    sparse = len(t_shape) < len(p_shape) or (
        bool(t_shape) and t_shape[-1] == 1 and bool(p_shape) and p_shape[-1] > 1)
    return binary, sparse
