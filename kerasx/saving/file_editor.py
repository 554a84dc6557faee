"""`KerasFileEditor`: inspect, compare, edit and resave the weights of a `.keras` or
`.weights.h5` file, e.g. to adapt an old file to a model whose architecture changed."""

import os

from kerasx.saving import h5_weights, keras_archive
from kerasx.saving.weights_tree import model_tree, read_tree, tree_bytes
from kerasx.utils.messages import print_msg


class KerasFileEditor:
    """Opens a `.keras` or `.weights.h5` file and holds its weights as a tree of dicts.

        editor = KerasFileEditor("my_model.weights.h5")
        editor.summary()                            # the weights, object by object
        editor.compare(model)                       # what does not fit `model`
        editor.delete_object("layers/dense_2")      # a layer that is gone
        editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
        editor.resave_weights("edited.weights.h5")  # then model.load_weights(...)

    Objects are named by their path in the file (`"layers/dense_2"`), or by their
    last name alone (`"dense_2"`) when it occurs only once. A variable is a leaf
    named by its position (`"0"`, `"1"`, ...) in its object.

    Attributes:
        filepath: the file opened.
        weights_dict: the tree: `{"layers": {"dense": {"0": kernel, "1": bias}}, ...}`
            with NumPy arrays as leaves. Objects without variables are not in it.
        object_metadata: for each object path (`"/layers/dense"`), the attributes
            stored with its variables (the layer's `name` when saved).
        config: the model config of a `.keras` file (None for `.weights.h5`).
        metadata: the `metadata.json` of a `.keras` file (Keras version, date).

    Args:
        filepath: a `.keras` file (or the directory of an unzipped one) or a
            `.weights.h5` file.
    """

    def __init__(self, filepath):
        self.filepath = _path(filepath)
        self.config = None
        self.metadata = None
        path = self.filepath
        if path.endswith(".keras") or os.path.isdir(path):
            with keras_archive._Archive(path) as archive:
                self.config = archive.read_json(keras_archive.CONFIG)
                self.metadata = _optional_json(archive, keras_archive.METADATA)
                with archive.weights() as f:
                    self.weights_dict, self.object_metadata = read_tree(f)
        elif path.endswith(".weights.h5"):
            self.weights_dict, self.object_metadata = _read_weights_file(path)
        else:
            raise ValueError(f"Invalid filename: expected a `.keras` or `.weights.h5` file. "
                             f"Received: filepath={path}")
        print_msg(f"Keras model file '{self.filepath}'")
        if isinstance(self.metadata, dict):
            print_msg(f"Saved with Keras {self.metadata.get('keras_version', '?')} - date: "
                      f"{self.metadata.get('date_saved', '?')}")

    # -- looking -----------------------------------------------------------------------
    def summary(self):
        """Prints the weights, object by object: each variable's shape and dtype."""
        lines = ["Weights structure"]
        self._tree_lines(self.weights_dict, "  ", "", lines, [True])
        print_msg("\n".join(lines))

    def _tree_lines(self, tree, prefix, path, lines, first):
        for i, (key, value) in enumerate(tree.items()):
            last = i == len(tree) - 1
            connector = "> " if first[0] else ("└─ " if last else "├─ ")
            first[0] = False
            where = f"{path}/{key}"
            if isinstance(value, dict):
                name = self.object_metadata.get(where, {}).get("name")
                lines.append(f"{prefix}{connector}{key}" + (f" ('{name}')" if name else ""))
                self._tree_lines(value, prefix + ("    " if last else "│   "), where, lines,
                                 first)
            else:
                lines.append(f"{prefix}{connector}{key}: shape={tuple(value.shape)}, "
                             f"dtype={value.dtype}")

    def compare(self, reference_model):
        """Lists where the file and `reference_model` differ: objects or variables one has
        and the other lacks, and variables whose shapes differ.

        Returns:
            `{"status": "success" or "error", "error_count": ..., "match_count": ...}`:
            one error per missing object, missing variable or shape mismatch; one match
            per variable of the model found in the file with its shape.
        """
        from kerasx.layers.layer import Layer

        if not isinstance(reference_model, Layer):
            raise TypeError(f"compare expects a kerasx model, received "
                            f"{type(reference_model).__name__}.")
        print_msg("Running comparison")
        reference = model_tree(reference_model)
        counts = {"errors": 0, "matches": 0}
        reported = set()
        self._compare(self.weights_dict, reference, "", "saved file", "reference model",
                      counts, reported, count_matches=True)
        self._compare(reference, self.weights_dict, "", "reference model", "saved file",
                      counts, reported, count_matches=False)
        print_msg("─────────────────────")
        errors, matches = counts["errors"], counts["matches"]
        if errors == 0:
            print_msg("Comparison successful: saved file is compatible with the reference "
                      f"model\n    Found {matches} matching weight{'s' if matches != 1 else ''}")
        else:
            print_msg(f"Found {errors} error{'s' if errors != 1 else ''}: saved file is not "
                      "compatible with the reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors,
                "match_count": matches}

    def _compare(self, target, reference, path, target_name, reference_name, counts,
                 reported, count_matches):
        for key, expected in reference.items():
            where = f"{path}/{key}"
            if where in reported:
                continue
            found = target.get(key)
            if found is None:
                reported.add(where)
                counts["errors"] += 1
                kind = "Object" if isinstance(expected, dict) else "Weight"
                message = f"...{kind} {where} present in {reference_name}, missing from " \
                          f"{target_name}"
                if isinstance(expected, dict):
                    message += (f"\n    In {reference_name}, {where} contains the following "
                                 f"keys: {list(expected)}")
                print_msg(message)
            elif isinstance(expected, dict) != isinstance(found, dict):
                reported.add(where)
                counts["errors"] += 1
                print_msg(f"...{where} is an object in one and a weight in the other "
                          f"({reference_name}: {_kind(expected)}, {target_name}: "
                          f"{_kind(found)})")
            elif isinstance(expected, dict):
                self._compare(found, expected, where, target_name, reference_name, counts,
                              reported, count_matches)
            elif tuple(found.shape) != tuple(expected.shape):
                reported.add(where)
                counts["errors"] += 1
                print_msg(f"...Weight shape mismatch for {where}\n"
                          f"    In {reference_name}: shape={tuple(expected.shape)}\n"
                          f"    In {target_name}: shape={tuple(found.shape)}")
            elif count_matches:
                counts["matches"] += 1

    # -- editing -----------------------------------------------------------------------
    def rename_object(self, object_name, new_name):
        """Renames an object (or a variable): `object_name` is its path
        (`"layers/dense_2"`) or its name alone (`"dense_2"`) when it is unique;
        `new_name` is the new last name (not a path)."""
        if not isinstance(new_name, str) or not new_name or "/" in new_name:
            raise ValueError(f"Argument `new_name` should be a leaf name, not a full path "
                             f"name. Received: new_name={new_name!r}")
        path = self._locate(object_name)
        parent = self._node(path[:-1])
        if new_name in parent:
            raise ValueError(f"Cannot rename {'/'.join(path)!r} to {new_name!r}: "
                             f"{'/'.join(path[:-1] + (new_name,))!r} already exists. Delete "
                             "it first, or choose another name.")
        items = list(parent.items())
        parent.clear()
        parent.update((new_name if key == path[-1] else key, value) for key, value in items)
        self._move_metadata("/" + "/".join(path), "/" + "/".join(path[:-1] + (new_name,)))

    def delete_object(self, object_name):
        """Removes an object (e.g. a layer, with everything in it), by path or unique
        name."""
        path = self._locate(object_name)
        del self._node(path[:-1])[path[-1]]
        self._move_metadata("/" + "/".join(path), None)

    def add_object(self, object_path, weights):
        """Adds a new object at `object_path` (e.g. `"layers/dense_2"`, whose parent
        must exist) with `weights`, a dict of variable names to arrays
        (`{"0": kernel, "1": bias}`)."""
        weights = _weights_argument(weights)
        path = _split(object_path)
        parent = self._node(path[:-1], missing=f"Path {'/'.join(path[:-1])!r} not found in "
                                               "the file.")
        if path[-1] in parent:
            raise ValueError(f"{'/'.join(path)!r} already exists in the file. Use "
                             "add_weights to add variables to it, or delete_object first.")
        parent[path[-1]] = weights

    def add_weights(self, object_name, weights):
        """Adds variables to an existing object (replacing those of the same names);
        `weights` maps variable names (`"2"`) to arrays."""
        weights = _weights_argument(weights)
        path = self._locate(object_name)
        target = self._node(path)
        if not isinstance(target, dict):
            raise ValueError(f"{'/'.join(path)!r} is a variable, not an object; pass the path "
                             "of the object that holds it.")
        target.update(weights)

    def delete_weight(self, object_name, weight_name):
        """Removes the variable `weight_name` (e.g. `"0"`) from an object."""
        path = self._locate(object_name)
        target = self._node(path)
        if not isinstance(target, dict) or weight_name not in target \
                or isinstance(target[weight_name], dict):
            found = [k for k, v in target.items() if not isinstance(v, dict)] \
                if isinstance(target, dict) else []
            raise ValueError(f"Weight {weight_name!r} not found in object {object_name!r}. "
                             f"Weights found: {found}")
        del target[weight_name]

    def save(self, filepath):
        """Writes the edited weights to `filepath`, a `.weights.h5` file (load it with
        `model.load_weights`)."""
        filepath = _path(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.weights.h5` "
                             f"extension. Received: filepath={filepath}")
        from kerasx.utils.atomic import atomic_write_bytes

        atomic_write_bytes(filepath, tree_bytes(self.weights_dict, self.object_metadata))

    def resave_weights(self, filepath):
        """Same as `save(filepath)`."""
        self.save(filepath)

    # -- paths -------------------------------------------------------------------------
    def _locate(self, name):
        """The path (a tuple) of the object or variable called `name`: a path, or a last
        name that occurs exactly once in the tree."""
        if not isinstance(name, str) or not name.strip("/"):
            raise ValueError(f"Expected the name or path of an object in the file, received "
                             f"{name!r}.")
        if "/" in name.strip("/"):
            path = _split(name)
            self._node(path, missing=f"Path {name!r} not found in the file. Use "
                                     "editor.summary() to list the objects.")
            return path
        found = []

        def visit(tree, prefix):
            for key, value in tree.items():
                if key == name.strip("/"):
                    found.append(prefix + (key,))
                if isinstance(value, dict):
                    visit(value, prefix + (key,))

        visit(self.weights_dict, ())
        if not found:
            raise ValueError(f"Source name {name!r} does not appear in the file. Use "
                             "editor.summary() to list all objects.")
        if len(found) > 1:
            raise ValueError(f"Name {name!r} occurs more than once in the file "
                             f"({', '.join('/'.join(p) for p in found)}); pass the complete "
                             "path instead.")
        return found[0]

    def _node(self, path, missing=None):
        node = self.weights_dict
        for i, part in enumerate(path):
            if not isinstance(node, dict) or part not in node:
                raise ValueError(missing or f"Path {'/'.join(path[:i + 1])!r} not found in "
                                            "the file.")
            node = node[part]
        return node

    def _move_metadata(self, old, new):
        for key in list(self.object_metadata):
            if key == old or key.startswith(old + "/"):
                value = self.object_metadata.pop(key)
                if new is not None:
                    self.object_metadata[new + key[len(old):]] = value


def _path(filepath):
    try:
        return os.fspath(filepath)
    except TypeError:
        raise TypeError(f"filepath must be a str or os.PathLike, received {filepath!r} of type "
                        f"{type(filepath).__name__}.") from None


def _split(path):
    if not isinstance(path, str) or not path.strip("/"):
        raise ValueError(f"Expected a path like 'layers/dense', received {path!r}.")
    parts = tuple(path.strip("/").split("/"))
    if any(not p for p in parts):
        raise ValueError(f"The path {path!r} has an empty part.")
    return parts


def _kind(value):
    return "object" if isinstance(value, dict) else f"weight of shape {tuple(value.shape)}"


def _weights_argument(weights):
    """`weights` with every value as a host (NumPy) array."""
    if not isinstance(weights, dict):
        raise ValueError("Argument `weights` should be a dict where keys are weight names "
                         "(usually '0', '1', etc.) and values are arrays. Received: "
                         f"type(weights)={type(weights).__name__}")
    from kerasx.backends import current

    converted = {}
    for key, value in weights.items():
        if not isinstance(key, str) or not key or "/" in key:
            raise ValueError(f"Weight names should be non-empty strings without '/', "
                             f"received {key!r}.")
        if isinstance(value, dict):
            raise ValueError(f"The value of weight {key!r} is a dict; weights are arrays.")
        array = current().to_numpy(getattr(value, "value", value))
        if array.dtype.kind not in "biuf":
            raise ValueError(f"Weight {key!r} has the non-numeric dtype {array.dtype}; "
                             "weights are numeric arrays.")
        converted[key] = array
    return converted


def _optional_json(archive, name):
    try:
        return archive.read_json(name)
    except (KeyError, FileNotFoundError):
        return None


def _read_weights_file(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such weights file: {path!r}.")
    h5py = h5_weights.import_h5py()
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise ValueError(f"Could not read weights file {path!r} ({e}): it is not an HDF5 file, "
                         "or it is truncated or corrupted.") from None
    with f:
        return read_tree(f)
