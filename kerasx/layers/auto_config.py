"""The configuration a layer or model gets from its constructor's arguments.

A subclass that does not write `get_config` is still saved and rebuilt as in Keras:
the arguments it was constructed with become its config, provided they are all
plain Python values (strings, numbers, booleans, None, and lists, tuples and dicts
of them).
"""

import inspect

from kerasx.utils.per_class_cache import remember

_PLAIN = (str, int, float, bool, type(None))
_SIGNATURES = {}  # id(cls) -> its __init__'s signature (`kerasx.utils.per_class_cache`)
# `Layer.__init__`'s Keras 2 arguments, left out of a config when not given
_UNSET_LEGACY = ("input_shape", "input_dim", "batch_input_shape", "batch_size")


def _signature(cls):
    try:
        return _SIGNATURES[id(cls)]
    except KeyError:
        return remember(_SIGNATURES, cls, inspect.signature(cls.__init__))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)


def init_arguments(cls, args, kwargs):
    """The arguments of `cls(*args, **kwargs)` by name, defaults filled in and `name`
    left out (the config carries it already), or None when they cannot be written
    as a config: extra positional (`*args`) values, positional-only parameters, or
    values other than plain Python data."""
    try:
        signature = _signature(cls)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())[1:]
    if any(p.kind is p.POSITIONAL_ONLY for p in params):
        return None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))
    for param in params:
        if param.kind is param.VAR_KEYWORD:
            arguments.update(arguments.pop(param.name, {}))
        elif param.kind is param.VAR_POSITIONAL and arguments.pop(param.name, ()):
            return None
    arguments.pop("name", None)
    for legacy in _UNSET_LEGACY:
        if legacy in arguments and arguments[legacy] is None:
            del arguments[legacy]
    return arguments if _plain(arguments) else None


def with_init_arguments(obj, config):
    """`config` completed with the constructor arguments `obj` was made with, for a
    class that leaves `get_config` to its base (the values in `config`, such as the
    current `trainable`, win). `name` stays only when `__init__` can take it back (a
    `name` parameter or `**kwargs`)."""
    arguments = getattr(obj, "_init_arguments", None)
    if arguments is None:
        return config
    merged = {"name": config["name"]} if "name" in config else {}
    merged.update(arguments)
    merged.update((key, value) for key, value in config.items() if key != "name")
    params = _signature(type(obj)).parameters
    if "name" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        merged.pop("name", None)
    return merged
