"""`Metric`: the base class of stateful metrics."""

from kerasx.autodiff.variable import Variable


def _leaves(value):
    """The items of nested lists, tuples and dicts (Keras tracks state held in any of them)."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


class Metric:
    """Accumulates statistics over batches: `update_state`, `result`, `reset_state`.

    State lives in non-trainable Variables on the device and is updated with
    device arithmetic, so `update_state` never copies to the host; only
    reading `result()` as a number (once per logged step) does.

    Subclasses create their state with `add_variable` in `__init__` (or on
    the first update, when it depends on the data's shape) and implement
    `update_state(y_true, y_pred, sample_weight=None)` and `result()`.

    Args:
        name: the name in logs (default: the snake-case class name, made
            unique as Keras does: `precision`, `precision_1`, ...).
        dtype: the float type of the state and results (default `floatx()`),
            or a dtype policy (`"mixed_float16"`), whose compute dtype is used.
    """

    def __init__(self, name=None, dtype=None):
        from kerasx.config import floatx
        from kerasx.losses.loss import compute_dtype_of
        from kerasx.utils.naming import to_snake_case, uniquify

        self.name = name or uniquify(to_snake_case(type(self).__name__))
        self._dtype = compute_dtype_of(dtype) if dtype is not None else floatx()
        self._variables = []
        self._metrics = []

    def __setattr__(self, name, value):
        # as Keras's tracker: a metric or a Variable held as an attribute (a KID metric's
        # `Mean` tracker) is part of this metric's state
        tracked = self.__dict__.get("_metrics")
        if tracked is not None and not name.startswith("_"):
            for item in _leaves(value):
                if isinstance(item, Metric) and item is not self and item not in tracked:
                    tracked.append(item)
                elif isinstance(item, Variable) and not any(
                        item is v for v in self._variables):
                    self._variables.append(item)
        super().__setattr__(name, value)

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable state Variable of this metric, on the active backend's device.

        Its dtype defaults to `floatx()`, not to the metric's dtype (as in Keras: counts of
        a `dtype="float16"` metric are float32); states that follow the metric's dtype pass
        `dtype=self.dtype`.
        """
        from kerasx import initializers
        from kerasx.config import floatx

        var = Variable(initializers.get(initializer), shape=tuple(shape), dtype=dtype or floatx(),
                       trainable=False, name=name or f"variable_{len(self._variables)}",
                       aggregation=aggregation)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` kept for older code."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    @property
    def variables(self):
        """The state Variables, this metric's first, then those of sub-metrics."""
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        """Sets every state Variable back to zero (on the device)."""
        from kerasx.backends import current

        backend = current()
        xp = backend.xp
        for v in self.variables:
            v.assign(xp.zeros(tuple(v.shape), dtype=v.value.dtype, device=backend.device))

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """The metric's variables after `update_state(*args, **kwargs)` from the given
        values, the metric itself unchanged."""
        from kerasx.scopes.stateless_methods import metric_stateless_update_state

        return metric_stateless_update_state(self, metric_variables, args, kwargs)

    def stateless_result(self, metric_variables):
        """The result for the given values of the metric's variables."""
        from kerasx.scopes.stateless_methods import metric_stateless_result

        return metric_stateless_result(self, metric_variables)

    def stateless_reset_state(self):
        """The values the metric's variables take after a reset (the metric unchanged)."""
        from kerasx.scopes.stateless_methods import metric_stateless_reset_state

        return metric_stateless_reset_state(self)

    def __call__(self, *args, **kwargs):
        """`update_state(*args, **kwargs)`, then `result()` (state accumulates, as in Keras 3)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
