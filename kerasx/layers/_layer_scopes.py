"""The scopes a layer's `build` and `call` run in.

`_SCOPE` is the name scope that variables take their paths from; `_enter_scope` /
`_exit_scope` push and pop a layer's name around its call; `_scoped_build` runs a
subclass's `build` inside its layer's scope (and marks the layer built when it
returns); `_unlocking` runs the methods that add state to a built layer (`quantize`,
`enable_lora`) inside the scope the layer was built in, its state unlocked.
`_stateless_scope` is the active `StatelessScope`, if any.
"""

import contextvars
import functools

from kerasx.layers._build_shapes import _record_build_shape

# The names of the layers whose build or call is running, outermost first: a variable's
# `path` is this scope plus its layer's name, as Keras's name scopes make it
# (`sequential/lstm/lstm_cell/kernel`).
_SCOPE = contextvars.ContextVar("kerasx_name_scope", default=())


def _stateless_scope():
    if not _GET_STATELESS_SCOPE:  # imported on first use, then one call per read
        from kerasx.scopes.stateless import get_stateless_scope

        _GET_STATELESS_SCOPE.append(get_stateless_scope)
    return _GET_STATELESS_SCOPE[0]()


_GET_STATELESS_SCOPE = []


def _enter_scope(name):
    """Pushes `name` unless it is already the innermost scope; returns the reset token."""
    scope = _SCOPE.get()
    if scope and scope[-1] == name:
        return None
    return _SCOPE.set(scope + (name,))


def _exit_scope(token):
    if token is not None:
        _SCOPE.reset(token)


def _scoped_build(build):
    """`build` running inside its layer's name scope (the variables it creates get their
    path from it, also when a parent layer calls it directly), marking the layer built
    once it returns, as Keras does."""

    def wrapper(self, *args, **kwargs):
        token = _enter_scope(self.name)
        if "_path" not in self.__dict__:
            object.__setattr__(self, "_path", "/".join(_SCOPE.get()))
        # a subclass's build calling `super().build()` locks the state once, after
        # the outermost build returns
        depth = self.__dict__.get("_build_depth", 0)
        object.__setattr__(self, "_build_depth", depth + 1)
        try:
            result = build(self, *args, **kwargs)
        finally:
            _exit_scope(token)
            object.__setattr__(self, "_build_depth", depth)
        self.built = True
        if not depth:
            if self.__dict__.get("_build_shape") is None:
                _record_build_shape(self, build, args, kwargs)
            self._lock_state()
        return result

    wrapper.__name__, wrapper.__qualname__ = build.__name__, build.__qualname__
    wrapper.__doc__, wrapper.__wrapped__ = build.__doc__, build
    wrapper._scoped = True
    return wrapper



# methods that add state to a built layer, as Keras lets them (its quantize wrapper,
# `enable_lora`)
_STATE_CHANGING_METHODS = ("quantize", "enable_lora")

def _unlocking(method):
    """`method` with its layer's state unlocked while it runs, inside the name scopes
    the layer was built in (variables it adds get paths beside the layer's others, as
    Keras's `quantize` and `enable_lora` give them)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        path = self.__dict__.get("_path")
        token = _SCOPE.set(tuple(path.split("/"))) if path else None
        try:
            with self._tracker.unlocked():
                return method(self, *args, **kwargs)
        finally:
            if token is not None:
                _SCOPE.reset(token)

    wrapper._unlocks = True
    return wrapper
