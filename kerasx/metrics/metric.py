"""`Metric`: the base class of stateful metrics."""

from kerasx.autodiff.variable import Variable
from kerasx.utils.naming import to_snake_case


class Metric:
    """Accumulates statistics over batches: `update_state`, `result`, `reset_state`.

    State lives in non-trainable Variables on the device, so updating a metric
    never copies to the host; only `result()` (once per logged step) does.
    """

    def __init__(self, name=None, dtype=None):
        from kerasx.config import floatx

        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype or floatx()
        self._variables = []

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        from kerasx import initializers

        var = Variable(initializers.get(initializer), shape=tuple(shape), dtype=dtype or self.dtype,
                       trainable=False, name=name or f"{self.name}_var{len(self._variables)}")
        self._variables.append(var)
        return var

    @property
    def variables(self):
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        from kerasx import initializers

        zeros = initializers.Zeros()
        for v in self._variables:
            v.assign(zeros(v.shape, v.dtype))

    def __call__(self, *args, **kwargs):
        """Updates with one batch and returns the result for that batch alone."""
        self.reset_state()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
