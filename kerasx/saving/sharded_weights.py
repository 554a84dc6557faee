"""Sharded weights (`save_weights(path, max_shard_size=...)`), laid out as Keras 3 lays
them out, so that either library reads the other's files.

`x.weights.json` is the index and `x_00000.weights.h5`, `x_00001.weights.h5`, ... the
shards: HDF5 files with the group layout of a `.weights.h5` file, split between
variables. The variables are written in order into the current shard while their
sizes (in bytes; a `bool` counts one bit) add up to at most `max_shard_size` GB; the
variable that would exceed it starts the next shard. A variable larger than a shard
is an error. The index is

    {"metadata": {"total_size": <bytes of all variables>},
     "weight_map": {"/layers/dense/vars": "x_00000.weights.h5",
                    "/optimizer/vars": ["x_00000.weights.h5", "x_00001.weights.h5"]}}

with, for each `vars` group holding variables, the shard of its first one (a name)
or, once it holds two, the list of the shards they are in. An object's `vars` group
with its `name` attribute is created in the shard that is current when the object is
reached (even with no variables); a shard that continues it gets a group without
attributes.

Saving builds every shard in memory, then writes all of them to temporary files
beside the index, and renames them into place with the index last, so a save that
fails leaves the previous files as they were. Shards that the previous index listed
and the new one does not (and that carry this save's shard names) are removed afterwards.

A crash (not an exception) during the final renames can leave new shards beside the
old index: the files cannot all be swapped in one step under the names Keras gives
them.
"""

import io
import json
import math
import os
import re
import uuid
import warnings

from kerasx.saving import h5_weights

_MAX_INDEX_BYTES = 64 * 2**20
_GB = 1024**3


def index_path_and_base(filepath):
    """`(index path, shard base name)` for `filepath`, as Keras derives them: a path
    not ending in `.json` is given that suffix (with a warning), and the shards are
    named after the file's stem without `.weights`."""
    directory, name = os.path.split(filepath)
    stem, suffix = os.path.splitext(name)
    base = stem.replace(".weights", "")
    if suffix != ".json":
        new_path = os.path.join(directory, stem + ".json")
        warnings.warn(f"Saving sharded weights requires `*.json` as the extension. The "
                      f"original path: {filepath} will be renamed to {new_path}.", stacklevel=4)
        filepath = new_path
    return filepath, base


def shard_name(base, index):
    return f"{base}_{index:05d}.weights.h5"


