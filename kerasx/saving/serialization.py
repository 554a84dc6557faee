"""Keras 3 style serialization of objects to JSON-able dicts and back.

A serialized object is `{"module": "keras.layers", "class_name": "Dense",
"config": {...}, "registered_name": None}` (plus `build_config` /
`compile_config` when the object has them), the shape Keras 3 writes in a
`.keras` file's `config.json`, so configs move between kerasx and Keras
unchanged. Functions are `{"module": "builtins", "class_name": "function",
"config": name, "registered_name": "function"}`, as Keras writes them.

Custom classes and functions are found through
`@register_keras_serializable()`, the `custom_objects=` argument, or
`custom_object_scope(...)`.
"""

import base64
import builtins
import contextlib
import contextvars
import importlib
import inspect
import marshal
import types
import warnings

_GLOBAL_CUSTOM_OBJECTS = {}  # "package>name" -> class or function
_GLOBAL_CUSTOM_NAMES = {}  # class or function -> "package>name"
_SCOPED_OBJECTS = contextvars.ContextVar("kerasx_custom_objects", default=None)
_SAFE_MODE = contextvars.ContextVar("kerasx_safe_mode", default=None)
_GLOBAL_SAFE_MODE = [None]  # False after enable_unsafe_deserialization()

# kerasx subpackage -> the Keras module its public classes are exported from.
_FAMILIES = ("layers", "losses", "metrics", "optimizers", "initializers", "constraints",
             "regularizers", "activations", "callbacks", "distillation", "utils", "random")
# Where to look for a function saved with module "builtins" (Keras's generic form).
_FUNCTION_MODULES = ("kerasx.activations", "kerasx.losses", "kerasx.metrics",
                     "kerasx.initializers", "kerasx.constraints", "kerasx.regularizers",
                     "kerasx.optimizers")
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")


class UnknownObjectError(TypeError, ValueError):
    """A config names a class or function that is neither built in nor registered.
    A `TypeError`, as Keras raises for it, and a `ValueError` for code catching that."""


# -- registry ------------------------------------------------------------------------------
def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under `"package>name"`.

    The registered name is written in configs, so a saved model that uses the
    object can be rebuilt wherever the decorated definition has been imported.

    Args:
        package: the package part of the key (default `"Custom"`).
        name: the name part (default: the object's `__name__`).

    Example:

        @kerasx.saving.register_keras_serializable(package="my_package")
        class MyLayer(kerasx.layers.Layer):
            ...
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"register_keras_serializable: package must be a string without '>', received "
            f"package={package!r}."
        )

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: the class has no get_config() method. Add "
                "one returning its constructor arguments."
            )
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """The key `obj` is registered under, or its `__name__` when it is not registered."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object known as `name` in `custom_objects`, the active
    `custom_object_scope`s, the registry or `module_objects` (None if none)."""
    if name is None:
        return None
    for table in (custom_objects, _SCOPED_OBJECTS.get(), _GLOBAL_CUSTOM_OBJECTS, module_objects):
        if table and name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global registry dict (`"package>name"` -> object); entries added to it are
    found by deserialization like registered ones."""
    return _GLOBAL_CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*scopes):
    """Makes the objects of the given dicts known to deserialization inside the block.

    Example:

        with kerasx.saving.custom_object_scope({"MyLayer": MyLayer}):
            model = kerasx.Sequential.from_config(config)
    """
    merged = dict(_SCOPED_OBJECTS.get() or {})
    for scope in scopes:
        merged.update(scope or {})
    token = _SCOPED_OBJECTS.set(merged)
    try:
        yield merged
    finally:
        _SCOPED_OBJECTS.reset(token)


CustomObjectScope = custom_object_scope


def in_safe_mode():
    """The safe mode of the deserialization in progress: True or False inside
    `deserialize_keras_object`, False after `enable_unsafe_deserialization()`,
    otherwise None (callers then default to safe)."""
    scoped = _SAFE_MODE.get()
    return scoped if scoped is not None else _GLOBAL_SAFE_MODE[0]


def enable_unsafe_deserialization():
    """Allows loading Python lambdas (stored bytecode) everywhere in this process."""
    _GLOBAL_SAFE_MODE[0] = False


# -- serialize -----------------------------------------------------------------------------
def serialize_keras_object(obj):
    """`obj` as a JSON-able Keras 3 style config.

    None, strings, numbers and booleans pass through; lists, tuples and dicts
    are serialized item by item; arrays become `__numpy__` / `__tensor__`
    entries; functions become `function` entries; any other object must have a
    `get_config()` method.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    array = _array_config(obj)
    if array is not None:
        return array
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        warnings.warn(
            "The object being serialized includes a lambda. Reloading it needs "
            "safe_mode=False; prefer a named function registered with "
            "@kerasx.saving.register_keras_serializable().", stacklevel=2)
        return {"class_name": "__lambda__", "config": {"value": _dump_function(obj)}}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return {"module": "builtins", "class_name": "function",
                "config": _GLOBAL_CUSTOM_NAMES.get(obj, obj.__name__),
                "registered_name": "function"}
    if inspect.isclass(obj):
        raise TypeError(
            f"Cannot serialize the class {obj.__name__} itself; serialize an instance of it."
        )
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj).__name__}: it has no "
            "get_config(). Give its class a get_config() method returning its constructor "
            "arguments."
        )
    inner = obj.get_config()
    if not isinstance(inner, dict):
        raise TypeError(
            f"{type(obj).__name__}.get_config() must return a dict, it returned {inner!r}."
        )
    cls = type(obj)
    module = _public_module(cls)
    registered = None
    if cls.__name__ == "Functional" and module == "keras":
        # Keras 3 writes functional models under their internal module and registers them
        module, registered = "keras.src.models.functional", "Functional"
    elif module != "keras" and not module.startswith("keras."):
        registered = get_registered_name(cls)
        if module == "__main__":
            module = None
    # a class may go by another name in Keras's files (`_keras_class_name`)
    class_name = cls.__dict__.get("_keras_class_name", cls.__name__)
    config = {"module": module, "class_name": class_name, "config": serialize_dict(inner),
              "registered_name": registered}
    build = getattr(obj, "get_build_config", None)
    if build is not None:
        build_config = build()
        if build_config is not None:
            config["build_config"] = serialize_dict(build_config)
    compile_ = getattr(obj, "get_compile_config", None)
    if compile_ is not None:
        compile_config = compile_()
        if compile_config is not None:
            config["compile_config"] = serialize_dict(compile_config)
    return config


