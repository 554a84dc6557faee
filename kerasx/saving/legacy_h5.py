"""Reading weights from legacy Keras 2 HDF5 files (`.h5`), as the pretrained
weights of `keras.applications` are stored.

The layout: the root (or its `model_weights` group, in a whole-model file) has
the attribute `layer_names`; each name is a group whose attribute `weight_names`
lists its datasets (paths such as `conv1/kernel:0`) in the layer's weight order,
trainable weights first, then non-trainable ones. Long attribute lists are split
over `layer_names0`, `layer_names1`, ...

Weights are matched to the model as Keras's `load_weights` does for `.h5`
files: in topological order (the file's layers with weights against the
model's layers with weights), or by layer name. Loading is all-or-nothing:
every count and shape is checked and every array read before the first
variable is assigned.
"""

import warnings

from kerasx.saving.h5_weights import WeightsMismatchError, import_h5py

_NUMERIC_KINDS = "biuf"


def is_legacy_h5(h5file):
    """True when the open `h5py.File` is in the legacy Keras 2 layout."""
    return "layer_names" in h5file.attrs or "layer_names0" in h5file.attrs \
        or "model_weights" in h5file


def read_attribute_list(group, name):
    """The strings of attribute `name` of `group`, joined over its chunks `name0`, `name1`..."""
    if name in group.attrs:
        chunks = [group.attrs[name]]
    else:
        chunks, i = [], 0
        while f"{name}{i}" in group.attrs:
            chunks.append(group.attrs[f"{name}{i}"])
            i += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v)
            for chunk in chunks for v in chunk]


def legacy_weights(layer):
    """A layer's variables in the legacy order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def load_legacy_h5_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Loads a legacy Keras 2 `.h5` weights (or whole-model) file into `model`.

    Args:
        model: a built model.
        filepath: the `.h5` file.
        by_name: match layers by name (layers of the model absent from the file
            keep their weights) instead of by topological order.
        skip_mismatch: skip, with a warning, the layers whose weights do not
            fit instead of raising.

    Raises:
        WeightsMismatchError: when the file does not fit the model (nothing is
            loaded then).
    """
    h5py = import_h5py()
    path = str(filepath)
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise ValueError(f"Could not read weights file {path!r} ({e}): it is not an HDF5 "
                         "file, or it is truncated or corrupted.") from None
    with f:
        root = f
        if "layer_names" not in f.attrs and "model_weights" in f:
            root = _group(h5py, f, "model_weights")
        if not is_legacy_h5(root):
            raise ValueError(f"{path!r} is not a legacy Keras 2 HDF5 weights file (its root has "
                             "no `layer_names` attribute). Load `.weights.h5` files with "
                             "model.load_weights(path).")
        load_weights_from_legacy_group(h5py, root, model, by_name, skip_mismatch,
                                       source=repr(path))


def load_weights_from_legacy_group(h5py, group, model, by_name=False, skip_mismatch=False,
                                   source="the file"):
    """Loads `model`'s weights from the legacy group `group` (see the module doc)."""
    saved = []  # (layer name in the file, list of datasets), layers with weights only
    for name in read_attribute_list(group, "layer_names"):
        layer_group = _group(h5py, group, name)
        datasets = [_dataset(h5py, layer_group, w)
                    for w in read_attribute_list(layer_group, "weight_names")]
        if datasets or by_name:
            saved.append((name, datasets))
    if "top_level_model_weights" in group and read_attribute_list(
            _group(h5py, group, "top_level_model_weights"), "weight_names"):
        raise WeightsMismatchError(
            f"{source} holds weights of the model object itself (`top_level_model_weights`, "
            "from a subclassed model), which kerasx does not load from legacy files; save "
            "them with Keras 3 as `.weights.h5` instead.")
    if by_name:
        pairs = _pairs_by_name(model, saved)
    else:
        pairs = _pairs_in_order(model, saved, source)
    problems, plan = [], []
    for layer, saved_name, datasets in pairs:
        variables = legacy_weights(layer)
        found = _problems(variables, datasets)
        if found:
            problems.append(f"layer {layer.name!r} (file layer {saved_name!r}): {found}")
        else:
            plan.extend(zip(variables, datasets))
    if problems:
        message = (f"The weights in {source} do not match model {model.name!r}:\n  - "
                   + "\n  - ".join(problems))
        if not skip_mismatch:
            raise WeightsMismatchError(message + "\nLoad them into a model of the architecture "
                                       "that saved them, or pass skip_mismatch=True.")
        warnings.warn(message + "\nThese layers were skipped (skip_mismatch=True).",
                      stacklevel=3)
    arrays = [(var, _read(ds)) for var, ds in plan]
    _assign(arrays)


def read_weights_group(h5py, parent, name):
    """`(weight names, arrays)` of the group `name` of `parent`, as `write_weights_group`
    writes it (an optimizer's `optimizer_weights`)."""
    group = _group(h5py, parent, name)
    names = read_attribute_list(group, "weight_names")
    return names, [_read(_dataset(h5py, group, n)) for n in names]


