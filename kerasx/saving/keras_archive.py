"""The `.keras` file of Keras 3: a zip of `metadata.json`, `config.json` and
`model.weights.h5`.

`config.json` is the model's `serialize_keras_object` config plus its
`compile_config` when it is compiled; `model.weights.h5` has the group layout
of `h5_weights`. A file written here loads in Keras 3 and a Keras 3 file loads
here (for the layers kerasx has). Saving builds the whole file in memory and
writes it atomically, so a save that fails or is killed leaves the previous
file as it was.

Loading never runs code from the file: classes are looked up among kerasx's
own and the registered custom objects, and a `Lambda` layer's stored
bytecode is refused unless `safe_mode=False`.
"""

import contextlib
import datetime
import io
import json
import os
import warnings
import zipfile

from kerasx.saving import h5_weights
from kerasx.saving.assets import ASSETS, collect_assets, load_assets
from kerasx.saving.zip_entry import open_stored

KERAS_VERSION = "3.15.1"  # the Keras release whose file format this writes
METADATA = "metadata.json"
CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
_MAX_CONFIG_BYTES = 256 * 2**20  # larger config.json entries are refused (zip bombs)
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# -- saving -------------------------------------------------------------------------------
def model_config(model):
    """The `config.json` content: the model's config plus its compile config."""
    from kerasx.saving.serialization import serialize_keras_object

    try:
        config = serialize_keras_object(model)
    except (TypeError, ValueError) as e:
        kind = TypeError if isinstance(e, TypeError) else ValueError
        raise kind(f"Cannot save model {model.name!r}: its config could not be serialized. "
                   f"{e}") from e
    if "compile_config" not in config and getattr(model, "compiled", False):
        compile_config = model.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = compile_config
    _keras_names(config)
    return config


def _keras_names(config):
    """Names functional models the way Keras 3 does, which is the only way it finds
    the class (`module` "keras.src.models.functional", `registered_name` "Functional")."""
    if isinstance(config, dict):
        if config.get("class_name") == "Functional" and config.get("module") in ("keras", None):
            config["module"] = "keras.src.models.functional"
            config["registered_name"] = "Functional"
        for value in config.values():
            _keras_names(value)
    elif isinstance(config, list):
        for value in config:
            _keras_names(value)


def archive_bytes(model, include_optimizer=True):
    """`(metadata, config, weights)` as bytes, everything a `.keras` file holds."""
    config = model_config(model)
    if not include_optimizer:
        config.pop("compile_config", None)
    try:
        config_json = json.dumps(config)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"Cannot save model {model.name!r}: its config is not JSON-serializable ({e}). "
            "A get_config() returned a value that is not a number, string, list, dict or "
            "serialized object."
        ) from e
    metadata = json.dumps({
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    })
    return metadata.encode(), config_json.encode(), weights_bytes(model, include_optimizer)


def weights_bytes(model, include_optimizer=True):
    """The model's state as the bytes of an HDF5 file."""
    h5py = h5_weights.import_h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        h5_weights.save_weights_to_h5(model, f, include_optimizer=include_optimizer)
    return buffer.getvalue()


def save_model(model, filepath, zipped=True, include_optimizer=True):
    """Writes `model` to `filepath` (a zip, or a directory when `zipped=False`)."""
    from kerasx.utils.atomic import atomic_write

    metadata, config, weights = archive_bytes(model, include_optimizer)
    if zipped:
        extra = [assets] if (assets := collect_assets(model)) else []
        atomic_write(filepath, lambda tmp: write_zip(tmp, metadata, config, weights, *extra))
    else:
        from kerasx.saving.unzipped_dir import write_model_dir

        write_model_dir(filepath, {METADATA: metadata, CONFIG: config, WEIGHTS: weights})


