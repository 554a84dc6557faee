"""Per-layer seed streams: a seeded layer draws a new, repeatable mask at every call."""

from kerasx.random.counted_seed import CountedSeed, track


class SeedStream:
    """Turns a layer's `seed` into a fresh seed per call: `[seed, 1]`, `[seed, 2]`, ...

    With `seed=None` it yields None, and the backend's global generator (set
    by `kerasx.utils.set_random_seed`) is used instead.
    """

    def __init__(self, seed):
        self.seed = seed
        self.calls = 0
        if seed is not None:
            track(self)

    def next(self):
        if self.seed is None:
            return None
        self.calls += 1
        return CountedSeed((int(self.seed), self.calls), self)
