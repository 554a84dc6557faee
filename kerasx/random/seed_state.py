"""`SeedState`: a `SeedGenerator`'s state as a variable, its two numbers kept on the host."""

from kerasx.autodiff.tensor import value_of
from kerasx.autodiff.variable import Variable
from kerasx.backends import current

DTYPE = "uint32"  # Keras's `random_seed_dtype()`


class SeedState(Variable):
    """`[seed, draws so far]`, a non-trainable uint32 variable of shape `(2,)` named
    `seed_generator_state`, as Keras's.

    It sits in `layer.variables` and `layer.non_trainable_variables` of the layers
    holding the generator (not in their weights, so not in saved weight files), and
    in the model's state tree. The two numbers are Python ints to the draws (no
    device round trip per draw); the array is made when someone reads `.value`. In a
    `StatelessScope` the numbers are read from and written to the scope, as a
    variable's value is, so `stateless_call` returns the advanced state.
    """

    __slots__ = ("_host", "_stale")

    def __init__(self, seed):
        self._host = (int(seed), 0)
        self._stale = False
        super().__init__(self._array(self._host), shape=(2,), dtype=DTYPE, trainable=False,
                         name="seed_generator_state", aggregation="none")

    @staticmethod
    def _array(numbers):
        return current().asarray([n % 2 ** 32 for n in numbers], dtype=DTYPE)

    @staticmethod
    def _coerce(value):
        value = value_of(value)
        numbers = tuple(int(n) for n in current().to_numpy(value).reshape(-1).tolist()) \
            if not isinstance(value, (tuple, list)) else tuple(int(n) for n in value)
        if len(numbers) != 2:
            raise ValueError(f"A seed generator's state is two numbers [seed, draws]; received "
                             f"{len(numbers)}.")
        return numbers

    @property
    def value(self):
        if self._stale:
            self._value = self._array(self._host)
            self._stale = False
        return self._value

    @property
    def host_value(self):
        """`(seed, draws)` as Python ints."""
        return self._host

    def advance(self):
        """Counts one draw; returns `(seed, draws)` after it."""
        seed, draws = self._host
        self._host = (seed, draws + 1)
        self._stale = True
        return self._host

    def assign(self, value):
        """Sets `[seed, draws]`; returns the new value (the backend's array), as a
        variable's `assign` does in Keras."""
        self._host = self._coerce(value)
        self._stale = True
        return self.value

    def assign_add(self, delta):
        return self.assign([a + b for a, b in zip(self._host, self._coerce(delta))])

    def assign_sub(self, delta):
        return self.assign([a - b for a, b in zip(self._host, self._coerce(delta))])

    def numpy(self):
        return current().to_numpy(self.value)
