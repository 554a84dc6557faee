"""Loading whole models from legacy HDF5 files (`model.save("model.h5")` in Keras 2, and
in Keras 3, which still writes them, with a deprecation warning).

Such a file holds the architecture as JSON in the root attribute `model_config` (layer
classes named without their module), the weights in the `model_weights` group (read by
`legacy_h5`), and, for a compiled model, the `compile` arguments in `training_config`.
The model is rebuilt from the architecture, its weights loaded, and it is compiled
with the saved loss, metrics and optimizer configuration; the optimizer's saved state
(`optimizer_weights`) is not restored: training resumes from a fresh optimizer, as
kerasx says in a warning.
"""

import json
import warnings

from kerasx.saving.h5_weights import import_h5py


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
        has_optimizer_state = "optimizer_weights" in f
    model = _model_from_config(config, custom_objects)
    load_legacy_h5_weights(model, path)
    if not compile:
        return model
    if training is None:
        warnings.warn(f"No training configuration found in {path!r}, so the model was *not* "
                      "compiled. Compile it manually.", stacklevel=3)
        return model
    _compile(model, training, custom_objects)
    if has_optimizer_state:
        warnings.warn(f"The optimizer state saved in the legacy HDF5 file {path!r} is not "
                      "restored: training continues from a fresh optimizer. Save models as "
                      "`.keras` files to keep it.", stacklevel=3)
    return model


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


def _compile(model, training, custom_objects):
    from kerasx import optimizers
    from kerasx.saving.serialization import custom_object_scope

    with custom_object_scope(custom_objects or {}):
        optimizer = optimizers.get(training["optimizer_config"]) \
            if training.get("optimizer_config") else "rmsprop"
        model.compile(optimizer=optimizer, loss=training.get("loss"),
                      metrics=training.get("metrics"),
                      loss_weights=training.get("loss_weights"),
                      weighted_metrics=training.get("weighted_metrics"))
