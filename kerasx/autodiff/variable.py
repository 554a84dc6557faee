"""`Variable`: mutable state (weights, optimizer slots, metric accumulators)."""

import itertools

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current
from kerasx.backends.random import unjournaled
from kerasx.per_thread import ThreadWatchers

_UIDS = itertools.count()
# callables told of every variable about to be assigned (`kerasx.autodiff.checkpoint`
# notes the values a rematerialized call overwrites), each of its own thread's
# assignments only; empty, it costs one test
WRITE_WATCHERS = ThreadWatchers()
# bumped whenever a variable is made or its `trainable` flag set: a recorded training
# step checks its trainable variables again only when it moved
TRAINABLE_CHANGES = [0]


class Variable(TensorOps):
    """A named array that can be assigned to; trainable ones receive gradients.

    Args:
        initializer: an array, or a callable `f(shape, dtype)` returning one.
        shape, dtype: needed when `initializer` is a callable.
        trainable: whether a `GradientTape` watches it automatically.
        name: a readable name; `path` adds the owning layer's name.
        constraint: a callable applied to the value after each optimizer step.
        regularizer: a callable on the value returning a penalty added to the loss.
        aggregation: how replicas would combine updates ("none", "mean", "sum",
            "only_first_replica"); kerasx trains on one device, so it is only kept.
        autocast: Keras's flag, kept; weights read in a layer's compute dtype are the
            ones `Layer.add_weight(autocast=True)` creates under a mixed policy.
        synchronization: "auto", "none", "on_read" or "on_write", kept (one device).
        layout: a `kerasx.distribution.TensorLayout`, kept (one device).

    A variable created inside `kerasx.name_scope("a")` (or while a layer builds) has
    the path `"a/<name>"`.
    """

    __slots__ = ("_value", "_trainable", "tracked", "name", "path", "_constraint",
                 "_regularizer", "aggregation", "autocast", "synchronization", "layout", "uid",
                 "_overwrite_with_gradient", "__weakref__")
    node = None
    index = 0

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None,
                 constraint=None, regularizer=None, aggregation="none", autocast=True,
                 synchronization="auto", layout=None):
        from kerasx.config import floatx

        for arg, value, allowed in (
                ("aggregation", aggregation, ("none", "mean", "sum", "only_first_replica")),
                ("synchronization", synchronization, ("none", "on_read", "on_write", "auto"))):
            if value not in allowed:
                raise ValueError(f"Variable {name!r}: invalid {arg}={value!r}; expected one of "
                                 f"{list(allowed)}.")
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError("Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name!r}")
        backend = current()
        if isinstance(initializer, str):
            from kerasx import initializers

            initializer = initializers.get(initializer)
        if callable(initializer):
            if shape is None:
                raise ValueError("When creating a Variable from an initializer, the `shape` "
                                 "argument should be specified. Received: "
                                 f"initializer={initializer} and shape={shape} (name={name!r}).")
            with unjournaled():  # drawn once, not again when a call is recomputed
                value = initializer(tuple(shape), dtype=dtype or floatx())
        else:
            value = initializer
            if dtype is None and isinstance(value, (bool, int, float, list, tuple)):
                from kerasx.ops.shape import python_data_dtype

                dtype = python_data_dtype(value)  # as convert_to_tensor: 1.0 is floatx
        value = backend.asarray(value.value if isinstance(value, TensorOps) else value,
                                dtype=dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name!r}: initial value has shape {tuple(value.shape)} "
                f"but shape={tuple(shape)} was requested."
            )
        self._value = value
        if not name:
            from kerasx.utils.naming import uniquify

            name = uniquify("variable")  # variable, variable_1, ... as Keras names them
        self.name = name
        scope = _open_name_scopes()
        self.path = "/".join(scope + (self.name,)) if scope else self.name
        self._overwrite_with_gradient = False
        self.trainable = trainable
        self.constraint = constraint
        self.regularizer = regularizer
        self.aggregation = aggregation
        self.autocast = autocast
        self.synchronization = synchronization
        self.layout = layout
        self.uid = next(_UIDS)

    @property
    def value(self):
        return self._value

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, flag):
        self._trainable = bool(flag)
        self.tracked = self._trainable
        TRAINABLE_CHANGES[0] += 1

    @property
    def constraint(self):
        """A callable applied to the value after each optimizer step, or None."""
        return self._constraint

    @constraint.setter
    def constraint(self, value):
        self._constraint = _callable_or_none("constraint", value, "keras.constraints.Constraint")

    @property
    def regularizer(self):
        """A callable on the value returning a penalty added to the loss, or None."""
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value):
        self._regularizer = _callable_or_none("regularizer", value,
                                              "keras.regularizers.Regularizer")

    @property
    def overwrite_with_gradient(self):
        """Whether optimizers replace this variable by its gradient instead of applying
        their update (no learning rate, clipping, weight decay, loss scaling or
        constraint; with gradient accumulation, the largest gradient of the round).
        Float8 training computes its new scales and amax histories as "gradients"."""
        return getattr(self, "_overwrite_with_gradient", False)

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"`overwrite_with_gradient` must be a boolean. Received: {value}")
        self._overwrite_with_gradient = value
        if value:
            _MARKED[0] = True

    def numpy(self):
        """A host copy of the value (later updates do not change it)."""
        backend = current()
        out = backend.to_numpy(self._value)
        return out.copy() if out is self._value else out

    def assign(self, value):
        """Replaces the value; shape must stay the same, dtype is kept. Returns the new
        value (the backend's array), as Keras's `assign` returns it."""
        if WRITE_WATCHERS:
            WRITE_WATCHERS.tell(self)
        value = value.value if isinstance(value, TensorOps) else value
        old = self._value
        if type(value) is type(old) and value.dtype == old.dtype and value.shape == old.shape:
            self._value = value
            return value
        backend = current()
        if not backend.is_native(value) or value.dtype != self._value.dtype:
            value = backend.asarray(value, dtype=self.dtype)
        if tuple(value.shape) != tuple(self._value.shape):
            raise ValueError(
                "The shape of the target variable and the shape of the target value in "
                f"`variable.assign(value)` must match. variable.shape={tuple(old.shape)}, "
                f"Received: value.shape={tuple(value.shape)} (variable {self.path!r}). Give a "
                "value of the variable's shape, or make a new Variable for another shape."
            )
        self._value = value
        return value

    def assign_add(self, value):
        return self.assign(self._value + self._operand(value))

    def assign_sub(self, value):
        return self.assign(self._value - self._operand(value))

    def _operand(self, value):
        """`value` as an operand of the variable's array: arrays of another library (a
        NumPy array on array_api_strict or CuPy) become the backend's, as `assign` takes."""
        if isinstance(value, TensorOps):
            return value.value
        if isinstance(value, (bool, int, float)):
            return value
        backend = current()
        return value if backend.is_native(value) else backend.asarray(value, dtype=self.dtype)

    def __bool__(self):
        if self._value.ndim:  # as Keras: an array of truth values is not one bool
            raise TypeError(f"A Keras Variable cannot be used as a boolean: {self.path!r} has "
                            f"shape {self.shape}. Reduce it first (ops.any / ops.all).")
        return bool(self._value)

    def __int__(self):
        return int(self._scalar_value())

    def __float__(self):
        return float(self._scalar_value())

    def __round__(self, ndigits=None):
        from kerasx import ops

        return ops.round(self, decimals=ndigits or 0)

    def _scalar_value(self):
        if self._value.ndim:
            raise TypeError("Only scalar arrays can be converted to Python scalars. Got: "
                            f"shape={self.shape} (variable {self.path!r}). Index one entry "
                            "first (int(v[0])).")
        return self._value

    def __repr__(self):
        from kerasx.autodiff.tensor import value_text

        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}"
                f"{value_text(self)}>")


def _open_name_scopes():
    """The names of the open name scopes (`kerasx.name_scope`, building layers)."""
    from kerasx.layers._layer_scopes import _SCOPE

    return _SCOPE.get()


# whether any Variable was ever marked `overwrite_with_gradient`: until one is, an
# optimizer's step skips looking at each of its variables
_MARKED = [False]


def any_marked_for_overwrite(variables):
    """Whether one of `variables` is marked `overwrite_with_gradient`."""
    return _MARKED[0] and any(getattr(v, "overwrite_with_gradient", False) for v in variables)


def _callable_or_none(attribute, value, kind):
    if value is not None and not callable(value):
        raise ValueError(f"Invalid value for attribute `{attribute}`. Expected a callable (such "
                         f"as a `{kind}` instance) or `None`. Received: {attribute}={value}")
    return value
