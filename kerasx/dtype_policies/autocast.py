"""Reading a mixed-precision layer's float32 weights in its compute dtype.

A layer whose policy computes in another dtype than its weights' (`"mixed_float16"`)
creates `AutocastVariable`s. While the layer's `call` runs, `autocast_scope` holds its
compute dtype, and reading such a variable's `value` gives it cast to that dtype (as
Keras 3 autocasts variables): the ops see float16 weights, the tape sends the float16
gradient to the float32 variable, and `Optimizer.apply` converts it to float32.
Variables of other layers are plain `Variable`s and pay nothing for this. The scope is
per thread: a thread running a mixed-precision layer leaves the weights another thread
reads (its optimizer's update, another model's call) in their stored dtype.
"""

import threading

from kerasx.autodiff.variable import Variable
from kerasx.backends import current


class _ThreadDtype(threading.local):
    dtype = None  # this thread's: None outside a mixed-precision layer's call


_THREAD = _ThreadDtype()
# set once any thread has run a mixed-precision call: until then (every float32 model)
# reading the dtype and entering a layer's scope cost one list test, not a thread-local
# lookup
_USED = [False]
_UNCHANGED = object()


def _set_dtype(dtype):
    """Sets this thread's autocast dtype; returns the previous one."""
    if dtype is not None:
        _USED[0] = True
    thread = _THREAD
    old, thread.dtype = thread.dtype, dtype
    return old


class _ThreadScope:
    """`_SCOPE[0]`: this thread's autocast dtype, read and set (for code that saves and
    restores it around a recomputation)."""

    def __getitem__(self, index):
        return current_autocast_dtype()

    def __setitem__(self, index, dtype):
        _set_dtype(dtype)


_SCOPE = _ThreadScope()


class autocast_scope:
    """Within it, `AutocastVariable`s read as `dtype` (a dtype name; None: as stored).

    The dtype is per thread: another thread's variables read as stored meanwhile."""

    __slots__ = ("_dtype", "_saved")

    def __init__(self, dtype):
        self._dtype = None if dtype is None else current().dtype(dtype)

    def __enter__(self):
        if self._dtype is not None:
            _USED[0] = True
        elif not _USED[0]:
            self._saved = _UNCHANGED  # no thread has autocast: already as stored
            return self
        thread = _THREAD
        self._saved, thread.dtype = thread.dtype, self._dtype
        return self

    def __exit__(self, *exc):
        if self._saved is not _UNCHANGED:
            _THREAD.dtype = self._saved
        return False


def current_autocast_dtype():
    """The backend dtype this thread reads variables in now (None: as stored)."""
    return _THREAD.dtype if _USED[0] else None


class AutocastVariable(Variable):
    """A float `Variable` read in the compute dtype inside a mixed-precision layer's
    `call`; stored, assigned, saved and updated in its own (variable) dtype."""

    __slots__ = ()

    @property
    def value(self):
        dtype = _THREAD.dtype if _USED[0] else None
        value = self._value
        if dtype is None or value.dtype == dtype:
            return value
        return current().xp.astype(value, dtype)

    def assign(self, value):
        """Replaces the value, converted to the stored dtype (also inside a `call`)."""
        backend = current()
        value = value._value if isinstance(value, Variable) else getattr(value, "value", value)
        stored = self._value.dtype
        if not backend.is_native(value) or value.dtype != stored:
            value = backend.asarray(value, dtype=stored)
        return super().assign(value)

    def assign_add(self, delta):
        return self.assign(self._value + _stored_like(delta, self._value))

    def assign_sub(self, delta):
        return self.assign(self._value - _stored_like(delta, self._value))


def _stored_like(delta, stored):
    delta = delta._value if isinstance(delta, Variable) else getattr(delta, "value", delta)
    if hasattr(delta, "dtype") and delta.dtype != stored.dtype:
        return current().xp.astype(delta, stored.dtype)
    return delta
