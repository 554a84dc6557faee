"""The training side of legacy HDF5 model files: the `training_config` attribute (the
`compile` arguments, the optimizer as `{"class_name", "config"}`) and the
`optimizer_weights` group, written as Keras 3 writes them and read from Keras 3's and
Keras 2's files (whose optimizers, losses and metrics are named in Keras 2's terms).
"""

import warnings

from kerasx.saving.h5_weights import import_h5py


def training_config(model):
    """The compile arguments, the optimizer apart as `{"class_name", "config"}`."""
    from kerasx.saving.serialization import get_registered_name

    training = dict(model.get_compile_config() or {})
    training.pop("optimizer", None)
    optimizer = model.optimizer
    training["optimizer_config"] = {"class_name": get_registered_name(type(optimizer)),
                                    "config": optimizer.get_config()}
    return training


def load_optimizer_state(model, path):
    """Restores the optimizer's variables saved in `optimizer_weights`, if any."""
    from kerasx.saving.legacy_h5 import read_weights_group

    h5py = import_h5py()
    with h5py.File(path, "r") as f:
        if "optimizer_weights" not in f:
            return
        names, values = read_weights_group(h5py, f, "optimizer_weights")
    optimizer = model.optimizer
    try:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        variables = optimizer.variables
        if len(values) == len(variables) - 1 and len(variables) > 1 and \
                variables[1].path.endswith("/learning_rate") and \
                not names[1].split(":")[0].endswith("learning_rate"):
            # Keras 2 kept the learning rate out of the optimizer's variables
            values.insert(1, variables[1].numpy())
        shapes = [tuple(v.shape) for v in variables]
        if [tuple(v.shape) for v in values] != shapes:
            raise ValueError(f"the file's optimizer variables have shapes "
                             f"{[tuple(v.shape) for v in values]}, the optimizer's {shapes}")
        optimizer.set_weights(values)
    except (ValueError, AttributeError, NotImplementedError) as e:
        warnings.warn(f"The optimizer state saved in {path!r} was not restored ({e}): "
                      "training continues from a freshly initialized optimizer.", stacklevel=4)


def compile_from_training_config(model, training, custom_objects):
    """Compiles `model` with the arguments of a `training_config` (see the module doc)."""
    from kerasx import losses, metrics, optimizers
    from kerasx.saving.serialization import custom_object_scope

    with custom_object_scope(custom_objects or {}):
        optimizer = optimizers.get(_optimizer_config(training["optimizer_config"])) \
            if training.get("optimizer_config") else "rmsprop"
        model.compile(optimizer=optimizer,
                      loss=_objects(training.get("loss"), losses.deserialize),
                      metrics=_objects(training.get("metrics"), metrics.deserialize),
                      loss_weights=training.get("loss_weights"),
                      weighted_metrics=_objects(training.get("weighted_metrics"),
                                                metrics.deserialize))


def _optimizer_config(config):
    """Keras 2's optimizer config in Keras 3's terms: its built-in optimizers are named
    `Custom>Adam` and the like, and carry `jit_compile` and `is_legacy_optimizer`."""
    from kerasx.saving.serialization import get_registered_object

    name = config.get("class_name", "")
    if name.startswith("Custom>") and get_registered_object(name) is None:
        config = {**config, "class_name": name[len("Custom>"):]}
        config["config"] = {key: value for key, value in config.get("config", {}).items()
                            if key not in ("jit_compile", "is_legacy_optimizer")}
    return config


def _objects(config, deserialize):
    """The compile argument `config` with its serialized objects (`{"class_name",
    "config"}` dicts, in lists or per-output dicts) made again; names stay names."""
    if isinstance(config, dict):
        if "class_name" in config:
            entry = _keras2_object(config)
            return entry if isinstance(entry, str) else deserialize(entry)
        return {key: _objects(value, deserialize) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [_objects(value, deserialize) for value in config]
    return config


def _keras2_object(entry):
    """A Keras 2 loss or metric entry in Keras 3's terms: a metric it wrapped from a name
    (`MeanMetricWrapper` of `fn="binary_accuracy"`, named "accuracy") becomes that name
    again, so that compile resolves it as Keras 2 did; a built-in loss drops its `fn`
    and reads `reduction="auto"` as the default."""
    config = entry.get("config")
    if not isinstance(config, dict) or "module" in entry:
        return entry
    if entry["class_name"] == "MeanMetricWrapper" and isinstance(config.get("fn"), str):
        return config["name"]
    if isinstance(config.get("fn"), str):
        config = {key: value for key, value in config.items() if key != "fn"}
        if config.get("reduction") == "auto":
            config["reduction"] = "sum_over_batch_size"
        return {**entry, "config": config}
    return entry