def readable_size(size):
    """`size` bytes the way Keras's messages print it (`48.00 B`, `1.07 KB`)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _nbytes(array):
    bits = 1 if array.dtype.kind == "b" else array.dtype.itemsize * 8
    return math.prod(array.shape) * bits / 8


def check_max_shard_size(max_shard_size):
    if isinstance(max_shard_size, bool) or not isinstance(max_shard_size, (int, float)):
        raise TypeError(f"max_shard_size must be a number of gigabytes (a float such as 2.0 "
                        f"or 0.5), received {max_shard_size!r} of type "
                        f"{type(max_shard_size).__name__}.")
    if not max_shard_size > 0 or math.isinf(max_shard_size):
        raise ValueError(f"max_shard_size must be a positive, finite number of gigabytes, "
                         f"received {max_shard_size!r}.")


# -- writing -----------------------------------------------------------------------------
def build_shards(entries, base, max_shard_size):
    """`(index, [(shard file name, bytes), ...])` for the `h5_weights` entries."""
    h5py = h5_weights.import_h5py()
    limit = float(max_shard_size) * _GB
    shards, weight_map, total = [], {}, 0.0
    buffers, files = [], []

    def new_shard():
        buffer = io.BytesIO()
        buffers.append(buffer)
        files.append(h5py.File(buffer, "w"))
        shards.append(shard_name(base, len(shards)))

    try:
        new_shard()
        current_size = 0.0
        for entry in entries:
            group = files[-1].create_group(entry.vars_path)
            group.attrs["name"] = entry.name
            for i, (key, slot) in enumerate(zip(entry.dataset_names(), entry.slots)):
                value = slot.get()
                size = _nbytes(value)
                total += size
                if size > limit:
                    raise ValueError(
                        f"The size of {key} is {readable_size(size)} which exceeds the maximum "
                        f"shard size {readable_size(limit)}. You can increase the "
                        "`max_shard_size` parameter to accommodate the size. (Variable "
                        f"{slot.label!r} of {entry.describe()}.)")
                current_size += size
                if current_size > limit:
                    new_shard()
                    current_size = size
                    group = files[-1].create_group(entry.vars_path)
                h5_weights.write_dataset(group, key, value)
                _record(weight_map, "/" + entry.vars_path, shards[-1])
    finally:
        for f in files:
            f.close()
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    return index, [(name, buffer.getvalue()) for name, buffer in zip(shards, buffers)]


def _record(weight_map, group, shard):
    known = weight_map.get(group)
    if known is None:
        weight_map[group] = shard
        return
    if not isinstance(known, list):
        known = weight_map[group] = [known]
    if shard not in known:
        known.append(shard)


def save_sharded_weights(model, filepath, max_shard_size):
    """Writes `model`'s weights and optimizer state as an index and its shards.

    Returns:
        The path of the index (`filepath` with a `.json` suffix).
    """
    check_max_shard_size(max_shard_size)
    index_path, base = index_path_and_base(os.fspath(filepath))
    index, shards = build_shards(h5_weights.collect_entries(model), base, max_shard_size)
    directory = os.path.dirname(os.path.abspath(index_path))
    previous = _previous_shards(index_path, base)
    files = shards + [(os.path.basename(index_path), json.dumps(index, indent=4).encode())]
    _write_all(directory, files)
    for name in previous - {name for name, _ in shards}:
        try:
            os.remove(os.path.join(directory, name))
        except OSError:
            pass
    return index_path


def _previous_shards(index_path, base):
    """The shards the index at `index_path` lists that are named as this save names its
    shards (other files it may list are never removed)."""
    try:
        index = read_index(index_path)
    except (OSError, ValueError):
        return set()
    pattern = re.compile(re.escape(base) + r"_\d{5}\.weights\.h5")
    return {name for names in index["weight_map"].values() for name in names
            if pattern.fullmatch(name)}


def _write_all(directory, files):
    """Writes every file to a temporary name, then renames them in order."""
    os.makedirs(directory, exist_ok=True)
    staged = []
    try:
        for name, data in files:
            tmp = os.path.join(directory, f".tmp-{uuid.uuid4().hex[:12]}-{name}")
            staged.append((tmp, os.path.join(directory, name)))
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, final in staged:
            if os.path.isdir(final):
                raise IsADirectoryError(f"Cannot write {final!r}: it is a directory.")
        for tmp, final in staged:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.remove(tmp)
        raise


# -- reading -----------------------------------------------------------------------------
def read_index(index_path):
    """The parsed index with every `weight_map` value as a list of shard names, checked:
    group paths are absolute `.../vars` paths and shard names plain file names."""
    with open(index_path, "rb") as f:
        data = f.read(_MAX_INDEX_BYTES + 1)
    if len(data) > _MAX_INDEX_BYTES:
        raise ValueError(f"{index_path!r} is too large to be a sharded weights index.")
    try:
        index = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{index_path!r} is not valid JSON ({e}); the index of the sharded "
                         "weights is corrupted.") from None
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict):
        raise ValueError(f"{index_path!r} is not a sharded weights index: it has no "
                         "'weight_map' object (an index written by save_weights(..., "
                         "max_shard_size=...) maps each '/.../vars' group to its shards).")
    checked = {}
    for group, names in weight_map.items():
        names = [names] if isinstance(names, str) else names
        if not (isinstance(group, str) and (group == "/vars" or
                (group.startswith("/") and group.endswith("/vars")))):
            raise ValueError(f"{index_path!r}: weight_map key {group!r} is not the path of a "
                             "'vars' group (such as '/layers/dense/vars').")
        if not isinstance(names, list) or not names or not all(
                isinstance(n, str) and n not in ("", ".", "..") and os.path.basename(n) == n
                and "/" not in n and "\\" not in n for n in names):
            raise ValueError(f"{index_path!r}: the shards of {group!r} must be file names in "
                             f"the index's directory, received {names!r}.")
        checked[group] = names
    return {"metadata": index.get("metadata", {}), "weight_map": checked}


def merged_weights(index_path):
    """An in-memory `h5py.File` holding every group of the index, gathered from its
    shards (the caller closes it)."""
    h5py = h5_weights.import_h5py()
    index = read_index(index_path)
    directory = os.path.dirname(os.path.abspath(index_path))
    merged = h5py.File(io.BytesIO(), "w")
    opened = {}
    try:
        for group_path, names in index["weight_map"].items():
            vars_path = group_path.lstrip("/")
            target = merged.require_group(vars_path)
            for name in names:
                shard = _open_shard(h5py, opened, directory, name, index_path)
                datasets, problems = h5_weights._read_group(h5py, shard, vars_path)
                if problems:
                    raise ValueError(f"Shard {name!r} of {index_path!r}: {'; '.join(problems)}.")
                source = shard.get(vars_path)
                if source is not None and "name" in source.attrs and "name" not in target.attrs:
                    target.attrs["name"] = source.attrs["name"]
                for key, dataset in datasets.items():
                    if key in target:
                        raise ValueError(f"Variable {key!r} of {group_path!r} is stored in "
                                         f"more than one shard of {index_path!r}.")
                    h5_weights.write_dataset(target, key, h5_weights._read_dataset(dataset, None))
    except BaseException:
        merged.close()
        raise
    finally:
        for f in opened.values():
            f.close()
    return merged


def _open_shard(h5py, opened, directory, name, index_path):
    if name not in opened:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Shard {name!r} listed in {index_path!r} does not exist "
                                    f"(looked for {path!r}). Keep the shards beside their "
                                    "index.")
        try:
            opened[name] = h5py.File(path, "r")
        except (OSError, ValueError) as e:
            raise ValueError(f"Shard {path!r} is not a readable HDF5 file ({e}); it is "
                             "truncated or corrupted.") from None
    return opened[name]


def load_sharded_weights(model, index_path, skip_mismatch=False):
    """Loads weights saved with `max_shard_size` (by kerasx or Keras) into `model`, all
    or nothing, like `load_weights` of a `.weights.h5` file."""
    index_path = os.fspath(index_path)
    if not os.path.isfile(index_path):
        raise FileNotFoundError(f"No such sharded weights index: {index_path!r}.")
    with merged_weights(index_path) as f:
        h5_weights.load_weights_from_h5(model, f, skip_mismatch=skip_mismatch,
                                        source=f"{index_path!r}")