def serialize_dict(config):
    """Every value of `config` serialized."""
    return {key: serialize_keras_object(value) for key, value in config.items()}


def _array_config(obj):
    """The `__tensor__` / `__numpy__` form of an array (a Python number for NumPy
    scalars), or None when `obj` is no array."""
    from kerasx.autodiff.tensor import TensorOps
    from kerasx.backends import current
    from kerasx.backends.base import dtype_name

    backend = current()
    if isinstance(obj, TensorOps) or backend.is_native(obj) and type(obj).__module__ != "numpy":
        value = obj.value if isinstance(obj, TensorOps) else obj
        return {"class_name": "__tensor__",
                "config": {"value": backend.to_numpy(value).tolist(),
                           "dtype": dtype_name(value.dtype)}}
    if type(obj).__module__ == "numpy":
        if getattr(obj, "ndim", 0) > 0:
            return {"class_name": "__numpy__",
                    "config": {"value": obj.tolist(), "dtype": dtype_name(obj.dtype)}}
        if hasattr(obj, "item"):
            return obj.item()
    return None


def _public_module(cls):
    """The Keras module name under which a kerasx class is public (e.g. `keras.layers`);
    other classes keep their own module."""
    module = cls.__module__
    parts = module.split(".")
    if parts[0] != "kerasx":
        return module
    family = parts[1] if len(parts) > 1 else ""
    if family == "optimizers" and len(parts) > 2 and parts[2] == "schedules":
        return "keras.optimizers.schedules"
    if family in _FAMILIES:
        return "keras." + family
    if family == "dtype_policies" and cls.__name__ not in _DTYPE_POLICIES:
        return "keras.dtype_policies"  # DTypePolicyMap (Keras writes DTypePolicy under keras)
    return "keras"


