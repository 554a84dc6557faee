"""Keras 2 style serialization: `{"class_name": ..., "config": {...}}` dicts, and
plain names for functions.

These are `keras.legacy.saving.serialize_keras_object` and
`deserialize_keras_object` (also `keras.utils.legacy`): the format `tf.keras`
wrote into `.h5` files and JSON configs. Keras 3's own format (with `module`
and `registered_name`) is `keras.saving.serialize_keras_object`.
"""

import contextlib
import inspect

from kerasx.saving.serialization import (custom_object_scope, get_registered_name,
                                         get_registered_object)

PASSIVE = "__passive_serialization__"


def serialize_keras_object(instance):
    """A Keras 2 style JSON-compatible form of `instance`.

    An object with `get_config` becomes `{"class_name": <registered name>,
    "config": <its config>}`, where entries of the config that are objects
    themselves are serialized the same way (and marked so that
    `deserialize_keras_object` revives them); a function or class becomes its
    registered name; None stays None.
    """
    instance = inspect.unwrap(instance)
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
            except ValueError:
                config[key] = item
                continue
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized[PASSIVE] = True
            config[key] = serialized
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def class_and_config_for_serialized_keras_object(config, module_objects=None,
                                                 custom_objects=None,
                                                 printable_module_name="object"):
    """The class a Keras 2 style `config` names and its config, with entries that
    were serialized objects (or names of known functions) revived."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format for {config}. Expecting python dict contains "
                         "`class_name` and `config` as keys")
    class_name = config["class_name"]
    cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise ValueError(_unknown(printable_module_name, class_name))
    cls_config = config["config"]
    if isinstance(cls_config, list):  # an old Sequential: a list of layer configs
        return cls, cls_config
    revived = {}
    for key, item in cls_config.items():
        if key == "name":
            continue
        if isinstance(item, dict) and PASSIVE in item:
            revived[key] = deserialize_keras_object(item, module_objects=module_objects,
                                                    custom_objects=custom_objects,
                                                    printable_module_name="config_item")
        elif isinstance(item, str):
            found = get_registered_object(item, custom_objects, module_objects)
            if inspect.isfunction(found):
                revived[key] = found
    cls_config.update(revived)
    return cls, cls_config


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """The object a Keras 2 style serialized form describes.

    Args:
        identifier: a `{"class_name": ..., "config": ...}` dict (built with the
            class's `from_config`, or called with the config as keyword
            arguments when it has none), a name (a class is instantiated with
            no arguments, a function returned), a function (returned), or None.
        module_objects: a dict of the built-in objects to look names up in.
        custom_objects: a dict of user objects, looked up first.
        printable_module_name: what the object is, for error messages.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls, cls_config = class_and_config_for_serialized_keras_object(
            identifier, module_objects, custom_objects, printable_module_name)
        custom_objects = custom_objects or {}
        if hasattr(cls, "from_config"):
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                return cls.from_config(cls_config, custom_objects=custom_objects)
            with custom_object_scope(custom_objects):
                return cls.from_config(cls_config)
        with custom_object_scope(custom_objects):
            return cls(**cls_config)
    if isinstance(identifier, str):
        found = get_registered_object(identifier, custom_objects, module_objects)
        if found is None:
            raise ValueError(_unknown(printable_module_name, identifier))
        return found() if inspect.isclass(found) else found
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")


def _unknown(what, name):
    return (f"Unknown {what}: '{name}'. Please ensure you are using a "
            "`keras.utils.custom_object_scope` and that this object is included in the scope, "
            "or pass it in `custom_objects` (or the module's objects in `module_objects`).")


def upgrade_layer_entry(entry):
    """A layer entry of a Keras 2 model config (one without `module`) with its config
    in Keras 3's terms: a one-element `axis` list (Keras 2's `BatchNormalization`)
    becomes its integer, and the recurrent layers' `time_major=False` is dropped (True
    is refused by the layer); `batch_input_shape` is read by the layers themselves.
    Other entries are returned unchanged."""
    if not isinstance(entry, dict) or "module" in entry or \
            not isinstance(entry.get("config"), dict):
        return entry
    config = dict(entry["config"])
    if config.get("time_major") is False:  # Keras 2's recurrent layers; Keras 3 has no such
        del config["time_major"]
    axis = config.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        config["axis"] = int(axis[0])
    elif isinstance(axis, float):
        config["axis"] = int(axis)
    return {**entry, "config": config}


def module_less_classes(layer_config, custom_objects):
    """A scope naming kerasx's built-in classes for a layer entry without `module` (a
    Keras 2 style `{"class_name", "config"}`, which Keras 3 reads as its legacy format);
    a scope that does nothing for other entries."""
    from kerasx.saving.legacy_h5_model import _builtin_classes

    if not isinstance(layer_config, dict) or "module" in layer_config:
        return contextlib.nullcontext()
    return custom_object_scope({**_builtin_classes(), **(custom_objects or {})})
