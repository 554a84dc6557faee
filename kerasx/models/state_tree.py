"""A model's whole state as nested dicts (`Model.get_state_tree` / `set_state_tree`).

The tree has Keras 3's four sections, `trainable_variables`, `non_trainable_variables`,
`optimizer_variables` and `metrics_variables`; inside each, a variable sits under its
path split at "/" (`{"sequential": {"dense": {"kernel": ...}}}`).
"""

SECTIONS = ("trainable_variables", "non_trainable_variables", "optimizer_variables",
            "metrics_variables")


def _section_variables(model):
    optimizer = getattr(model, "optimizer", None)
    return {
        "trainable_variables": list(model.trainable_variables),
        "non_trainable_variables": list(model.non_trainable_variables),
        "optimizer_variables": list(optimizer.variables) if optimizer is not None else [],
        "metrics_variables": [v for metric in model.metrics for v in metric.variables],
    }


def get_state_tree(model, value_format="backend_tensor"):
    """The state tree of `model`: leaves are backend arrays (`"backend_tensor"`), NumPy
    arrays (`"numpy_array"`) or Python lists (`"python_list"`)."""
    formats = ("backend_tensor", "numpy_array", "python_list")
    if value_format not in formats:
        raise ValueError(f"get_state_tree: value_format must be one of {list(formats)}; "
                         f"received {value_format!r}.")
    tree = {}
    for section, variables in _section_variables(model).items():
        node = tree.setdefault(section, {})
        for variable in variables:
            value = variable.value
            if value_format != "backend_tensor":
                value = variable.numpy()
                if value_format == "python_list":
                    value = value.tolist()
            _place(node, variable.path, value, section)
    return tree


def set_state_tree(model, state_tree):
    """Assigns the values of `state_tree` (as `get_state_tree` returns it; sections and
    variables may be left out) to `model`'s variables, each checked against its shape
    first, so that a bad tree changes nothing."""
    if not isinstance(state_tree, dict):
        raise ValueError(f"set_state_tree expects a dict of sections; received "
                         f"{type(state_tree).__name__}.")
    unknown = sorted(set(state_tree) - set(SECTIONS))
    if unknown:
        raise ValueError(f"set_state_tree: unknown sections {unknown}; expected some of "
                         f"{list(SECTIONS)}.")
    from kerasx.backends import current

    backend = current()
    assignments = []
    sections = _section_variables(model)
    for section, subtree in state_tree.items():
        by_path = {v.path: v for v in sections[section]}
        for path, value in _leaves(subtree):
            variable = by_path.get(path)
            if variable is None:
                raise ValueError(f"set_state_tree: {section} of the model have no variable at "
                                 f"{path!r}; its paths are {sorted(by_path)}.")
            array = backend.asarray(value, dtype=variable.dtype)
            if tuple(array.shape) != tuple(variable.shape):
                raise ValueError(f"set_state_tree: {path!r} in {section} has shape "
                                 f"{tuple(variable.shape)}; the tree gives "
                                 f"{tuple(array.shape)}.")
            assignments.append((variable, array))
    for variable, array in assignments:
        variable.assign(array)


def _place(node, path, value, section):
    *parents, leaf = path.split("/")
    for part in parents:
        node = node.setdefault(part, {})
    if leaf in node:
        raise ValueError(  # Keras's first sentence
            f"The following variable path is found twice in the model: {path!r}. "
            f"get_state_tree: two variables of {section} share it; give your layers (and "
            "other objects holding variables) unique names.")
    node[leaf] = value


def _leaves(tree, prefix=()):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, prefix + (key,))
        else:
            yield "/".join(prefix + (key,)), value
