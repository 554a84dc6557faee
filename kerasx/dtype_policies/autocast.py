"""Reading a mixed-precision layer's float32 weights in its compute dtype.

A layer whose policy computes in another dtype than its weights' (`"mixed_float16"`)
creates `AutocastVariable`s. While the layer's `call` runs, `autocast_scope` holds its
compute dtype, and reading such a variable's `value` gives it cast to that dtype (as
Keras 3 autocasts variables): the ops see float16 weights, the tape sends the float16
gradient to the float32 variable, and `Optimizer.apply` converts it to float32.
Variables of other layers are plain `Variable`s and pay nothing for this.
"""

from kerasx.autodiff.variable import Variable
from kerasx.backends import current

# the backend dtype weights are read in, or None outside a mixed-precision layer's call
_SCOPE = [None]


class autocast_scope:
    """Within it, `AutocastVariable`s read as `dtype` (a dtype name; None: as stored)."""

    __slots__ = ("_dtype", "_saved")

    def __init__(self, dtype):
        self._dtype = None if dtype is None else current().dtype(dtype)

    def __enter__(self):
        self._saved = _SCOPE[0]
        _SCOPE[0] = self._dtype
        return self

    def __exit__(self, *exc):
        _SCOPE[0] = self._saved
        return False


def current_autocast_dtype():
    """The backend dtype variables are read in now (None: as stored)."""
    return _SCOPE[0]


class AutocastVariable(Variable):
    """A float `Variable` read in the compute dtype inside a mixed-precision layer's
    `call`; stored, assigned, saved and updated in its own (variable) dtype."""

    __slots__ = ()

    @property
    def value(self):
        dtype = _SCOPE[0]
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
