"""`StatelessScope`: variables read given values, and assignments are recorded, not made.

While a scope is open, the storage of every `Variable` (its `_value`, and the host
number of an optimizer's step counter and learning rate) is read and written
through the innermost scope: a variable the scope holds a value for reads that
value, and an assignment stores the new value in the scope, leaving the variable
itself unchanged. The backend's fast kernels (which may write a variable's array
directly) are set aside in the scope's thread for the duration, so every update
takes the portable path that assigns. Outside any scope nothing is intercepted and the
variables cost nothing extra.

Scopes are per thread: a thread with no scope open reads and writes the variables
themselves, with its fast kernels, while another thread's scope is open.
"""

import threading

from kerasx.autodiff import tape
from kerasx.autodiff.tensor import TensorOps
from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from kerasx.backends.base import kernels_set_aside

# the storage slots of variables that a scope takes over
_ROUTED = ("_value", "_host", "_stale")
class _Scopes(threading.local):
    def __init__(self):
        self.stack = []  # this thread's open scopes, innermost last


_SCOPES = _Scopes()
_OPEN_ANYWHERE = [0]  # scopes open in all threads: the routing stays while any is
_ROUTING = threading.Lock()
_SAVED = {}  # (class, slot) -> the original slot descriptor while a scope is open


class _Routed:
    """A slot descriptor that reads and writes through the innermost open scope."""

    def __init__(self, slot, original):
        self.slot = slot
        self.original = original

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        stack = _SCOPES.stack
        if not stack:
            return self.original.__get__(obj, owner)
        held = stack[-1]._slots.get((id(obj), self.slot), _MISSING)
        return self.original.__get__(obj, owner) if held is _MISSING else held

    def __set__(self, obj, value):
        stack = _SCOPES.stack
        if not stack:
            self.original.__set__(obj, value)
            return
        try:
            self.original.__get__(obj, type(obj))
        except AttributeError:  # a variable made inside the scope: store its first value
            self.original.__set__(obj, value)
            return
        scope = stack[-1]
        scope._slots[(id(obj), self.slot)] = value
        scope._touched[id(obj)] = obj


_MISSING = object()


def _variable_classes():
    seen, todo = [], [Variable]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return seen


def _route():
    for cls in _variable_classes():
        for slot in _ROUTED:
            original = cls.__dict__.get(slot)
            if original is not None and not isinstance(original, _Routed):
                _SAVED[(cls, slot)] = original
                setattr(cls, slot, _Routed(slot, original))


def _unroute():
    for (cls, slot), original in _SAVED.items():
        setattr(cls, slot, original)
    _SAVED.clear()


class StatelessScope:
    """A scope in which no Keras variable is changed.

    Variables read the values given in `state_mapping`, and any update made
    inside the scope (`assign`, `assign_add`, an optimizer step, a metric
    update, a layer's moving statistics) is recorded in the scope instead of
    applied. Collect the new values with `scope.get_current_value(variable)`:

    ```python
    mapping = [(w, ops.ones(w.shape, w.dtype)) for w in model.weights]
    with keras.StatelessScope(mapping) as scope:
        outputs = model(inputs)           # computed with all-ones weights
    new = scope.get_current_value(model.weights[0])
    ```

    Args:
        state_mapping: a list of `(variable, value)` pairs: the value each
            variable reads inside the scope (converted to its dtype; the
            shape must match).
        collect_losses: whether `add_loss` collects losses in `scope.losses`.
        initialize_variables: kept for Keras compatibility (kerasx creates
            variables with their value at once).
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []
        self._loss_owners = {}  # id(loss) -> the layer that added it
        self._slots = {}
        self._touched = {}
        self._final = None
        self._substitutes = {}
        for pair in state_mapping or ():
            key, value = pair
            if not isinstance(key, Variable):
                raise ValueError(f"Invalid reference variable in StatelessScope: all keys in "
                                 f"argument `mapping` must be Variable instances. Received "
                                 f"instead: {key!r}")
            self._hold(key, value)
            if isinstance(value, TensorOps) and getattr(value, "tracked", False):
                # a tensor a GradientTape follows: gradients of what the variable
                # computes inside the scope go to it (Keras's `jax.grad` over
                # `stateless_call`, written with a tape)
                self._substitutes[id(key)] = value

    def _hold(self, variable, value):
        backend = current()
        if isinstance(value, TensorOps):
            value = value.value
        value = backend.asarray(value, dtype=variable.dtype)
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"Invalid variable value in StatelessScope: all values in argument "
                             f"`mapping` must be tensors with a shape that matches the "
                             f"corresponding variable shape. For variable {variable.path!r}, "
                             f"received a value with shape {tuple(value.shape)}, expected "
                             f"{tuple(variable.shape)}.")
        key = id(variable)
        self._slots[(key, "_value")] = value
        if hasattr(variable, "_coerce"):  # an optimizer's host scalar
            self._slots[(key, "_host")] = variable._coerce(value)
            self._slots[(key, "_stale")] = False
        self._touched[key] = variable

    def __enter__(self):
        with _ROUTING:
            if not _OPEN_ANYWHERE[0]:
                _route()
            _OPEN_ANYWHERE[0] += 1
        self._aside = kernels_set_aside()
        self._aside.__enter__()
        _SCOPES.stack.append(self)
        self._final = None
        table = tape._THREAD.substitutes
        self._replaced = {key: table.get(key) for key in self._substitutes}
        table.update(self._substitutes)
        if self._substitutes:
            with _ROUTING:
                tape.SUBSTITUTING[0] += 1
        return self

    def __exit__(self, *exc):
        self._final = {key: var.value for key, var in self._touched.items()}
        table = tape._THREAD.substitutes
        for key, previous in self._replaced.items():
            if previous is None:
                table.pop(key, None)
            else:
                table[key] = previous
        if self._substitutes:
            with _ROUTING:
                tape.SUBSTITUTING[0] -= 1
        _SCOPES.stack.pop()
        self._aside.__exit__()
        with _ROUTING:
            _OPEN_ANYWHERE[0] -= 1
            if not _OPEN_ANYWHERE[0]:
                _unroute()
        return False

    def add_loss(self, loss, layer=None):
        """Records a loss computed inside the scope (`Layer.add_loss` passes itself
        as `layer`, and `layer.losses` inside the scope lists what it added)."""
        self.losses.append(loss)
        if layer is not None:
            self._loss_owners[id(loss)] = layer

    def losses_of(self, layer):
        """The losses `layer` added inside the scope, in order."""
        owners = self._loss_owners
        return [loss for loss in self.losses if owners.get(id(loss)) is layer]

    def add_update(self, update):
        """Records the update `(variable, new_value)`."""
        variable, value = update
        self._hold(variable, value)

    def get_current_value(self, variable):
        """The value `variable` has in this scope (the mapped value, or the last one
        assigned inside it), or None when the scope never held a value for it."""
        key = id(variable)
        if self._final is not None:
            return self._final.get(key)
        if key not in self._touched:
            return None
        stack = _SCOPES.stack
        if stack and stack[-1] is self:
            return variable.value
        return self._slots.get((key, "_value"))


def in_stateless_scope():
    """Whether a `StatelessScope` is open (in this thread)."""
    return bool(_SCOPES.stack)


def get_stateless_scope():
    """The innermost open `StatelessScope` of this thread, or None."""
    stack = _SCOPES.stack
    return stack[-1] if stack else None
