"""Randomness owned by the backend: one seed, the same numbers on every backend."""

import math
import threading

import numpy as np

_GLOBAL = {"seed": None, "generator": np.random.default_rng()}


def set_global_seed(seed):
    _GLOBAL["seed"] = seed
    _GLOBAL["generator"] = np.random.default_rng(seed)


def global_generator():
    """The generator unseeded draws take (in a thread replaying a journal's mask draw,
    the copy it replays from)."""
    if _ANY_OPEN[0]:
        replayed = _JOURNALS.generator
        if replayed is not None:
            return replayed
    return _GLOBAL["generator"]


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def get_state():
    """A snapshot of the global generator: `{"seed": ..., "bit_generator": {...}}`.

    The snapshot holds only Python ints, strings, lists and dicts, so it can be
    written with `json.dump` as it is, and `set_state` brings the generator back
    to exactly this point (the next permutation or dropout mask is the same).
    """
    return {"seed": _plain(_GLOBAL["seed"]),
            "bit_generator": _plain(_GLOBAL["generator"].bit_generator.state)}


def set_state(state):
    """Restores a snapshot taken by `get_state` (also after a JSON round trip)."""
    try:
        bit_state = state["bit_generator"]
        name = bit_state["bit_generator"]
        if name not in _BIT_GENERATORS:
            raise ValueError(f"unknown bit generator {name!r}, expected one of {_BIT_GENERATORS}")
        generator = np.random.Generator(getattr(np.random, name)())
        generator.bit_generator.state = _with_arrays(bit_state)
        seed = state.get("seed")
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise ValueError(
            f"set_state expects a snapshot returned by get_state(), received {state!r:.200} ({e})."
        ) from None
    _GLOBAL["seed"] = seed
    _GLOBAL["generator"] = generator


def _plain(obj):
    """`obj` with NumPy arrays and scalars turned into Python lists and numbers."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    return obj


def _with_arrays(bit_state):
    """A bit-generator state read back from JSON: array fields become arrays again
    (MT19937 keeps its key as an array of uint32)."""
    out = dict(bit_state)
    inner = out.get("state")
    if isinstance(inner, dict) and isinstance(inner.get("key"), list):
        out["state"] = {**inner, "key": np.asarray(inner["key"], dtype=np.uint32)}
    return out


class _ThreadJournals(threading.local):
    generator = None  # a copy of the global generator that a replayed draw reads

    def __init__(self):
        self.open = []  # this thread's open `DrawJournal`s, outermost first


_JOURNALS = _ThreadJournals()
# journals open in all threads: while 0, a draw learns it from one list test
_ANY_OPEN = [0]
_OPEN_CHANGE = threading.Lock()


class DrawJournal:
    """The random draws of one call, kept to be drawn again bit for bit.

    Inside `with journal.recording():` every draw is noted: its seed, or for a
    draw from the global generator (seed None) the generator's state right
    before it. Inside `with journal.replaying():` the draws take the noted
    entries in turn, whatever seed the caller passes (a layer's seed counter
    has moved on since): a seeded draw gets the noted seed, and a draw from
    the global generator gets a copy of it at the noted state, so the global
    generator is neither consumed nor changed by a replay. Variables created
    meanwhile draw their initial values outside the journal (`unjournaled`):
    a call that builds a layer draws them once, not at every replay. A journal notes
    and replays the draws of the thread that opened it only.
    """

    __slots__ = ("_entries", "_position", "_replaying")

    def __init__(self):
        self._entries = []
        self._position = 0
        self._replaying = False

    def recording(self):
        self._replaying = False
        return self

    def replaying(self):
        self._replaying = True
        self._position = 0
        return self

    def __enter__(self):
        with _OPEN_CHANGE:
            _ANY_OPEN[0] += 1
        _JOURNALS.open.append(self)
        return self

    def __exit__(self, *exc):
        with _OPEN_CHANGE:
            _ANY_OPEN[0] -= 1
        _JOURNALS.open.remove(self)
        if self._replaying and exc[0] is None and self._position != len(self._entries):
            raise RuntimeError(
                f"A recomputation drew {self._position} random arrays where the call it "
                f"repeats drew {len(self._entries)}: a rematerialized function must draw "
                "the same random numbers every time it runs with the same inputs.")
        return False

    def _next(self):
        if self._position >= len(self._entries):
            raise RuntimeError(
                f"A recomputation drew more random arrays than the {len(self._entries)} of "
                "the call it repeats: a rematerialized function must draw the same random "
                "numbers every time it runs with the same inputs.")
        entry = self._entries[self._position]
        self._position += 1
        return entry


class _GeneratorState:
    """A journal entry: the global generator's state before a draw."""

    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state

    def generator(self):
        bit_generator = getattr(np.random, self.state["bit_generator"])()
        bit_generator.state = self.state
        return np.random.Generator(bit_generator)


