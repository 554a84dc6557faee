"""`WholeBatchDraws`: the halves of a split step draw as the whole step does (the
model-level checks are in `test_split_step.py`)."""

import threading

import numpy as np

from kerasx.random.counted_seed import CountedSeed
from kerasx.trainers.split_draws import WholeBatchDraws


class _Generator:
    """Draws `arange`-numbered rows and logs each call."""

    def __init__(self):
        self.calls = []
        self.made = 0

    def bernoulli(self, shape, p, dtype=None, seed=None):
        self.calls.append(("bernoulli", tuple(shape), p, seed))
        size = int(np.prod(shape))
        values = np.arange(self.made, self.made + size).reshape(shape)
        self.made += size
        return values

    def permutation(self, n, seed=None):
        self.calls.append(("permutation", n, seed))
        return np.arange(n)


class _Counter:
    """A seed counter as a seeded layer holds one."""

    def __init__(self):
        self.calls = 0

    def next(self):
        self.calls += 1
        return CountedSeed((11, self.calls), self)


def test_the_second_half_takes_the_rest_of_the_first_halfs_whole_draw():
    generator = _Generator()
    draws = WholeBatchDraws(generator, (3, 4))
    first = draws.bernoulli((3, 2), 0.5)
    draws.half(1)
    second = draws.bernoulli((4, 2), 0.5)
    assert generator.calls == [("bernoulli", (7, 2), 0.5, None)]
    np.testing.assert_array_equal(np.concatenate([first, second]),
                                  np.arange(14).reshape(7, 2))


def test_a_seeded_counter_counts_one_draw_per_step():
    generator, counter = _Generator(), _Counter()
    draws = WholeBatchDraws(generator, (2, 2))
    draws.bernoulli((2, 5), 0.3, seed=counter.next())
    draws.half(1)
    draws.bernoulli((2, 5), 0.3, seed=counter.next())
    assert counter.calls == 1
    assert generator.calls == [("bernoulli", (4, 5), 0.3, [11, 1])]


def test_draws_that_do_not_match_are_made_as_asked():
    generator = _Generator()
    draws = WholeBatchDraws(generator, (3, 3))
    draws.bernoulli((3, 2), 0.5)
    draws.bernoulli((5, 2), 0.5)  # not led by the half's rows
    draws.permutation(3)  # no shape
    draws.half(1)
    draws.bernoulli((3, 2), 0.9)  # another probability than the first half's
    draws.bernoulli((3, 2), 0.5)  # the stash was given up at the mismatch
    assert generator.calls == [
        ("bernoulli", (6, 2), 0.5, None), ("bernoulli", (5, 2), 0.5, None),
        ("permutation", 3, None), ("bernoulli", (3, 2), 0.9, None),
        ("bernoulli", (3, 2), 0.5, None)]


def test_another_threads_draws_pass_through():
    generator = _Generator()
    draws = WholeBatchDraws(generator, (3, 3))
    shapes = []
    thread = threading.Thread(target=lambda: shapes.append(draws.bernoulli((3, 1), 0.5).shape))
    thread.start()
    thread.join()
    assert shapes == [(3, 1)] and generator.calls == [("bernoulli", (3, 1), 0.5, None)]
