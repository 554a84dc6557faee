"""Replayed steps that run on two threads of their own, the BLAS kept at one thread
(`KERASX_OWN_THREADS=1`; off by default).

On two cores, OpenBLAS runs each large product on its two threads, and between
products its second thread spins, waiting for the next one. When other processes
keep the cores busy, that spinning thread and the one it waits for are descheduled
in turn, and each product's hand-off can cost a time slice: the `mlp` benchmark's
replayed step took 24-145 ms (medians of three epochs, seven processes) on this
project's 2-core machine while test suites ran beside it. `ThreadOwner` takes the
threads over for a replayed step instead (`kerasx.trainers.compiled_step`): the BLAS
is set to one thread, so its worker sleeps, and the step's large products (`matmul`)
and optimizer updates (`halves`) are split in two, one half on this thread and one on
a worker thread of ours that waits on a lock, not spinning. The same step then took
7.5-18.8 ms beside the test suites. On an idle machine it is the slower way: 5.8-6.1
against 5.2-5.4 ms (OpenBLAS's own threads share the packed operands of a product
and hand off faster), hence off by default.

Splitting a product by rows or by columns gave the same bits as the whole product on
one BLAS thread with OpenBLAS's Haswell and SkylakeX kernels on Intel processors (every
element's sum runs over the same blocks in the same order); OpenBLAS on two threads sums
long inner dimensions (784, not 512) in another order, so the step that checks a replay
against the eager step runs the eager step under the owner as well. On an AMD EPYC
(AVX2, OpenBLAS 0.3.31) the halves of a 128 x 784 by 784 x 512 product are summed in
another order than the whole even on one thread, so the replay could never match its
eager step: `splits_exactly` probes that once per process and steps are owned only where
it holds, and only where the BLAS runs exactly two threads (more cores: its own
threading of the products is the better use of them).
"""

import os
import threading

import numpy as np

from kerasx.backends.numpy_blas import threads

# products of fewer multiply-adds run whole: a hand-off costs about 10-20 us
SPLIT_PRODUCT = 1 << 21
# element-wise work on fewer elements runs whole
SPLIT_ELEMENTS = 1 << 16

# `.pair`: the Pair of the owned step this thread runs (another thread's steps, which
# found the threads taken, must not hand it work)
_ACTIVE = threading.local()


class Pair:
    """This thread and one worker thread running two halves of a piece of work."""

    def __init__(self):
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._task = None
        self._error = None
        threading.Thread(target=self._serve, name="kerasx-pair", daemon=True).start()

    def _serve(self):
        while True:
            self._go.acquire()
            fn, args = self._task
            self._task = None
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - raised again in the caller
                self._error = e
            self._done.release()

    def both(self, fn, first, second):
        """`fn(*first)` here and `fn(*second)` on the worker, at the same time."""
        self._task = (fn, second)
        self._go.release()
        try:
            fn(*first)
        finally:
            self._done.acquire()
            # taken even when `first` raised (its error goes up): a worker's error left
            # behind would be raised by the next hand-off
            error, self._error = self._error, None
        if error is not None:
            raise error


def active():
    """The Pair of the owned step this thread runs, or None."""
    return getattr(_ACTIVE, "pair", None)


def both(first, second):
    """`first()` here and `second()` on the worker at the same time inside an owned
    step (a split step's segments, `numpy_trace_segments`); one after the other
    otherwise."""
    pair = getattr(_ACTIVE, "pair", None)
    if pair is None:
        first()
        second()
        return
    # the worker is busy with `second`: no product inside `first` may hand it work
    _ACTIVE.pair = None
    try:
        pair.both(_run, (first,), (second,))
    finally:
        _ACTIVE.pair = pair


def _run(fn):
    fn()


def matmul(a, b, **kwargs):
    """`np.matmul(a, b)`, split by rows (or columns) over the Pair inside an owned
    step when both are matrices and the product is large; what replayed steps call."""
    pair = getattr(_ACTIVE, "pair", None)
    out = kwargs.pop("out", None)
    if type(out) is tuple and len(out) == 1:
        out = out[0]
    if pair is None or kwargs or a.ndim != 2 or b.ndim != 2:
        return np.matmul(a, b, out=out, **kwargs)
    (m, k), n = a.shape, b.shape[-1]
    if m * k * n < SPLIT_PRODUCT or b.shape[0] != k or out is not None and (
            out.shape != (m, n) or np.may_share_memory(out, a) or np.may_share_memory(out, b)):
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty((m, n), np.result_type(a, b))
    # each thread packs the whole of one operand and half of the other: halve the larger
    if m >= n:
        h = _half(m)
        pair.both(_product, (a[:h], b, out[:h]), (a[h:], b, out[h:]))
    else:
        h = _half(n)
        pair.both(_product, (a, b[:, :h], out[:, :h]), (a, b[:, h:], out[:, h:]))
    return out


