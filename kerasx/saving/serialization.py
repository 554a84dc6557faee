"""Keras 3 style serialization of objects to JSON-able dicts and back.

A serialized object is `{"module": "keras.layers", "class_name": "Dense",
"config": {...}, "registered_name": None}`, the shape Keras 3 writes in
`config.json`, so configs move between kerasx and Keras unchanged.
"""

import importlib
import inspect

_CUSTOM_OBJECTS = {}

_MODULES = {
    "keras.layers": "kerasx.layers",
    "keras.models": "kerasx.models",
    "keras.src.models.functional": "kerasx.models",
    "keras.src.models.sequential": "kerasx.models",
    "keras": "kerasx",
    "keras.losses": "kerasx.losses",
    "keras.metrics": "kerasx.metrics",
    "keras.optimizers": "kerasx.optimizers",
    "keras.optimizers.schedules": "kerasx.optimizers.schedules",
    "keras.initializers": "kerasx.initializers",
    "keras.constraints": "kerasx.constraints",
    "keras.regularizers": "kerasx.regularizers",
    "keras.activations": "kerasx.activations",
}


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a custom class or function as `package>name`."""

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        _CUSTOM_OBJECTS[key] = obj
        obj._registered_name = key
        return obj

    return decorator


def get_registered_object(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _CUSTOM_OBJECTS.get(name)


def _public_module(obj):
    module = type(obj).__module__ if not inspect.isfunction(obj) else obj.__module__
    if not module.startswith("kerasx"):
        return module
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("layers", "models", "losses", "metrics", "optimizers",
                                       "initializers", "constraints", "regularizers",
                                       "activations"):
        if parts[1] == "optimizers" and len(parts) > 2 and parts[2] == "schedules":
            return "keras.optimizers.schedules"
        return "keras." + parts[1]
    return "keras"


def serialize_keras_object(obj):
    """`obj` as a Keras 3 style dict (None, plain values and lists pass through)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    registered = getattr(obj, "_registered_name", None) if not isinstance(obj, type) else None
    if inspect.isfunction(obj):
        return {"module": _public_module(obj), "class_name": "function",
                "config": obj.__name__, "registered_name": registered or "function"}
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r}: it has no get_config(). Give its class a get_config "
            "method returning its constructor arguments."
        )
    config = {"module": _public_module(obj), "class_name": type(obj).__name__,
              "config": obj.get_config(), "registered_name": registered}
    build = getattr(obj, "get_build_config", None)
    if build is not None:
        build_config = build()
        if build_config is not None:
            config["build_config"] = build_config
    return config


def deserialize_keras_object(config, custom_objects=None, module_objects=None, safe_mode=True):
    """Rebuilds an object from `serialize_keras_object`'s output (or a bare name)."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects) or (module_objects or {}).get(config)
        if found is None:
            raise ValueError(f"Unknown object name {config!r}; register it or pass custom_objects.")
        return found
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"Cannot deserialize {config!r}: expected a dict with a 'class_name'.")
    class_name = config["class_name"]
    inner = config.get("config", {})
    registered = config.get("registered_name")
    if class_name == "function":
        name = registered if registered not in (None, "function") else inner
        fn = get_registered_object(name, custom_objects) or get_registered_object(inner, custom_objects)
        if fn is None:
            fn = (module_objects or {}).get(inner) or _lookup(config.get("module"), inner)
        if fn is None:
            raise ValueError(f"Unknown function {inner!r} in module {config.get('module')!r}.")
        return fn
    cls = (get_registered_object(registered, custom_objects) if registered else None) \
        or get_registered_object(class_name, custom_objects) \
        or (module_objects or {}).get(class_name) \
        or _lookup(config.get("module"), class_name)
    if cls is None:
        raise ValueError(
            f"Unknown class {class_name!r} (module {config.get('module')!r}). If it is a custom "
            "class, decorate it with @kerasx.saving.register_keras_serializable() or pass it in "
            "custom_objects."
        )
    if hasattr(cls, "from_config"):
        kwargs = {}
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            kwargs["custom_objects"] = custom_objects
        obj = cls.from_config(inner, **kwargs)
    else:
        obj = cls(**inner)
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config"):
        obj.build_from_config(build_config)
    return obj


def _lookup(module, name):
    target = _MODULES.get(module or "", None)
    candidates = [target] if target else []
    candidates += ["kerasx.layers", "kerasx.models", "kerasx"]
    for mod in candidates:
        try:
            found = getattr(importlib.import_module(mod), name, None)
        except ImportError:
            found = None
        if found is not None:
            return found
    return None