def _pairs_in_order(model, saved, source):
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    if len(layers) != len(saved):
        raise WeightsMismatchError(
            f"Layer count mismatch when loading weights from {source}: model {model.name!r} "
            f"has {len(layers)} layers with weights, the file holds {len(saved)}. Load them "
            "into a model of the architecture that saved them (or pass by_name=True).")
    return [(layer, name, datasets) for layer, (name, datasets) in zip(layers, saved)]


def _pairs_by_name(model, saved):
    index = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    return [(layer, name, datasets) for name, datasets in saved for layer in index.get(name, [])]


def _problems(variables, datasets):
    if len(variables) != len(datasets):
        return (f"expected {len(variables)} weights {[tuple(v.shape) for v in variables]}, "
                f"found {len(datasets)} {[tuple(d.shape) for d in datasets]}")
    bad = [f"{v.path} has shape {tuple(v.shape)} but {d.name} has {tuple(d.shape)}"
           for v, d in zip(variables, datasets) if tuple(v.shape) != tuple(d.shape)]
    bad += [f"{d.name} holds non-numeric data ({d.dtype})" for d in datasets
            if d.dtype.kind not in _NUMERIC_KINDS]
    return "; ".join(bad)


def _group(h5py, parent, name):
    current = parent
    for part in name.split("/"):
        if not part or part not in current:
            raise ValueError(f"The weights file has no group {name!r} under {parent.name!r}: "
                             "it is damaged or not a Keras weights file.")
        link = current.get(part, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            raise ValueError(f"Refusing {type(link).__name__} {name!r} in the weights file.")
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise ValueError(f"{current.name!r} in the weights file is not a group.")
    return current


def _dataset(h5py, group, name):
    parent, _, leaf = name.rpartition("/")
    holder = _group(h5py, group, parent) if parent else group
    if leaf not in holder:
        raise ValueError(f"The weights file lists weight {name!r} of {group.name!r} but has no "
                         "such dataset: it is damaged.")
    link = holder.get(leaf, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"Refusing {type(link).__name__} {name!r} in the weights file.")
    ds = holder[leaf]
    if not isinstance(ds, h5py.Dataset) or ds.external or ds.is_virtual:
        raise ValueError(f"{ds.name!r} in the weights file is not a plain dataset (external "
                         "and virtual datasets are refused).")
    return ds


def _read(dataset):
    try:
        return dataset[()]
    except Exception as e:  # h5py raises OSError / KeyError subclasses for damaged data
        raise ValueError(f"Could not read dataset {dataset.name!r} from the weights file: {e}. "
                         "The file is damaged or truncated; nothing was loaded.") from None


def _assign(arrays):
    from kerasx.backends import current

    backend = current()
    for var, array in arrays:
        var.assign(backend.asarray(array, dtype=var.dtype))


# -- writing -----------------------------------------------------------------------------
# HDF5 object headers hold at most this many bytes: longer attribute lists are split
_HEADER_LIMIT = 64512


def write_attribute_list(group, name, strings):
    """Writes `strings` as attribute `name`, or over `name0`, `name1`... when too long."""
    values = [s.encode("utf8") for s in strings]
    too_long = [s for s in strings if len(s.encode("utf8")) > _HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot write the names {too_long!r}: HDF5 attributes hold at most "
                         f"{_HEADER_LIMIT} bytes. Shorten the layer or weight names.")
    width = max((len(v) for v in values), default=0)
    chunks = 1
    while -(-len(values) // chunks) * width > _HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        group.attrs[name] = values
        return
    size = -(-len(values) // chunks)
    for i in range(chunks):
        group.attrs[f"{name}{i}"] = values[i * size:(i + 1) * size]


def write_weights_group(group, variables):
    """Writes `variables` into `group`: their paths as `weight_names`, one dataset each."""
    names = [str(v.path) for v in variables]
    write_attribute_list(group, "weight_names", names)
    for name, variable in zip(names, variables):
        group.create_dataset(name, data=variable.numpy())


def save_legacy_h5_weights(group, model, backend_name, keras_version):
    """Writes `model`'s weights into `group` in the legacy layout (see the module doc):
    one group per layer of `model.layers`, and the model's own weights in
    `top_level_model_weights`."""
    layers = list(model.layers)
    write_attribute_list(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = backend_name.encode("utf8")
    group.attrs["keras_version"] = keras_version.encode("utf8")
    in_layers = set()
    # sorted by name, so that no group name is a prefix of one created before it
    for layer in sorted(layers, key=lambda layer: layer.name):
        weights = legacy_weights(layer)
        in_layers.update(id(w) for w in weights)
        write_weights_group(group.create_group(layer.name), weights)
    own = [w for w in legacy_weights(model) if id(w) not in in_layers]
    write_weights_group(group.create_group("top_level_model_weights"), own)