# -- deserialize ---------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, safe_mode=True, module_objects=None,
                             kind="object", **kwargs):
    """Rebuilds an object from `serialize_keras_object`'s output.

    Args:
        config: a config dict, a list of them, a plain value, or a name.
        custom_objects: dict of names (class names or registered `"package>name"`
            keys) to custom classes and functions.
        safe_mode: refuse to load lambdas (which run stored bytecode).
        module_objects: dict of names to the objects of one module (used by
            `kerasx.<module>.deserialize`); a name found there is instantiated.
        kind: the kind of object, used in error messages.
    """
    if kwargs:
        raise TypeError(f"deserialize_keras_object got unexpected arguments {sorted(kwargs)}.")
    if in_safe_mode() is not None:
        safe_mode = in_safe_mode()
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode, module_objects, kind)
                for c in config]
    if isinstance(config, str):
        return _from_name(config, custom_objects, module_objects, kind)
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config {config!r}: expected a dict, a list or a name.")
    if "class_name" not in config or ("config" not in config and module_objects is None):
        if module_objects is not None:
            raise ValueError(
                f"Cannot deserialize {kind} config {config!r}: expected a dict with "
                "'class_name' and 'config' keys, as written by serialize()."
            )
        return {key: deserialize_keras_object(value, custom_objects, safe_mode)
                for key, value in config.items()}
    class_name = config["class_name"]
    inner = config.get("config")
    inner = {} if inner is None else inner
    special = _special(class_name, inner, config, safe_mode)
    if special is not _NOT_SPECIAL:
        return special
    if class_name == "function":
        return _find_function(inner, config, custom_objects, module_objects, kind)
    cls = _find_class(class_name, config, custom_objects, module_objects, kind)
    if isinstance(cls, types.FunctionType):
        return cls
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}, received {inner!r}.")
    inner = dict(inner)
    if isinstance(inner.get("dtype"), dict):
        # Keras 3 writes a layer's dtype as a DTypePolicy config; its `from_config` passes
        # the name (a quantized policy or a policy map as the policy)
        from kerasx.dtype_policies import layer_dtype_argument

        inner["dtype"] = layer_dtype_argument(inner["dtype"], custom_objects)
    with custom_object_scope(custom_objects), _safe_mode_scope(safe_mode):
        obj = _instantiate(cls, inner, custom_objects)
        build_config = config.get("build_config")
        if build_config and not getattr(obj, "built", True) and hasattr(obj, "build_from_config"):
            _build(obj, build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(obj, "compile_from_config"):
            obj.compile_from_config(compile_config)
    return obj


def _instantiate(cls, inner, custom_objects):
    if not hasattr(cls, "from_config"):
        try:
            return cls(**inner)
        except TypeError as e:
            raise TypeError(f"Could not rebuild {cls.__name__} from config {inner}: {e}") from e
    kwargs = {}
    try:
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            kwargs["custom_objects"] = custom_objects
    except (TypeError, ValueError):
        pass
    try:
        return cls.from_config(inner, **kwargs)
    except TypeError as e:
        if getattr(e, "_kerasx_reported", False) or isinstance(e, UnknownObjectError):
            raise  # a nested object's error, already explained
        shown = repr(inner)
        shown = shown if len(shown) < 400 else shown[:400] + "...}"
        error = TypeError(
            f"{cls.__name__}.from_config could not rebuild the object: {str(e).rstrip('.')}. "
            f"Config: {shown}. If the class stores objects (layers, initializers...) in "
            "get_config(), its from_config must deserialize them."
        )
        error._kerasx_reported = True
        raise error from e


def _build(obj, build_config):
    """Builds a rebuilt object from its `build_config` (shapes come back from JSON as lists)."""
    build_config = dict(build_config)
    shape = build_config.get("input_shape")
    if _is_shape_list(shape):
        build_config["input_shape"] = tuple(shape)
    elif isinstance(shape, list) and all(_is_shape_list(s) for s in shape):
        build_config["input_shape"] = [tuple(s) for s in shape]
    obj.build_from_config(build_config)
    # A kerasx layer writes its build shape back as build_config; record it so a
    # rebuilt layer serializes like the original.
    if getattr(obj, "_build_shape", False) is None and obj.built \
            and build_config.get("input_shape") is not None:
        obj._build_shape = build_config["input_shape"]


def _is_shape_list(value):
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


_NOT_SPECIAL = object()


def _special(class_name, inner, config, safe_mode):
    """The value of Keras's special entries (`__numpy__`, `__tensor__`, `__lambda__`,
    dtype policies...), or `_NOT_SPECIAL`."""
    if class_name in _DTYPE_POLICIES:
        return inner.get("name")
    if class_name == "__tensor__":
        from kerasx.backends import current

        return current().asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__numpy__":
        from kerasx.backends.host import to_host

        return to_host(inner["value"], dtype=inner["dtype"])
    if class_name == "__keras_tensor__":
        return config  # a graph reference: the functional model resolves it
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(inner.get("start"), inner.get("stop"), inner.get("step"))
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a Python lambda, which runs stored bytecode "
                "and is refused in safe mode. If you trust the source of this config, pass "
                "safe_mode=False."
            )
        return _load_function(inner)
    return _NOT_SPECIAL


