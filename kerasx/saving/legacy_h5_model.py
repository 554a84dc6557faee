"""Whole models in legacy HDF5 files (`model.save("model.h5")` in Keras 2, and in Keras
3, which still writes them, with a deprecation warning): reading and writing.

Such a file holds the architecture as JSON in the root attribute `model_config` (the
layers of functional and sequential models named by class, without their module), the
weights in the `model_weights` group (`legacy_h5`'s layout), and, for a compiled model,
the `compile` arguments in `training_config` and the optimizer's variables in
`optimizer_weights` (`legacy_h5_training`). Loading rebuilds the model from the
architecture (Keras 2's layer configs read in Keras 3's terms), loads its weights,
compiles it with the saved loss, metrics and optimizer configuration and restores the
optimizer's variables (with a warning and a fresh optimizer when they do not fit it).
Saving writes what Keras 3 writes, to a temporary file renamed over the destination.
"""

import json
import warnings

from kerasx.saving.h5_weights import import_h5py
from kerasx.saving.legacy_h5_training import (compile_from_training_config,
                                              load_optimizer_state, training_config)

LEGACY_FORMAT_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or "
    "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend "
    "using instead the native Keras format, e.g. `model.save('my_model.keras')` or "
    "`keras.saving.save_model(model, 'my_model.keras')`.")


def is_legacy_h5_model(path):
    """True when `path` is an HDF5 file holding a whole model (a `model_config`)."""
    h5py = import_h5py()
    try:
        with h5py.File(path, "r") as f:
            return "model_config" in f.attrs
    except (OSError, ValueError):
        return False


def load_legacy_h5_model(path, custom_objects=None, compile=True):
    """The model of the legacy `.h5` file `path`, with its weights (see the module doc)."""
    from kerasx.saving.legacy_h5 import load_legacy_h5_weights

    h5py = import_h5py()
    with h5py.File(path, "r") as f:
        config = _json_attribute(f, "model_config")
        training = _json_attribute(f, "training_config") if "training_config" in f.attrs \
            else None
    model = model_from_legacy_config(config, custom_objects)
    load_legacy_h5_weights(model, path)
    if not compile:
        return model
    if training is None:
        warnings.warn(f"No training configuration found in {path!r}, so the model was *not* "
                      "compiled. Compile it manually.", stacklevel=3)
        return model
    compile_from_training_config(model, training, custom_objects)
    load_optimizer_state(model, path)
    return model


def save_legacy_h5_model(model, path, include_optimizer=True):
    """Writes `model` to the legacy HDF5 file `path` as Keras 3 does (see the module doc)."""
    from kerasx.backend import backend
    from kerasx.saving.keras_archive import KERAS_VERSION
    from kerasx.saving.legacy_h5 import save_legacy_h5_weights, write_weights_group
    from kerasx.utils.atomic import atomic_write

    h5py = import_h5py()
    metadata = {"keras_version": KERAS_VERSION, "backend": backend(),
                "model_config": _legacy_model_config(model)}
    optimizer = getattr(model, "optimizer", None)
    compiled = include_optimizer and optimizer is not None and getattr(model, "compiled", False)
    if compiled:
        metadata["training_config"] = training_config(model)
    texts = {key: value if isinstance(value, str) else _json(model, key, value)
             for key, value in metadata.items()}

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            for key, text in texts.items():
                f.attrs[key] = text.encode("utf8") if key.endswith("config") else text
            save_legacy_h5_weights(f.create_group("model_weights"), model, backend(),
                                   KERAS_VERSION)
            if compiled and optimizer.variables:
                write_weights_group(f.create_group("optimizer_weights"), optimizer.variables)

    atomic_write(path, write)


def _json(model, key, value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Cannot save model {model.name!r}: its {key} is not "
                        f"JSON-serializable ({e}).") from e


def _legacy_model_config(model):
    """`{"class_name", "config"}` of `model`, its layer lists in the legacy form."""
    from kerasx.saving.keras_archive import model_config

    full = model_config(model)
    return _legacy_entry(full)


def _legacy_entry(entry):
    """A layer's serialized config as the legacy format names it: by its registered
    name, without `module` and `build_config`; nested layer lists likewise."""
    legacy = {"class_name": entry.get("registered_name") or entry["class_name"],
              "config": dict(entry["config"])}
    if "shared_object_id" in entry:
        legacy["shared_object_id"] = entry["shared_object_id"]
    layers = legacy["config"].get("layers")
    if isinstance(layers, list):
        legacy["config"]["layers"] = [_legacy_layer(layer) for layer in layers]
    return legacy


def _legacy_layer(entry):
    if not isinstance(entry, dict) or "class_name" not in entry or "config" not in entry:
        return entry
    legacy = _legacy_entry(entry)
    for key in ("name", "inbound_nodes"):  # a functional model's layer entries
        if key in entry:
            legacy[key] = entry[key]
    return legacy


def _json_attribute(f, name):
    value = f.attrs[name]
    return json.loads(value.decode("utf8") if hasattr(value, "decode") else value)


def _builtin_classes():
    """The layer and model classes by name: legacy configs name them without a module."""
    import kerasx
    from kerasx import layers, models

    found = {}
    for module in (layers, models, kerasx):
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name, None)
            if isinstance(obj, type) and name[:1].isupper():
                found.setdefault(name, obj)
    return found


def model_from_legacy_config(config, custom_objects=None):
    """The model of a legacy `{"class_name", "config"}` architecture (a legacy `.h5`
    file's `model_config`, a Keras 2 `model.to_json()`), its layers' entries read as
    Keras 2's, with or without their `module`."""
    return _model_from_config(_legacy_entry(config), custom_objects)


def _model_from_config(config, custom_objects):
    from kerasx.legacy.saving.serialization import deserialize_keras_object
    from kerasx.saving.serialization import custom_object_scope

    builtin = _builtin_classes()
    # nested layer configs are read by the models' from_config: the scope lets it find
    # module-less class names too (the user's classes win)
    with custom_object_scope({**builtin, **(custom_objects or {})}):
        return deserialize_keras_object(config, module_objects=builtin,
                                        custom_objects=custom_objects,
                                        printable_module_name="layer")