def _journaled(seed):
    """`(seed, generator)` for a draw under the open journals: the innermost replaying
    one supplies them (generator: a copy of the global generator at the noted state,
    or None), and every recording one opened inside it notes them."""
    journals = _JOURNALS.open
    generator, first = None, 0
    for i in range(len(journals) - 1, -1, -1):
        if journals[i]._replaying:
            entry = journals[i]._next()
            if isinstance(entry, _GeneratorState):
                seed, generator = None, entry.generator()
            else:
                seed = entry
            first = i + 1
            break
    if first < len(journals):
        entry = seed if seed is not None else _GeneratorState(
            (generator or _GLOBAL["generator"]).bit_generator.state)
        for journal in journals[first:]:
            journal._entries.append(entry)
    return seed, generator


class unjournaled:
    """A context in which draws are neither noted nor replayed (initial weights)."""

    def __enter__(self):
        self._saved = _JOURNALS.open[:]
        _JOURNALS.open.clear()
        return self

    def __exit__(self, *exc):
        _JOURNALS.open[:] = self._saved
        return False


class RandomGenerator:
    """Draws random arrays for one backend.

    Numbers are drawn on the host from one NumPy `Generator` shared by every
    backend, then moved to the device, so the same seed gives bitwise-equal
    initial weights, dropout masks and batch orders on every backend. A backend
    may override `_device_uniform` with a device-side generator for masks drawn
    every step (CuPy does); that trades cross-backend equality of dropout masks
    for speed.
    """

    def __init__(self, backend):
        self.backend = backend

    @staticmethod
    def _host(seed):
        if _ANY_OPEN[0] and _JOURNALS.open:
            seed, generator = _journaled(seed)
            if generator is not None:
                return generator
        return global_generator() if seed is None else np.random.default_rng(seed)

    def _put(self, host, dtype):
        name = _name(dtype)
        if name == "bfloat16":  # NumPy knows it only as ml_dtypes' type, not by name
            return self.backend.asarray(host.astype(np.float32), dtype=self.backend.dtype(name))
        return self.backend.asarray(host.astype(name, copy=False))

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        rng = self._host(seed)
        if _name(dtype) == "float32":  # the noise layers' every step
            out = standard_normal_float32(rng, shape)
            if stddev != 1.0:
                out *= np.float32(stddev)
            if mean != 0.0:
                out += np.float32(mean)
            return self._put(out, dtype)
        return self._put(rng.normal(mean, stddev, size=tuple(shape)), dtype)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        rng = self._host(seed)
        if _name(dtype) == "float32":  # float64 values cast: 3x the time for large weights
            out = rng.random(tuple(shape), dtype=np.float32)
            out *= np.float32(maxval - minval)
            out += np.float32(minval)
            return self._put(out, dtype)
        return self._put(rng.uniform(minval, maxval, size=tuple(shape)), dtype)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        """Normal values redrawn until they lie within two standard deviations."""
        rng = self._host(seed)
        size = int(np.prod(shape, dtype=np.int64))
        out = rng.standard_normal(size)
        bad = np.abs(out) > 2.0
        while bad.any():
            out[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(out) > 2.0
        return self._put((out * stddev + mean).reshape(tuple(shape)), dtype)

    def bernoulli(self, shape, p, dtype=None, seed=None):
        """A 0/1 mask whose entries are 1 with probability `p`."""
        if _ANY_OPEN[0] and _JOURNALS.open:
            seed, generator = _journaled(seed)
            if generator is not None:  # a replay: the device draw reads the copy
                saved, _JOURNALS.generator = _JOURNALS.generator, generator
                try:
                    return self._device_bernoulli(tuple(shape), p, dtype or _floatx())
                finally:
                    _JOURNALS.generator = saved
        if seed is None:
            return self._device_bernoulli(tuple(shape), p, dtype or _floatx())
        return self._put(bernoulli_from_bits(np.random.default_rng(seed), shape, p), dtype)

    def _device_bernoulli(self, shape, p, dtype):
        return self._put(bernoulli_from_bits(global_generator(), shape, p), dtype)

    def permutation(self, n, seed=None):
        """A host permutation of `range(n)` (batch order is decided on the host)."""
        return self._host(seed).permutation(n)

    def integers(self, shape, minval, maxval, dtype="int32", seed=None):
        """Integers drawn uniformly from `[minval, maxval)`."""
        out = self._host(seed).integers(int(minval), int(maxval), size=tuple(shape))
        return self._put(out, dtype)

    def gamma(self, shape, alpha, dtype=None, seed=None):
        """Gamma-distributed values of shape parameter `alpha` (scale 1)."""
        alpha = self.backend.to_numpy(alpha)
        return self._put(self._host(seed).gamma(alpha, size=tuple(shape)), dtype)

    def beta(self, shape, alpha, beta, dtype=None, seed=None):
        """Beta-distributed values of parameters `alpha` and `beta`."""
        a, b = self.backend.to_numpy(alpha), self.backend.to_numpy(beta)
        return self._put(self._host(seed).beta(a, b, size=tuple(shape)), dtype)

    def binomial(self, shape, counts, probabilities, dtype=None, seed=None):
        """Successes out of `counts` trials of success probability `probabilities`."""
        n = np.rint(self.backend.to_numpy(counts)).astype(np.int64)  # counts may be floats
        p = self.backend.to_numpy(probabilities)
        return self._put(self._host(seed).binomial(n, p, size=tuple(shape)), dtype)

    def categorical(self, logits, num_samples, dtype="int32", seed=None):
        """`num_samples` class ids per row of `logits` (batch, classes), each drawn with
        the probability `softmax(logits)` gives it, by inverting the cumulative
        probabilities in float64 on the host."""
        z = self.backend.to_numpy(logits).astype(np.float64)
        z = z - z.max(axis=-1, keepdims=True)
        cumulative = np.cumsum(np.exp(z), axis=-1)
        cumulative /= cumulative[:, -1:]
        draws = self._host(seed).random((z.shape[0], int(num_samples)))
        ids = (draws[:, :, None] >= cumulative[:, None, :-1]).sum(axis=-1)
        return self._put(ids, dtype)


def _floatx():
    from kerasx.config import floatx

    return floatx()


def _name(dtype):
    """The name of `dtype` (of any array library; None: `floatx()`)."""
    from kerasx.backends.base import dtype_name

    return _floatx() if dtype is None else dtype_name(dtype)


# the keep probability of a per-step mask is rounded to a multiple of 2**-16 when
# neither outcome is rarer than this; rarer ones compare 32 random bits
_SIXTEEN_BIT_MIN = 2.0 ** -8


def bernoulli_from_bits(generator, shape, p):
    """A boolean array, True with probability `p`, compared from raw random bits.

    Each entry takes 16 bits of the bit generator's output (32 when `p` or
    `1 - p` is below 2**-8, so the rarer outcome's probability is off by at most
    0.2% of itself) instead of a float32 drawn per entry: 3-4x faster for a
    dropout mask (67 against 237 us for 128 x 512 entries).
    """
    shape = tuple(shape)
    n = math.prod(shape)
    bits, dtype = (16, np.uint16) if min(p, 1.0 - p) >= _SIXTEEN_BIT_MIN else (32, np.uint32)
    per_word = 64 // bits
    words = generator.bit_generator.random_raw((n + per_word - 1) // per_word)
    threshold = min(max(round(p * 2.0 ** bits), 0), 2 ** bits)
    if threshold == 2 ** bits:
        return np.ones(shape, dtype=bool)
    return words.view(dtype)[:n].reshape(shape) < dtype(threshold)


def standard_normal_float32(generator, shape):
    """Standard normal float32 values by the Box-Muller transform of float32 uniforms
    (as TensorFlow draws them): 3x faster than NumPy's ziggurat, which draws float64
    values to be cast (1.9 against 5.7 ms for 524,288 values). The uniforms' 24 bits
    bound the values by 5.8 in absolute value (a normal value passes that with
    probability 7e-9)."""
    shape = tuple(shape)
    n = math.prod(shape)
    half = (n + 1) // 2
    u = generator.random(2 * half, dtype=np.float32)
    radius, angle = u[:half], u[half:]
    np.subtract(np.float32(1.0), radius, out=radius)  # in (0, 1]: a finite logarithm
    np.log(radius, out=radius)
    radius *= np.float32(-2.0)
    np.sqrt(radius, out=radius)
    angle *= np.float32(2.0 * math.pi)
    out = np.empty(2 * half, dtype=np.float32)
    np.cos(angle, out=out[:half])
    np.sin(angle, out=out[half:])
    out[:half] *= radius
    out[half:] *= radius
    return out[:n].reshape(shape)


def mask_threshold(p):
    """The 32-bit threshold of a keep probability `p` for `splitmix_bernoulli`."""
    return min(max(round(p * 2.0 ** 32), 0), 2 ** 32)


def splitmix64(key, n):
    """Outputs 1..n of SplitMix64 started from state `key`, as uint64."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = np.uint64(key) + np.arange(1, n + 1, dtype=np.uint64) * golden
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def splitmix_bernoulli(key, shape, p):
    """The host reference of the CuPy backend's device masks: entry `i` is True when
    the high 32 bits of `splitmix64(key, n)[i]` are below `mask_threshold(p)`. A key
    is one raw 64-bit draw of the global generator."""
    z = splitmix64(key, math.prod(shape))
    return ((z >> np.uint64(32)) < np.uint64(mask_threshold(p))).reshape(tuple(shape))