def _from_name(name, custom_objects, module_objects, kind):
    found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if module_objects is None:
        return name
    if name not in module_objects:
        from kerasx.utils.suggest import unknown_identifier

        raise unknown_identifier(kind, name, module_objects)
    found = module_objects[name]
    return _instantiate(found, {}, custom_objects) if inspect.isclass(found) else found


def _find_function(name, config, custom_objects, module_objects, kind):
    if not isinstance(name, str):
        raise TypeError(f"Expected the function name as 'config', received {name!r} in {config}.")
    found = get_registered_object(name, custom_objects, module_objects)
    if found is not None:
        return found
    module = config.get("module")
    candidates = _kerasx_modules(module) if module not in (None, "builtins") else ()
    for mod in tuple(candidates) + _FUNCTION_MODULES:
        fn = getattr(_import(mod), name, None)
        if callable(fn) and not inspect.isclass(fn):
            return fn
    if ">" not in name:
        for table in (custom_objects, _SCOPED_OBJECTS.get(), _GLOBAL_CUSTOM_OBJECTS):
            for key, obj in (table or {}).items():
                if key.endswith(">" + name):
                    return obj
    raise UnknownObjectError(
        f"Could not locate function {name!r} (module {module!r}). If it is a custom "
        f"{kind if kind != 'object' else 'function'}, decorate it with "
        "@kerasx.saving.register_keras_serializable() or pass "
        f"custom_objects={{{name!r}: {name.split('>')[-1]}}}."
    )


def _find_class(class_name, config, custom_objects, module_objects, kind):
    registered = config.get("registered_name")
    found = None
    if registered and registered != class_name:
        found = get_registered_object(registered, custom_objects)
    found = found or get_registered_object(class_name, custom_objects, module_objects)
    if found is not None:
        return found
    module = config.get("module")
    known = dict(module_objects or {})
    for mod in _kerasx_modules(module):
        imported = _import(mod)
        found = getattr(imported, class_name, None)
        if inspect.isclass(found):
            return found
        known.update({k: None for k in dir(imported) if k[:1].isupper()})
    from kerasx.utils.suggest import did_you_mean

    hint = did_you_mean(class_name, known)
    raise UnknownObjectError(
        f"Could not locate class {class_name!r} (module {module!r}) to deserialize "
        f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}.{hint} If it is a custom class, "
        "decorate it with @kerasx.saving.register_keras_serializable() or pass "
        f"custom_objects={{{class_name!r}: {class_name}}}."
    )


def _kerasx_modules(module):
    """The kerasx modules that may hold the objects of Keras module `module`."""
    if not module:
        return ()
    parts = module.split(".")
    if parts[0] == "kerasx":
        return (module,) if len(parts) < 3 else (module, ".".join(parts[:2]))
    if parts[0] != "keras":
        return ()
    parts = [p for p in parts[1:] if p != "src"]
    if not parts:
        return ("kerasx", "kerasx.models")
    if parts[0] == "optimizers" and len(parts) > 1 and parts[1] == "schedules":
        return ("kerasx.optimizers.schedules",)
    if parts[0] in _FAMILIES:
        return ("kerasx." + parts[0],)
    if parts[0] in ("models", "engine"):
        return ("kerasx.models", "kerasx")
    if parts[0] == "dtype_policies":
        return ("kerasx.dtype_policies",)
    return ("kerasx",)


def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@contextlib.contextmanager
def _safe_mode_scope(safe_mode):
    token = _SAFE_MODE.set(safe_mode)
    try:
        yield
    finally:
        _SAFE_MODE.reset(token)


# -- lambdas -------------------------------------------------------------------------------
def _dump_function(fn):
    """`(base64 bytecode, defaults, closure values)`, Keras's stored form of a lambda."""
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return code, fn.__defaults__, closure


def _load_function(inner):
    import kerasx

    if "value" in inner:  # serialize_keras_object's form
        code, defaults, closure = inner["value"]
    else:  # the Lambda layer's form
        code, defaults, closure = inner["code"], inner.get("defaults"), inner.get("closure")
    code = marshal.loads(base64.decodebytes(code.encode("ascii")))
    if closure is not None:
        closure = tuple(types.CellType(c) for c in closure)
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    scope = {"__builtins__": builtins, "kerasx": kerasx, "keras": kerasx, "ops": kerasx.ops}
    return types.FunctionType(code, scope, code.co_name, defaults, closure)
