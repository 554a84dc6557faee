"""One seed for every source of randomness."""

import random


def set_random_seed(seed):
    """Seeds Python's `random`, NumPy's global generator and the backend generator
    shared by every backend.

    After this, initial weights, dropout masks and batch order are repeatable,
    and equal on the NumPy and array-api-strict backends.
    """
    from kerasx.backends.host import seed_numpy_global
    from kerasx.backends.random import set_global_seed

    if not isinstance(seed, int):
        raise ValueError(f"set_random_seed expects an integer seed, received {seed!r}.")
    random.seed(seed)
    seed_numpy_global(seed)
    set_global_seed(seed)


def clear_session(free_memory=True):
    """Resets layer-name counters (so the next Dense is `dense` again), the
    `kerasx.config` flags (traceback filtering, flash attention), the global dtype
    policy and the distribution to their defaults. With `free_memory` (the default)
    it also runs Python's garbage collector and, on CuPy, returns the memory pools'
    cached blocks to the device; skip that in a short loop, where collecting takes
    most of the time."""
    from kerasx.distribution import set_distribution
    from kerasx.dtype_policies.dtype_policy import reset_dtype_policy
    from kerasx.utils.config_flags import reset_flags
    from kerasx.utils.naming import reset_names

    reset_names()
    reset_flags()
    reset_dtype_policy()
    set_distribution(None)
    if free_memory:
        import gc

        from kerasx.backends import current

        gc.collect()
        current().release_cached_memory()
