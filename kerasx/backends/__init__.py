"""Backends: the only place that knows a concrete array library.

The active backend comes from `KERASX_BACKEND` (`numpy` by default) and can be
switched at run time with `use_backend(name)` (a context manager) or
`set_backend(name)`.
"""

import contextlib
import contextvars
import importlib
import os
import threading

_FACTORIES = {
    "numpy": ("kerasx.backends.numpy", "NumpyBackend"),
    "cupy": ("kerasx.backends.cupy", "CupyBackend"),
    "array_api_strict": ("kerasx.backends.strict", "StrictBackend"),
}
_ALIASES = {"strict": "array_api_strict", "np": "numpy", "cp": "cupy"}
_INSTANCES = {}
_CREATING = threading.RLock()  # threads first using a backend at once get the same one
_ACTIVE = contextvars.ContextVar("kerasx_backend", default=None)
_DEFAULT = [None]


def available_backends():
    """The names `KERASX_BACKEND` and `use_backend` accept."""
    return sorted(_FACTORIES)


def get_backend(name):
    """The (cached) backend object called `name`."""
    key = _ALIASES.get(name, name)
    backend = _INSTANCES.get(key)
    if backend is None:
        if key not in _FACTORIES:
            raise ValueError(
                f"Unknown backend {name!r}. Available backends: {available_backends()}. "
                "Set KERASX_BACKEND to one of them."
            )
        with _CREATING:
            backend = _INSTANCES.get(key)
            if backend is None:
                module, cls = _FACTORIES[key]
                backend = getattr(importlib.import_module(module), cls)()
                backend.xp  # fail here, with the install hint, not at first use
                _INSTANCES[key] = backend
    return backend


def current():
    """The active backend object."""
    backend = _ACTIVE.get()
    if backend is None:
        backend = _DEFAULT[0]
        if backend is None:
            backend = _DEFAULT[0] = get_backend(os.environ.get("KERASX_BACKEND", "numpy"))
    return backend


def set_backend(name):
    """Makes `name` the process-wide default backend."""
    _DEFAULT[0] = get_backend(name)
    _ACTIVE.set(None)


@contextlib.contextmanager
def use_backend(name):
    """Runs a block on another backend: `with use_backend("array_api_strict"): ...`."""
    token = _ACTIVE.set(get_backend(name))
    try:
        yield current()
    finally:
        _ACTIVE.reset(token)
