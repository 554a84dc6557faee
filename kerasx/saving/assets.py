"""Assets of a `.keras` file: the files an object's `save_assets(dir_path)` writes.

As in Keras 3, `model.save(...)` gives every layer, model or other saved object that
defines `save_assets` a folder of its own, named after its place in the model (the path
of its weights: `layers/text_vectorization`), and stores what it writes there in the
archive under `assets/<that path>/`. `load_model` unpacks those files into a temporary
folder and calls `load_assets(dir_path)` with each object's folder, after the weights
are loaded. Folders that hold nothing are not stored, and an object without a stored
folder is not asked to load assets.
"""

import os
import tempfile

ASSETS = "assets"


def _objects(model):
    from kerasx.saving.h5_weights import collect_entries

    entries = collect_entries(model, include_optimizer=False)
    return [(entry.path, entry.owner) for entry in entries]


def _folder(root, path):
    return os.path.join(root, *path.split("/")) if path else root


def collect_assets(model):
    """`{archive entry name: bytes}` of the files the model's objects write with
    `save_assets`, each under `assets/<object path>/`."""
    savers = [(path, obj) for path, obj in _objects(model)
              if callable(getattr(obj, "save_assets", None))]
    if not savers:
        return {}
    out = {}
    with tempfile.TemporaryDirectory() as root:
        for path, obj in savers:
            folder = _folder(root, path)
            os.makedirs(folder, exist_ok=True)
            obj.save_assets(folder)
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                relative = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, "rb") as f:
                    out[f"{ASSETS}/{relative}"] = f.read()
    return dict(sorted(out.items()))


def load_assets(model, files, source):
    """Calls `load_assets(dir_path)` on each object of `model` whose folder `files`
    (`{path below assets/: bytes}`, read from the archive) holds anything."""
    loaders = [(path, obj) for path, obj in _objects(model)
               if callable(getattr(obj, "load_assets", None))]
    if not loaders or not files:
        return
    with tempfile.TemporaryDirectory() as root:
        for relative, data in files.items():
            parts = relative.split("/")
            if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise ValueError(f"The asset entry {relative!r} of {source} points outside the "
                                 "assets folder; the file is refused.")
            full = os.path.join(root, *parts)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
        for path, obj in loaders:
            folder = _folder(root, path)
            if os.path.isdir(folder) and os.listdir(folder):
                obj.load_assets(folder)
