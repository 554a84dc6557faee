"""`SeedGenerator`: a seed that gives a new, repeatable stream of numbers at every draw."""

import random as _python_random

from kerasx.random.counted_seed import CountedSeed, track


class SeedGenerator:
    """A stateful seed for the `kerasx.random` functions and custom layers.

    Each draw that receives the generator advances it, so two draws give
    different numbers, while two generators made with the same `seed` give
    the same sequence of draws. With `seed=None`, the seed is taken from
    Python's `random` module, which `kerasx.utils.set_random_seed` seeds.

        class Sampling(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.seed_generator = keras.random.SeedGenerator(1337)

            def call(self, inputs):
                mean, log_var = inputs
                eps = keras.random.normal(keras.ops.shape(mean), seed=self.seed_generator)
                return mean + keras.ops.exp(0.5 * log_var) * eps
    """

    def __init__(self, seed=None, name=None, **kwargs):
        from kerasx.random.seed_state import SeedState
        from kerasx.scopes.name_scope import name_scope
        from kerasx.utils.naming import uniquify

        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}. SeedGenerator takes "
                             "`seed` and `name`.")
        self._initial_seed = seed
        if seed is None:
            seed = _python_random.randint(1, 10 ** 9)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}. "
                             "Pass an integer seed or None.")
        self.name = name or uniquify("seed_generator")
        with name_scope(self.name, caller=self):
            self.state = SeedState(seed)
        track(self)

    def next(self):
        """The seed of the next draw: `[seed, n]` for the n-th draw."""
        return CountedSeed(self.state.advance(), self)

    @property
    def seed(self):
        return self.state.host_value[0]

    @property
    def draws(self):
        """How many draws the generator gave."""
        return self.state.host_value[1]

    @draws.setter
    def draws(self, count):
        self.state.assign((self.seed, count))

    def counter_state(self):
        """`(seed, draws)`, for `kerasx.random.counted_seed.counter_states`."""
        return self.state.host_value

    def restore_counter_state(self, numbers):
        self.state.assign(numbers)

    @property
    def backend(self):
        """The `kerasx.backend` module (a Keras `SeedGenerator` holds its backend
        module): `seed_generator.backend.backend()` names the active backend."""
        import kerasx.backend

        return kerasx.backend

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self.seed} draws={self.draws}>"


def draw_seed(seed):
    """The seed one draw uses: None (the global generator), an int (the same numbers
    at every call) or the next seed of a `SeedGenerator`."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    raise ValueError("Argument `seed` must be either an integer or an instance of "
                     f"`SeedGenerator`. Received: seed={seed} (of type {type(seed)})")
