"""`CountedSeed`: the seed a counter (a `SeedGenerator`, a seeded layer's stream) hands
to one draw, knowing the counter; and the state of every live counter.

A recorded step (`kerasx.trainers.compiled_step`) that meets a `CountedSeed` in a draw
asks its counter for the next seed at every replay, as the eager step does, instead
of drawing again with the recorded seed; and it puts the counters back with the
variables when it runs a step twice to compare a replay with the eager step.
"""

import threading
import weakref

_COUNTERS = weakref.WeakSet()


class CountedSeed(list):
    """`[seed, n]`: the n-th seed of `counter`."""

    __slots__ = ("counter",)

    def __init__(self, values, counter):
        super().__init__(values)
        self.counter = counter
        counter._drawn_in = threading.get_ident()  # see `restore_counters`


def track(counter):
    """Registers `counter`: an object with `next()` and its state in its `__dict__`, or
    in what its `counter_state()` returns and `restore_counter_state(state)` takes."""
    _COUNTERS.add(counter)


def counter_states():
    """`{counter: its state}` for every live counter, for `restore_counters`."""
    return {counter: state_of(counter) for counter in list(_COUNTERS)}


def state_of(counter):
    """The state of one counter, for `put_state`."""
    if hasattr(counter, "counter_state"):
        return counter.counter_state()
    return {k: v for k, v in vars(counter).items() if k != "_drawn_in"}


def put_state(counter, state):
    """Puts back a counter's `state` (`state_of`)."""
    if hasattr(counter, "restore_counter_state"):
        counter.restore_counter_state(state)
    else:
        vars(counter).update(state)


def restore_counters(states):
    """Puts back the counters' `states`, except those another thread drew from last:
    a probe or a comparison in one thread undoes its own draws, not the draws of a
    model another thread trains meanwhile."""
    thread = threading.get_ident()
    for counter, state in states.items():
        if getattr(counter, "_drawn_in", thread) != thread:
            continue
        put_state(counter, state)
