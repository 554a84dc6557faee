"""`save_model` / `load_model` (`.keras` files and their unzipped directories) and
`save_weights` / `load_weights` (`.weights.h5` files, and sharded `.weights.json`
indexes with their shards), in Keras 3's formats.

Every write goes to a temporary file in the destination's directory that then
replaces the destination in one rename, so an interrupted save never destroys
the previous file. Loading checks the whole file against the model before
changing anything, and never runs code from the file unless `safe_mode=False`.
"""

import os
import warnings

from kerasx.saving import h5_weights, keras_archive, orbax_checkpoints


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves a model in Keras 3's format: architecture, weights and optimizer state.

    With `zipped=True` (the default) the file is a `.keras` zip of
    `metadata.json`, `config.json` and `model.weights.h5`; with `zipped=False`
    the same entries are written as files of the directory `filepath`. Real
    Keras 3 loads both (for the layers both have), and writes both the same way.
    A path ending in `.h5` or `.hdf5` writes the legacy HDF5 model format instead,
    with Keras's deprecation warning (`legacy_h5_model`).

    Args:
        model: the model to save.
        filepath: a path ending in `.keras` (or `.h5`), or with `zipped=False` a
            directory path that does not.
        overwrite: replace an existing file (with False an existing file raises
            `FileExistsError` instead of prompting, as Keras would).
        zipped: False writes the entries into a directory instead of a zip.
            None (the default) means True, as in Keras for local paths.
        include_optimizer: False leaves out the compile arguments and optimizer state.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"save_model: the following argument(s) are not supported: "
                         f"{sorted(kwargs)}.")
    _check_model(model, "save")
    path = _path(filepath)
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not contain "
                      "any weights yet. Consider building the model first by calling it on "
                      "some data.", stacklevel=3)
    if path.startswith("hf://"):
        raise ValueError(
            f"Cannot save to {path!r}: kerasx does not upload to the Hugging Face Hub. Save "
            "to a local directory with zipped=False and upload that directory."
        )
    if zipped is None:
        zipped = True
    if not zipped and path.endswith(".keras"):
        raise ValueError(
            "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
            f"Received: filepath={path}"
        )
    if zipped and path.endswith((".h5", ".hdf5")):
        from kerasx.saving import legacy_h5_model

        warnings.warn(legacy_h5_model.LEGACY_FORMAT_WARNING, stacklevel=3)
        _check_overwrite(path, overwrite)
        legacy_h5_model.save_legacy_h5_model(model, path, include_optimizer=include_optimizer)
        return
    if zipped and not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add a `.keras` extension for the "
            "native Keras format (recommended), or a `.h5` extension for the legacy HDF5 "
            f"format, or pass zipped=False to write a directory. Received: filepath={path}."
        )
    _check_overwrite(path, overwrite)
    keras_archive.save_model(model, path, zipped=zipped, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with `model.save` (or by Keras 3) from a `.keras` file.

    Args:
        filepath: a `.keras` file, a directory saved with `zipped=False`, or an Orbax
            checkpoint directory (`callbacks.OrbaxCheckpoint`: its latest step, or the
            step directory given).
        custom_objects: dict of names to custom classes and functions the
            config refers to.
        compile: compile the model with the saved compile arguments, and
            restore the optimizer state.
        safe_mode: refuse to load Python code stored in the file (a `Lambda`
            layer's lambda). Pass False only for files you trust.

    Returns:
        The model, with its weights (and, when compiled, its optimizer state).
    """
    path = _path(filepath)
    if orbax_checkpoints.is_orbax_checkpoint(path):
        return orbax_checkpoints.load_model(path, custom_objects=custom_objects,
                                            compile=compile, safe_mode=safe_mode)
    if not os.path.isdir(path) and not path.endswith(".keras") and os.path.exists(path) \
            and path.endswith((".h5", ".hdf5")):
        from kerasx.saving import legacy_h5_model

        if legacy_h5_model.is_legacy_h5_model(path):
            return legacy_h5_model.load_legacy_h5_model(path, custom_objects=custom_objects,
                                                        compile=compile)
        raise ValueError(
            f"Cannot load {path!r} with load_model: this HDF5 file holds weights only (no "
            "`model_config`); build the model and call model.load_weights(path)."
        )
    return keras_archive.load_model(path, custom_objects=custom_objects, compile=compile,
                                    safe_mode=safe_mode)


def save_weights(model, filepath, overwrite=True, max_shard_size=None, **kwargs):
    """Saves the model's weights (and optimizer state) in Keras 3's layout.

    Args:
        model: the model whose state to save.
        filepath: a `.weights.h5` path; with `max_shard_size`, the path of the
            `.weights.json` index (a `.weights.h5` path is given the `.json`
            suffix, with a warning, as Keras does).
        overwrite: replace existing files (False raises `FileExistsError`).
        max_shard_size: None for a single file, or the largest size of one shard
            in GB: the index and shards `<name>_00000.weights.h5`, ... are then
            written beside each other (see `kerasx.saving.sharded_weights`).
    """
    if kwargs:
        raise ValueError(f"save_weights: the following argument(s) are not supported: "
                         f"{sorted(kwargs)}.")
    _check_model(model, "save the weights of")
    path = _path(filepath)
    if max_shard_size is None and not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    _require_built(model, "saving")
    if max_shard_size is not None:
        if not path.endswith(("weights.h5", "weights.json")):
            raise ValueError("The filename must end in `.weights.json` when `max_shard_size` "
                             f"is specified. Received: filepath={path}")
        from kerasx.saving import sharded_weights

        sharded_weights.check_max_shard_size(max_shard_size)
        index_path = path if path.endswith(".json") else os.path.splitext(path)[0] + ".json"
        _check_overwrite(index_path, overwrite)
        sharded_weights.save_sharded_weights(model, path, max_shard_size)
        return
    _check_overwrite(path, overwrite)
    from kerasx.utils.atomic import atomic_write_bytes

    atomic_write_bytes(path, keras_archive.weights_bytes(model))


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Loads weights saved by `save_weights` (`.weights.h5`, or a sharded save's
    `.weights.json` index), by `save` (`.keras` file or unzipped directory) or by
    `callbacks.OrbaxCheckpoint` (its directory: the latest step, or a step's directory).

    Nothing is changed unless every weight fits: counts and shapes are checked
    for the whole file first. With `skip_mismatch=True` the layers whose
    weights do not fit are skipped (with a warning) and the others loaded.

    A legacy Keras 2 `.h5` file (the format of Keras's pretrained weights) is read
    layer by layer in order, or with `by_name=True` by layer name, as Keras 3 does.
    """
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise ValueError(f"load_weights: the following argument(s) are not supported: "
                         f"{sorted(kwargs)}.")
    _check_model(model, "load weights into")
    path = _path(filepath)
    if orbax_checkpoints.is_orbax_checkpoint(path):
        return orbax_checkpoints.load_weights(model, path)
    if path.endswith((".keras", ".weights.h5", ".weights.json")) or os.path.isdir(path):
        _require_built(model, "loading weights into")
    if path.endswith(".keras") or os.path.isdir(path):
        return keras_archive.load_weights_from_archive(model, path, skip_mismatch=skip_mismatch)
    if path.endswith(".weights.json"):
        if by_name:
            raise ValueError("load_weights: by_name=True applies to legacy Keras 2 `.h5` files "
                             f"only; {path!r} is the index of Keras 3 sharded weights.")
        from kerasx.saving.sharded_weights import load_sharded_weights

        return load_sharded_weights(model, path, skip_mismatch=skip_mismatch)
    if not path.endswith((".weights.h5", ".h5", ".hdf5")):
        raise ValueError(
            f"File format not supported: filepath={path}. load_weights reads `.keras` files, "
            "`.weights.h5` files, the `.weights.json` index of sharded weights and legacy "
            "`.h5` files."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such weights file: {path!r}.")
    h5py = h5_weights.import_h5py()
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise UnreadableWeightsFile(
            f"Could not read weights file {path!r} ({e}): it is not an HDF5 file, or it is "
            "truncated or corrupted."
        ) from None
    with f:
        legacy = "layer_names" in f.attrs or "model_weights" in f
        if not legacy:
            if by_name:
                raise ValueError("load_weights: by_name=True applies to legacy Keras 2 `.h5` "
                                 f"files only; {path!r} is a Keras 3 weights file.")
            h5_weights.load_weights_from_h5(model, f, skip_mismatch=skip_mismatch,
                                            source=f"{path!r}")
            return
    from kerasx.saving.legacy_h5 import load_legacy_h5_weights

    load_legacy_h5_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch)


def _path(filepath):
    try:
        return os.fspath(filepath)
    except TypeError:
        raise TypeError(f"filepath must be a str or os.PathLike, received {filepath!r} of type "
                        f"{type(filepath).__name__}.") from None


def _check_model(model, what):
    from kerasx.layers.layer import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"Cannot {what} {model!r} of type {type(model).__name__}: expected a "
                        "kerasx model.")


class UnreadableWeightsFile(ValueError, OSError):
    """A weights file that is not HDF5 (Keras lets h5py's OSError through; kerasx's
    error is also a ValueError, as it was before)."""


def _require_built(model, doing):
    """Keras's refusal to save or load the weights of a model that has none yet."""
    if not model.built:
        raise ValueError(
            f"You are {doing} a model that has not yet been built. Try building the model "
            "first by calling it on some data or by using `build()`."
        )


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} already exists and overwrite=False. Pass overwrite=True to replace it, "
            "or choose another path."
        )