def write_zip(path, metadata, config, weights, assets=None):
    """Writes the three entries, then any assets (`{entry name: bytes}`), in Keras's
    order and uncompressed as Keras does."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA, metadata)
        zf.writestr(CONFIG, config)
        zf.writestr(WEIGHTS, weights)
        for name, data in (assets or {}).items():
            zf.writestr(name, data)


# -- reading ------------------------------------------------------------------------------
class _Archive:
    """Read access to the entries of a `.keras` zip or unzipped directory."""

    def __init__(self, path):
        self.path = path
        self.zip = None

    def __enter__(self):
        path = self.path
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file or directory: {path!r}. Check the path to "
                                    "the saved model.")
        if os.path.isdir(path):
            missing = [n for n in (CONFIG, WEIGHTS) if not os.path.isfile(os.path.join(path, n))]
            if missing:
                raise ValueError(
                    f"{path!r} is a directory but not an unzipped .keras model: it lacks "
                    f"{missing}. Pass the path of a .keras file or of a directory written by "
                    "model.save(path, zipped=False)."
                )
            return self
        if not zipfile.is_zipfile(path):
            raise ValueError(_not_a_zip_message(path))
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise ValueError(f"{path!r} is not a readable .keras file: {e}. It is truncated or "
                             "corrupted.") from None
        names = set(self.zip.namelist())
        missing = [n for n in (CONFIG, WEIGHTS) if n not in names]
        if missing:
            self.zip.close()
            raise ValueError(
                f"{path!r} is a zip file but not a .keras model: it lacks {missing} (entries: "
                f"{sorted(names)[:10]}). A .keras file holds metadata.json, config.json and "
                "model.weights.h5."
            )
        return self

    def __exit__(self, *exc):
        if self.zip is not None:
            self.zip.close()

    def read_json(self, name):
        if self.zip is None:
            with open(os.path.join(self.path, name), "rb") as f:
                data = f.read(_MAX_CONFIG_BYTES + 1)
        else:
            info = self.zip.getinfo(name)
            if info.file_size > _MAX_CONFIG_BYTES:
                raise ValueError(f"{name} in {self.path!r} declares {info.file_size} bytes, more "
                                 "than any model config; the file is refused.")
            data = self._read_entry(name)
        if len(data) > _MAX_CONFIG_BYTES:
            raise ValueError(f"{name} in {self.path!r} is too large to be a model config.")
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ValueError(f"{name} in {self.path!r} is not valid JSON ({e}); the file is "
                             "corrupted.") from None

    def _read_entry(self, name):
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as e:
            raise ValueError(f"Entry {name} of {self.path!r} cannot be read ({e}); the file is "
                             "truncated or corrupted.") from None

    @contextlib.contextmanager
    def weights(self):
        """The open `h5py.File` of `model.weights.h5` (checksum verified first)."""
        h5py = h5_weights.import_h5py()
        if self.zip is None:
            source = os.path.join(self.path, WEIGHTS)
        else:
            self._verify(WEIGHTS)
            source = open_stored(self.zip, self.path, WEIGHTS) or self.zip.open(WEIGHTS)
        try:
            try:
                f = h5py.File(source, "r")
            except (OSError, ValueError) as e:
                raise ValueError(f"{WEIGHTS} in {self.path!r} is not a readable HDF5 file ({e}); "
                                 "the file is corrupted.") from None
            with f:
                yield f
        finally:
            if self.zip is not None:
                source.close()

    def assets(self):
        """`{path below assets/: bytes}` of the archive's asset files."""
        prefix = ASSETS + "/"
        if self.zip is None:
            root = os.path.join(self.path, ASSETS)
            found = {}
            for dirpath, _, files in os.walk(root):
                for name in files:
                    full = os.path.join(dirpath, name)
                    with open(full, "rb") as f:
                        found[os.path.relpath(full, root).replace(os.sep, "/")] = f.read()
            return found
        return {name[len(prefix):]: self._read_entry(name) for name in self.zip.namelist()
                if name.startswith(prefix) and not name.endswith("/")}

    def _verify(self, name):
        # Reading an entry to its end checks its CRC, so damage is caught before any weight
        # is used (h5py's random access alone would not notice).
        try:
            with self.zip.open(name) as f:
                while f.read(1 << 22):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise ValueError(f"Entry {name} of {self.path!r} is damaged ({e}); the file is "
                             "truncated or corrupted.") from None


def _not_a_zip_message(path):
    with open(path, "rb") as f:
        head = f.read(8)
    if head == _HDF5_SIGNATURE:
        return (f"{path!r} is an HDF5 file, not a .keras archive. If it holds weights saved "
                "with save_weights, load them with model.load_weights(path); Keras 2 legacy "
                ".h5 models are not supported.")
    if not head:
        return f"{path!r} is empty, not a .keras archive (an interrupted copy?)."
    return (f"{path!r} is not a .keras archive: it is not a zip file, or it is truncated or "
            "corrupted (a .keras file is a zip of metadata.json, config.json and "
            "model.weights.h5).")


def read_config(filepath):
    """The parsed `config.json` of a `.keras` file or directory."""
    with _Archive(os.fspath(filepath)) as archive:
        return archive.read_json(CONFIG)


