"""`StateTracker`: the state a layer holds in its attributes, as Keras's `Tracker`.

Every value set as an attribute of a layer passes through its tracker: a `Variable`
joins the layer's own variables, a layer its sublayers, a metric its metrics and a
`SeedGenerator` its seed generators, each once, in the order met; lists, dicts, sets
and tuples are searched at any depth, the mutable ones stored as tracked containers
(`kerasx.layers.tracked_containers`) that keep tracking what is put into them. Once the
layer is built, its tracker is locked: new state is refused with Keras's error.
"""

import collections
import contextlib
import contextvars
import functools

from kerasx.autodiff.variable import Variable
from kerasx.layers.tracked_containers import (TrackedDict, TrackedList, TrackedOrderedDict,
                                              TrackedSet)

# off inside `no_tracking()`: attributes set there are not tracked
_TRACKING = contextvars.ContextVar("kerasx_state_tracking", default=True)

LOCKED_MESSAGE = (
    "You cannot add new elements of state (variables or sub-layers) to a layer that is "
    "already built. All state must be created in the `__init__()` method or in the "
    "`build()` method.")


def tracking_enabled():
    """False inside `no_tracking()`."""
    return _TRACKING.get()


@contextlib.contextmanager
def no_tracking():
    """Attributes set on layers inside the block are stored as given, untracked (as
    Keras's `no_automatic_dependency_tracking`): bookkeeping such as what `compile`
    keeps, or a variable swapped in for a moment."""
    token = _TRACKING.set(False)
    try:
        yield
    finally:
        _TRACKING.reset(token)


def without_tracking(method):
    """`method` running under `no_tracking()` (Keras's `compile` does)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with no_tracking():
            return method(*args, **kwargs)

    return wrapper


class StateStore(list):
    """One of a layer's lists of state (its own variables, sublayers, metrics, seed
    generators): an item is held once, by identity, also when code that keeps its own
    list of sublayers (a Sequential's stack) appends it after the tracker did; removing
    an item the tracker already untracked is no error."""

    __slots__ = ()

    def append(self, item):
        if not any(held is item for held in self):
            super().append(item)

    def remove(self, item):
        for i, held in enumerate(self):
            if held is item:
                del self[i]
                return


class StateTracker:
    """Tracks the state of `layer` (see the module docstring).

    `locked`: whether new state is refused (`lock()`, `unlock()`, `unlocked()`).
    A variable is listed by whether it was trainable when tracked, as Keras's separate
    trainable and non-trainable stores do: `layer.weights` lists those tracked as
    trainable first, and freezing and unfreezing the layer sets their `trainable` flag.
    """

    def __init__(self, layer):
        self.layer = layer
        self.locked = False
        self.message = LOCKED_MESSAGE
        # id -> (variable, trainable when tracked); the variable is kept to tell a
        # reused id from the variable that had it
        self._kinds = {}

    # -- locking ----------------------------------------------------------------------
    def lock(self, message=None):
        self.locked = True
        if message is not None:
            self.message = message

    def unlock(self):
        self.locked = False

    @contextlib.contextmanager
    def unlocked(self):
        """Lets the layer take new state inside the block (quantizing, LoRA)."""
        was = self.locked
        self.locked = False
        try:
            yield
        finally:
            self.locked = was

    def _check_unlocked(self):
        if self.locked:
            raise ValueError(f"Layer {self.layer.name!r}: {self.message}")

    # -- tracking ---------------------------------------------------------------------
    def track(self, value):
        """`value`, its state tracked; lists, dicts and sets come back as tracked
        containers, tuples (namedtuples too) rebuilt around tracked items."""
        layer = self.layer
        if isinstance(value, Variable):
            self.add_variable(value)
            return value
        if isinstance(value, _metric_class()):
            self._add(layer.__dict__["_tracked_metrics"], value)
            return value
        if isinstance(value, _layer_class()):
            if value is not layer:
                self._add(layer.__dict__["_tracked_layers"], value)
            return value
        if isinstance(value, _seed_generator_class()):
            self._add(layer.__dict__["_seed_generators"], value)
            return value
        if isinstance(value, (TrackedList, TrackedDict, TrackedSet)) \
                and value.tracker is self:
            return value
        if isinstance(value, tuple):
            items = [self.track(v) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            if hasattr(type(value), "_fields"):
                return type(value)(*items)
            return type(value)(items)
        kind = type(value)
        if kind is list or kind is TrackedList:
            return TrackedList(value, self)
        if kind is dict or kind is TrackedDict:
            return TrackedDict(value, self)
        if kind is collections.OrderedDict or kind is TrackedOrderedDict:
            return TrackedOrderedDict(value, self)
        if kind is set or kind is TrackedSet:
            return TrackedSet(value, self)
        if isinstance(value, (list, dict, set)):
            # other subclasses (a defaultdict, a deque-like list) keep their type: their
            # items are tracked as they are now
            for item in value.values() if isinstance(value, dict) else value:
                self.track(item)
        return value

    def _add(self, store, value):
        if not any(item is value for item in store):
            self._check_unlocked()
            store.append(value)

    def add_variable(self, variable, trainable=None):
        """Adds `variable` to the layer's own variables unless it is there, listed by
        `trainable` (default: its flag now): those tracked as trainable go before
        the first one tracked as non-trainable, as Keras's two stores list them."""
        own = self.layer.__dict__["_own_variables"]
        if any(v is variable for v in own):
            return
        self._check_unlocked()
        trainable = variable.trainable if trainable is None else bool(trainable)
        self._kinds[id(variable)] = (variable, trainable)
        if trainable:
            for i, v in enumerate(own):
                if not self.tracked_as_trainable(v):
                    own.insert(i, variable)
                    return
        own.append(variable)

    def untrack(self, value):
        """Takes `value` (a variable, layer, metric or seed generator) out of the
        layer's state; anything else is left alone."""
        layer = self.layer
        for name in ("_own_variables", "_tracked_layers", "_tracked_metrics",
                     "_seed_generators"):
            store = layer.__dict__.get(name)
            if store is not None:
                store[:] = [item for item in store if item is not value]
        self._kinds.pop(id(value), None)

    def tracked_as_trainable(self, variable):
        """Whether `variable` was trainable when tracked (one added to the layer's own
        variables without the tracker is taken as it is now, and remembered so)."""
        kind = self._kinds.get(id(variable))
        if kind is None or kind[0] is not variable:
            kind = self._kinds[id(variable)] = (variable, variable.trainable)
        return kind[1]

    def ordered(self, variables):
        """`variables` (the layer's own), those tracked as trainable first."""
        first = [v for v in variables if self.tracked_as_trainable(v)]
        if len(first) == len(variables):
            return list(variables)
        return first + [v for v in variables if not self.tracked_as_trainable(v)]


@functools.cache
def _metric_class():
    from kerasx.metrics.metric import Metric

    return Metric


@functools.cache
def _layer_class():
    from kerasx.layers.layer import Layer

    return Layer


@functools.cache
def _seed_generator_class():
    from kerasx.random.seed_generator import SeedGenerator

    return SeedGenerator
