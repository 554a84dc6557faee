"""The weights of a saved model as a tree of dicts, the way `KerasFileEditor` shows and
edits them: `{"layers": {"dense": {"0": kernel, "1": bias}}, "optimizer": {...}}`.

An object's own variables (the datasets of its `vars` group) are leaves named
`"0"`, `"1"`, ...; the objects it holds (layers of a model, the cell of an RNN,
the inner layer of a wrapper) are sub-dicts beside them. Objects without
variables are left out, as Keras leaves them out.
"""

import io
import math

from kerasx.saving import h5_weights

_MAX_DATASET_BYTES = 1 << 32  # larger datasets are refused, as Keras refuses them
_MAX_RANK = 64


def read_tree(h5file):
    """`(tree, names)` of an open `h5py.File`: the weights tree (NumPy arrays) and, for
    each object path (`"/layers/dense"`), the attributes of its `vars` group (its
    `name`)."""
    h5py = h5_weights.import_h5py()
    names = {}
    tree = _read_group(h5py, h5file, "", names)
    return tree, names


def _read_group(h5py, group, path, names):
    tree = {}
    for key in group:
        where = f"{path}/{key}"
        link = group.get(key, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            raise ValueError(f"Not allowed: the weights file holds a {type(link).__name__} at "
                             f"{where!r}, which could read other files.")
        value = group[key]
        if isinstance(value, h5py.Group) and key == "vars":
            if value.attrs:
                names[path or "/"] = {k: _attribute(v) for k, v in value.attrs.items()}
            for name, leaf in _read_group(h5py, value, where, names).items():
                if name in tree:
                    raise ValueError(f"The weights file holds both an object and a variable "
                                     f"named {name!r} at {path or '/'!r}.")
                tree[name] = leaf
        elif isinstance(value, h5py.Group):
            sub = _read_group(h5py, value, where, names)
            if sub:
                tree[key] = sub
        elif isinstance(value, h5py.Dataset):
            tree[key] = _read_dataset(value, where)
    return tree


def _attribute(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _read_dataset(dataset, where):
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"Not allowed: the dataset at {where!r} is external or virtual, which "
                         "could read other files.")
    shape = tuple(dataset.shape)
    if len(shape) > _MAX_RANK:
        raise ValueError(f"The dataset at {where!r} has rank {len(shape)}; the file is "
                         "malformed.")
    size = math.prod(shape) * dataset.dtype.itemsize
    if size > _MAX_DATASET_BYTES:
        raise ValueError(f"The dataset at {where!r} declares {size} bytes, more than the "
                         f"{_MAX_DATASET_BYTES} a weights file may hold per variable; the file "
                         "is refused.")
    try:
        return h5_weights.decode_dataset(dataset, dataset[()])
    except ImportError:
        raise
    except Exception as e:  # h5py raises OSError / KeyError subclasses for damaged data
        raise ValueError(f"Could not read the dataset at {where!r}: {e}. The file is damaged "
                         "or truncated.") from None


def tree_bytes(tree, names):
    """The tree as the bytes of a `.weights.h5` file: each object's leaves in its
    `vars` group (named after `names`, where known)."""
    h5py = h5_weights.import_h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _write_group(f, tree, "", names)
    return buffer.getvalue()


def _write_group(h5file, tree, path, names):
    leaves = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if leaves:
        group = h5file.create_group(f"{path}/vars" if path else "vars")
        for key, value in names.get(f"/{path}" if path else "/", {}).items():
            group.attrs[key] = value
        for key, value in leaves.items():
            h5_weights.write_dataset(group, key, value)
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            _write_group(h5file, value, f"{path}/{key}" if path else key, names)


class WeightSpec:
    """The shape and dtype of one variable of a model (what `compare` checks)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), dtype

    def __repr__(self):
        return f"WeightSpec(shape={self.shape}, dtype={self.dtype})"


def model_tree(model):
    """The tree `model` would save (optimizer included), with `WeightSpec` leaves."""
    tree = {}
    for entry in h5_weights.collect_entries(model, include_optimizer=True):
        if not entry.slots:
            continue
        node = tree
        for part in entry.path.split("/") if entry.path else []:
            node = node.setdefault(part, {})
        for key, slot in zip(entry.dataset_names(), entry.slots):
            node[key] = WeightSpec(slot.shape, slot.dtype)
    return tree