# -- safe mode ----------------------------------------------------------------------------
def unsafe_entries(config):
    """Where `config` holds Python code that deserializing it would run (lambdas)."""
    found = []

    def visit(node, where):
        if isinstance(node, dict):
            class_name = node.get("class_name")
            inner = node.get("config")
            if isinstance(inner, dict) and isinstance(inner.get("name"), str):
                where = f"{where}{class_name} {inner['name']!r} > " if class_name else where
            if class_name == "__lambda__":
                found.append(f"{where.rstrip(' >')}: a Python lambda stored as bytecode")
                return
            if class_name == "Lambda" and isinstance(inner, dict) and (
                    isinstance(inner.get("function"), (str, list))
                    or inner.get("function_type") == "lambda"):
                found.append(f"{where.rstrip(' >')}: a function stored as bytecode")
            for value in node.values():
                visit(value, where)
        elif isinstance(node, list):
            for value in node:
                visit(value, where)

    visit(config, "")
    return found


def effective_safe_mode(safe_mode):
    """`safe_mode`, unless `kerasx.saving.enable_unsafe_deserialization()` turned it off
    for the whole process (as `keras.config.enable_unsafe_deserialization` does)."""
    from kerasx.saving import serialization

    check = getattr(serialization, "in_safe_mode", None)
    return bool(safe_mode) and (check is None or check() is not False)


def check_safe(config, filepath, safe_mode):
    if not effective_safe_mode(safe_mode):
        return
    found = unsafe_entries(config)
    if found:
        raise ValueError(
            f"Refusing to load {filepath!r} in safe mode: it stores Python code that loading "
            f"would execute ({'; '.join(found)}). Code in a file can do anything your user "
            "account can. If you trust the source of this file, load it with "
            "kerasx.models.load_model(path, safe_mode=False)."
        )


# -- loading ------------------------------------------------------------------------------
def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in a `.keras` file (or unzipped directory), weights and
    optimizer state included."""
    filepath = os.fspath(filepath)
    with _Archive(filepath) as archive:
        config = archive.read_json(CONFIG)
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"config.json in {filepath!r} is not a model config (no "
                             "'class_name'); the file is corrupted or not a .keras model.")
        check_safe(config, filepath, safe_mode)
        config = dict(config)
        compile_config = config.pop("compile_config", None)
        model = _deserialize_model(config, filepath, custom_objects, safe_mode)
        if compile and compile_config:
            _compile(model, compile_config, custom_objects, safe_mode)
        with archive.weights() as f:
            h5_weights.load_weights_from_h5(model, f, source=f"{filepath!r}")
        load_assets(model, archive.assets(), source=f"{filepath!r}")
    return model


def _deserialize_model(config, filepath, custom_objects, safe_mode):
    from kerasx.saving.serialization import UnknownObjectError, deserialize_keras_object

    try:
        model = deserialize_keras_object(config, custom_objects=custom_objects,
                                         safe_mode=safe_mode)
    except (ValueError, TypeError, KeyError) as e:
        if "safe_mode" in str(e):
            raise
        # Keras raises a TypeError for an unknown class or function and a from_config
        # that fails with one
        error = UnknownObjectError if isinstance(e, UnknownObjectError) else \
            TypeError if isinstance(e, TypeError) else ValueError
        raise error(f"Could not rebuild the model saved in {filepath!r} from its "
                    f"config.json: {e}") from e
    from kerasx.layers.layer import Layer

    if not isinstance(model, Layer):
        raise ValueError(f"config.json in {filepath!r} describes a {type(model).__name__}, "
                         "not a model.")
    if not model.built:
        build_config = config.get("build_config") or {}
        if build_config.get("input_shape") is not None:
            model.build_from_config(build_config)
    return model


def _compile(model, compile_config, custom_objects, safe_mode):
    """Compiles like Keras's `compile_from_config`. A compile argument (optimizer, loss,
    metric) of an unknown custom class or function raises a `TypeError`, as in Keras;
    other failures warn and leave the model uncompiled."""
    from kerasx.saving.serialization import UnknownObjectError, custom_object_scope

    try:
        with custom_object_scope(custom_objects):
            model.compile_from_config(compile_config)
    except UnknownObjectError as e:
        raise TypeError(
            f"The model was saved compiled, but a compile argument (optimizer, loss or "
            f"metric) could not be restored: {e} Or load it with `compile=False` and call "
            "model.compile(...) yourself.") from e
    except Exception as e:  # noqa: BLE001 - a model that loads is still returned
        warnings.warn(
            f"The model was saved compiled, but its compile arguments could not be restored "
            f"({type(e).__name__}: {e}); it is returned uncompiled. Call model.compile(...) "
            "before training it.", stacklevel=5)


def load_weights_from_archive(model, filepath, skip_mismatch=False):
    """Loads the weights (and optimizer state) stored in a `.keras` file into `model`."""
    with _Archive(os.fspath(filepath)) as archive, archive.weights() as f:
        h5_weights.load_weights_from_h5(model, f, skip_mismatch=skip_mismatch,
                                        source=f"{os.fspath(filepath)!r}")
