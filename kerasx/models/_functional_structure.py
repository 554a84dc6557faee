"""The structures given to `Model(inputs, outputs)`.

Checks that `inputs` and `outputs` hold only symbolic tensors, gives Keras's warning for
a dict of inputs whose keys are not their tensors' names, names the leaves of nested
dicts by "/"-joined key paths (the names losses and inputs go by), and turns a list back
into the tuple or namedtuple type a model was given.
"""

from kerasx.layers.core._nested_structure import flatten
from kerasx.layers.core.keras_tensor import KerasTensor


def as_kind(kind, items):
    """The list `items` as the tuple or namedtuple type `kind` (None: left a list)."""
    if kind is None:
        return items
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def is_nested_dict(struct):
    """Whether a dict of inputs holds further dicts or lists (`{"1": x, "others": {...}}`)."""
    return isinstance(struct, dict) and any(isinstance(v, (dict, list, tuple))
                                            for v in struct.values())


def leaf_paths(struct, prefix=""):
    """"/"-joined key paths of a nested structure's leaves, in `flatten`'s order."""
    if isinstance(struct, dict):
        items = [(str(k), struct[k]) for k in sorted(struct)]
    elif isinstance(struct, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(struct)]
    else:
        return [prefix]
    return [path for key, value in items
            for path in leaf_paths(value, f"{prefix}/{key}" if prefix else key)]


def warn_dict_key_names(inputs):
    """Keras's warning for a dict of inputs whose keys are not the names of their `Input`s
    (the model is then called with the keys; the tensors' names go unused)."""
    if not isinstance(inputs, dict):
        return
    import warnings

    for key, tensor in inputs.items():
        name = getattr(tensor, "name", None)
        if isinstance(tensor, KerasTensor) and name != key:
            warnings.warn(
                "When providing `inputs` as a dict, all keys in the dict must match the names "
                f"of the corresponding tensors. Received key {key!r} mapping to a tensor which "
                f"has name {name!r}. Change the tensor name to {key!r} (via "
                f"`Input(..., name={key!r})`)", stacklevel=3)


def check_structure(structure, what):
    leaves = flatten(structure)
    if not leaves and what == "inputs":
        raise ValueError("Model(inputs, outputs) needs at least one input; received inputs=[].")
    for leaf in leaves:
        if not isinstance(leaf, KerasTensor):
            shape = getattr(leaf, "shape", None)
            shown = f" of shape {tuple(shape)}" if shape is not None else f": {leaf!r:.200}"
            raise ValueError(
                f"Model(inputs, outputs) expects symbolic tensors (from kerasx.Input and layer "
                f"calls) in `{what}`, but received {type(leaf).__name__}{shown}. Build the "
                "graph by calling layers on kerasx.Input(...) tensors."
            )