def _half(size):
    """About half of `size`, rounded to the 16 rows or columns of the BLAS's tiles."""
    return max(size // 32 * 16, 1) if size >= 32 else size // 2


def _product(a, b, out):
    np.matmul(a, b, out=out)


def halves(fn, arrays, *args):
    """`fn(*arrays, *args)` for C-contiguous arrays of one size (None entries passed
    as None), run as two calls on the first and second halves of their flattened
    elements, over the Pair inside an owned step; whole otherwise. Element-wise
    work only: each element's result must not depend on the others."""
    pair = getattr(_ACTIVE, "pair", None)
    size = next(a.size for a in arrays if a is not None)
    if pair is None or size < SPLIT_ELEMENTS:
        return fn(*arrays, *args)
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    h = size // 2
    pair.both(fn, [None if a is None else a[:h] for a in flat] + list(args),
              [None if a is None else a[h:] for a in flat] + list(args))


class ThreadOwner:
    """A context taking the BLAS's threads over for one step (see the module): enter
    and exit cost two calls into the BLAS. Entering again while owned (a nested or
    concurrent step) leaves the threads as they are."""

    def __init__(self, control):
        self._control = control
        self._pair = None
        self._lock = threading.Lock()
        self._entered = threading.local()

    def __enter__(self):
        owns = self._take()
        stack = getattr(self._entered, "stack", None)
        if stack is None:
            stack = self._entered.stack = []
        stack.append(owns)
        return self

    def _take(self):
        """Whether this entry takes the threads over (and does so)."""
        if not self._lock.acquire(blocking=False):
            return False
        self._previous = self._control.get()
        if self._previous != 2:
            self._lock.release()
            return False
        if self._pair is None:
            try:
                self._pair = Pair()
            except RuntimeError:  # no thread can be started (at interpreter exit)
                self._lock.release()
                return False
        self._control.set(1)
        _ACTIVE.pair = self._pair
        return True

    def __exit__(self, *exc):
        if self._entered.stack.pop():
            _ACTIVE.pair = None
            self._control.set(self._previous)
            self._lock.release()
        return False

    def _after_fork(self):
        # the worker thread does not exist in a forked child
        self._pair = None
        if self._lock.locked():
            self._lock.release()
        _ACTIVE.pair = None


_OWNER = []


def owner():
    """The process's ThreadOwner where steps are to be owned (`KERASX_OWN_THREADS=1`,
    a bundled OpenBLAS running two threads, whose count can be set, and whose split
    products have the bits of the whole: `splits_exactly`), else None."""
    if os.environ.get("KERASX_OWN_THREADS", "0") != "1":
        return None
    found = _the_owner()
    if found is None or not splits_exactly() or (
            found._control.get() != 2 and not found._lock.locked()):
        return None
    return found


def segment_owner():
    """The process's ThreadOwner for the replays of split steps, whose segments run on
    two threads of their own (`kerasx.trainers.split_step`): where the bundled BLAS
    runs exactly two threads and its count can be set; else None."""
    found = _the_owner()
    if found is None or (found._control.get() != 2 and not found._lock.locked()):
        return None
    return found


def _the_owner():
    if not _OWNER:
        control = threads()
        found = ThreadOwner(control) if control is not None else None
        if found is not None and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=found._after_fork)
        _OWNER.append(found)
    return _OWNER[0]


# the probe's answer (`splits_exactly`), once per process
_EXACT = []
# products the probe splits: the mlp's first layer and a long, skinny one
_PROBED = ((128, 784, 512), (37, 300, 1000))


def splits_exactly():
    """Whether the bundled BLAS, at one thread, gives products split by rows and by
    columns (as `matmul` splits them) the bits of the whole products."""
    if not _EXACT:
        _EXACT.append(_probe(threads()))
    return _EXACT[0]


def _probe(control):
    if control is None:
        return False
    before = control.get()
    control.set(1)
    try:
        rng = np.random.default_rng(0)
        for m, k, n in _PROBED:
            a = rng.standard_normal((m, k), dtype=np.float32)
            b = rng.standard_normal((n, k), dtype=np.float32).T
            whole, h, w = np.matmul(a, b), _half(m), _half(n)
            rows = np.concatenate([np.matmul(a[:h], b), np.matmul(a[h:], b)])
            columns = np.concatenate([np.matmul(a, b[:, :w]), np.matmul(a, b[:, w:])], axis=1)
            if not (np.array_equal(rows, whole) and np.array_equal(columns, whole)):
                return False
        return True
    finally:
        control.set(before)
