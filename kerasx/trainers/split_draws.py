"""The random draws of a split step, made as the whole step makes them.

A step split in two halves of the batch (`kerasx.trainers.split_step`) runs every
layer twice, once per half. A dropout or noise layer would then draw for each half:
other numbers than the whole batch's (a mask taken from whole 64-bit words per draw,
normal values in Box-Muller pairs), and a seeded layer's counter would count two
draws per step. `WholeBatchDraws` stands for the backend's generator during the
halves instead: the first half's draw of a shape led by its rows is made for the
whole batch, with the arguments (and the seed) the layer gave, and the first half
takes its rows; the second half's matching draw takes the rest of that array and
draws nothing, and the counter that handed it a seed is put back as it was after
the first half's draw. The generator and every counter then move as in the whole
step, and each half's numbers are its rows of the whole step's.

A second-half draw that does not match the next first-half draw (another method,
other arguments, other trailing dimensions) is made as asked, and so are draws
whose leading dimension is not the half's rows (a permutation, a categorical draw
from logits): their numbers are then not the whole step's.
"""

import collections
import threading

from kerasx.random.counted_seed import CountedSeed, put_state, state_of


class WholeBatchDraws:
    """The backend's generator seen by the two halves of a split step (see the module):
    `half(k)` says which half draws next."""

    def __init__(self, draws, rows):
        self.wrapped = draws  # the generator the halves' draws are made with
        self._rows = rows  # each half's number of rows
        self._half = 0
        self._stash = collections.deque()  # first-half draws the second half takes
        self._thread = threading.get_ident()

    def half(self, k):
        self._half = k

    def __getattr__(self, name):
        method = getattr(self.wrapped, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: self._draw(name, method, args, kwargs)

    def _draw(self, name, method, args, kwargs):
        rows = self._rows[self._half]
        shape = args[0] if args else None
        if threading.get_ident() != self._thread or not _led_by(shape, rows):
            return method(*args, **kwargs)
        key = (name, tuple(shape[1:]), args[1:], _unseeded(kwargs))
        if self._half == 0:
            whole = method((sum(self._rows),) + tuple(shape[1:]), *args[1:], **kwargs)
            seed = kwargs.get("seed")
            counter = seed.counter if type(seed) is CountedSeed else None
            state = None if counter is None else state_of(counter)
            self._stash.append((key, whole, counter, state))
            return whole[:rows]
        if not self._stash or not _same(self._stash[0][0], key):
            self._stash.clear()  # the halves draw differently: no later draw is shared
            return method(*args, **kwargs)
        _, whole, counter, state = self._stash.popleft()
        seed = kwargs.get("seed")
        if counter is not None and type(seed) is CountedSeed and seed.counter is counter:
            put_state(counter, state)  # the second half's seed was not used
        return whole[self._rows[0]:]


def _led_by(shape, rows):
    return (type(shape) in (tuple, list) and len(shape) > 0 and type(shape[0]) is int
            and shape[0] == rows)


def _unseeded(kwargs):
    return tuple(sorted((k, v) for k, v in kwargs.items() if k != "seed"))


def _same(a, b):
    """Whether two draws' arguments are equal: numbers, strings, None and tuples of
    them compared by value, anything else (an array) by identity."""
    if type(a) is not type(b):
        return False
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if a is None or type(a) in (bool, int, float, str):
        return a == b
    return a is b
