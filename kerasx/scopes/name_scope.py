"""`name_scope`: a prefix for the paths of the variables layers create inside it."""

import threading

from kerasx.layers import _layer_scopes


class name_scope:
    """Opens a name scope: variables that layers build inside it get paths under it.

    ```python
    with keras.name_scope("encoder"):
        layer = keras.layers.Dense(3)
        layer.build((None, 2))
    layer.kernel.path      # "encoder/dense/kernel"
    ```

    Args:
        name: the scope's name (a string without `/`).
        caller: the object opening the scope; with `deduplicate`, a scope of
            the same name and caller as the innermost one is not opened again.
        deduplicate: see `caller`.
        override_parent: a path (`"a/b"`) that replaces the enclosing scopes.
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        if override_parent is None and deduplicate and \
                getattr(caller, "_parent_path", None) is not None:
            self.override_parent = caller._parent_path
        self._token = None

    def __enter__(self):
        opened = _OPEN.scopes
        if self.deduplicate and opened and self.caller is not None and \
                opened[-1].caller is self.caller and opened[-1].name == self.name:
            return self
        parts = _layer_scopes._SCOPE.get()
        if self.override_parent is not None:
            parts = tuple(p for p in self.override_parent.split("/") if p)
        self._token = _layer_scopes._SCOPE.set(parts + (self.name,))
        opened.append(self)
        return self

    def __exit__(self, *exc):
        if self._token is not None:
            _layer_scopes._SCOPE.reset(self._token)
            self._token = None
            _OPEN.scopes.remove(self)
        return False


class _Opened(threading.local):
    def __init__(self):
        self.scopes = []  # this thread's open scopes, innermost last (as the paths are)


_OPEN = _Opened()


def current_path():
    """The path of the open name scopes, `"outer/inner"` (`""` when none is open)."""
    return "/".join(_layer_scopes._SCOPE.get())
