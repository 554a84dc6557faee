"""The NumPy step recorder: NumPy work done on TraceArrays is written down and
replayed on new inputs with the same results; what it cannot reproduce is refused."""

import re
import sys

import numpy as np
import pytest

from kerasx.backends import numpy_trace as nt


class Holder:
    """Something with an array in `_value`, as a Variable has."""

    def __init__(self, value):
        self._value = value


def _record(fn, *inputs, holders=()):
    """Records `fn(*traced inputs, *holders)`; returns (replay, the traced outputs)."""
    recorder = nt.Recorder()
    with recorder:
        originals = [recorder.read_variable(h) for h in holders]
        traced = [recorder.param(x) for x in inputs]
        outputs = fn(*traced, *holders)
        for h in holders:
            recorder.rebind(h)
        replay = recorder.compile(list(outputs))
    for h, original in zip(holders, originals):
        original[...] = h._value.view(np.ndarray)
        h._value = original
    return replay, [np.asarray(o).copy() for o in outputs]


def _step(x, labels):
    logits = x @ np.full((3, 4), 0.5, np.float32)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    p[rows, labels] -= 1.0
    return p, p.T @ x, np.concatenate([p[:, :2], x], axis=1), p.argmax(axis=1)


def test_a_replay_on_new_inputs_computes_what_numpy_computes():
    rng = np.random.default_rng(0)
    x, labels = rng.standard_normal((5, 3)).astype(np.float32), np.array([0, 1, 3, 2, 1])
    replay, traced = _record(_step, x, labels)
    for got, want in zip(traced, _step(x, labels)):
        np.testing.assert_array_equal(got, want)
    x2, labels2 = rng.standard_normal((5, 3)).astype(np.float32), np.array([3, 3, 0, 1, 2])
    for got, want in zip(replay(x2, labels2), _step(x2, labels2)):
        assert type(got) is np.ndarray
        np.testing.assert_array_equal(got, want)


def test_arrays_held_by_objects_are_read_and_written_at_each_replay():
    holder = Holder(np.zeros(3, np.float32))

    def accumulate(x, h):
        np.add(h._value, x.sum(axis=0), out=h._value)  # in place, as the metrics do
        return (h._value * 2,)

    replay, _ = _record(accumulate, np.ones((2, 3), np.float32), holders=[holder])
    np.testing.assert_array_equal(holder._value, [2, 2, 2])
    replay(np.ones((4, 3), np.float32))
    out, = replay(np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(holder._value, [10, 10, 10])
    np.testing.assert_array_equal(out, [20, 20, 20])


def test_a_new_array_assigned_to_a_holder_is_assigned_at_each_replay():
    holder = Holder(np.ones(2))

    def decay(x, h):
        h._value = h._value * 0.5 + x
        return ()

    replay, _ = _record(decay, np.zeros(2), holders=[holder])
    replay(np.ones(2))
    np.testing.assert_array_equal(holder._value, [1.25, 1.25])


def test_a_value_read_into_python_is_checked_at_each_replay():
    def clip_if_large(x):
        return (x * 0.5,) if float(x.max()) > 1.0 else (x,)

    replay, _ = _record(clip_if_large, np.array([0.5, 3.0]))
    np.testing.assert_array_equal(replay(np.array([0.5, 3.0]))[0], [0.25, 1.5])
    with pytest.raises(nt.GuardFailed):
        replay(np.array([0.5, 0.7]))


def test_python_calls_run_again_at_each_replay():
    draws = iter(range(100))

    def noisy(x):
        recorder = nt._ACTIVE.recorder
        noise = recorder.call(lambda shape: np.full(shape, float(next(draws))), x.shape)
        return (x + noise,)

    replay, traced = _record(noisy, np.zeros(2))
    np.testing.assert_array_equal(traced[0], [0, 0])
    np.testing.assert_array_equal(replay(np.zeros(2))[0], [1, 1])
    np.testing.assert_array_equal(replay(np.zeros(2))[0], [2, 2])


def test_functions_returned_by_recorded_calls_are_called_again_at_replay():
    def forward(x):
        return x * 3, lambda g: g * x * 3

    def step(x):
        recorder = nt._ACTIVE.recorder
        y, backward = recorder.call(forward, x)
        return y, backward(np.ones_like(y))

    replay, _ = _record(step, np.array([1.0, 2.0]))
    y, g = replay(np.array([5.0, 7.0]))
    np.testing.assert_array_equal(y, [15, 21])
    np.testing.assert_array_equal(g, [15, 21])



def test_a_kernel_recorded_as_a_call_that_declines_at_replay_fails_its_guard():
    # a kernel may decline data it is handed (None: the caller computes otherwise) or
    # give another structure: the replay stops before using the result
    def sparse_grads(x):
        return None if x.sum() < 0 else (x * 2, None)

    def step(x):
        kernel = nt._ACTIVE.recorder.opaque_kernels({"grads": sparse_grads})["grads"]
        grads = kernel(x)
        return (x * 3,) if grads is None else (grads[0] + 1,)

    replay, (y,) = _record(step, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(replay(np.array([3.0, 4.0]))[0], [7, 9])
    with pytest.raises(nt.GuardFailed):
        replay(np.array([-3.0, 1.0]))  # the kernel declines
    with pytest.raises(nt.GuardFailed):
        replay(np.array([[1.0, 2.0]]))  # another shape

def test_state_a_kernel_hands_its_backward_is_the_replays_own():
    from kerasx.backends.numpy_winograd import Saved  # a backend kernel's saved state

    def forward(x):
        return x * 2, Saved(x * 3, None, None)

    def backward(g, saved):
        return g * saved.v

    def step(x):
        recorder = nt._ACTIVE.recorder
        y, saved = recorder.call(forward, x)
        return y, recorder.call(backward, np.ones_like(y), saved)

    replay, (y, g) = _record(step, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [3, 6])
    y, g = replay(np.array([5.0, 7.0]))
    np.testing.assert_array_equal(y, [10, 14])
    np.testing.assert_array_equal(g, [15, 21])  # the replay's state, not the recording's

    def foreign(x):
        return (nt._ACTIVE.recorder.call(lambda a: (a, object()), x)[0],)

    with pytest.raises(nt.UntraceableStep, match="returned a object"):
        _record(foreign, np.zeros(2))


def test_arrays_the_namespace_makes_while_recording_are_followed():
    import array_api_compat.numpy as compat

    from kerasx.backends.numpy_namespace import namespace

    xp = namespace(compat)

    def pad(x):
        out = xp.empty((4,), dtype=x.dtype)
        out[0] = out[3] = -1.0
        out[1:3] = x  # indexing into an array made here: no ufunc sees the write
        full = xp.full((4,), 2.0)
        return (out * full + xp.ones(4) + xp.zeros(4),)

    replay, (traced,) = _record(pad, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(traced, [-1, 3, 5, -1])
    np.testing.assert_array_equal(replay(np.array([5.0, 7.0]))[0], [-1, 11, 15, -1])
    assert type(xp.zeros(2)) is np.ndarray  # outside a recording: plain arrays


def test_a_recording_follows_its_own_thread_only():
    import threading

    import array_api_compat.numpy as compat

    from kerasx.backends.numpy_namespace import namespace

    xp = namespace(compat)
    seen = {}

    def other_thread():
        made = xp.zeros(3)
        with np.errstate(divide="ignore"):
            seen["made"], seen["sum"] = type(made), type(np.add(made, 1.0))

    def step(x):
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        return (x + xp.ones(2),)

    recorder = nt.Recorder()
    with recorder:
        traced = recorder.param(np.array([1.0, 2.0]))
        outputs = step(traced)
        replay = recorder.compile(list(outputs))
    # the other thread's arrays are plain ones, its errstate is not the step's
    assert seen == {"made": np.ndarray, "sum": np.ndarray} and not recorder.quiet
    np.testing.assert_array_equal(replay(np.array([5.0, 7.0]))[0], [6, 8])


def test_memory_handed_to_a_c_library_is_refused():
    def raw(x):
        return (x.ctypes.data,)

    with pytest.raises(nt.UntraceableStep, match="C library"):
        _record(raw, np.ones(3))


def test_part_of_a_recorded_array_seen_through_an_unrecorded_view_is_refused():
    def escape(x):
        plain = np.asarray(x)[:2]  # NumPy makes this view without telling the recording
        return (x[:2] + plain,)

    with pytest.raises(nt.UntraceableStep, match="shares memory"):
        _record(escape, np.ones(3))


def test_an_unrecorded_view_of_a_whole_array_is_the_same_array():
    def whole(x):
        return (x * 2 + np.asarray(x),)

    replay, _ = _record(whole, np.ones(3))
    np.testing.assert_array_equal(replay(np.full(3, 2.0))[0], [6, 6, 6])


def test_work_on_an_unrecorded_view_is_invisible_to_the_recording():
    """What NumPy computes from such a view is not recorded: the replay repeats the
    value seen while recording. This is why a recorded training step is compared with
    the eager step before it is used (tests/trainers/test_compiled_step.py)."""
    def hidden(x):
        return (x + np.asarray(x) * 2,)

    replay, _ = _record(hidden, np.ones(3))
    np.testing.assert_array_equal(replay(np.full(3, 2.0))[0], [4, 4, 4])  # not [6, 6, 6]


def test_replay_frees_intermediates_and_releases_held_arrays():
    """Each intermediate is deleted after its last use, so a holder's array is held
    only by the holder when a later call checks who holds it."""
    holder = Holder(np.ones(3))
    counts = []

    def step(x, h):
        y = x * h._value
        recorder = nt._ACTIVE.recorder
        recorder.call(lambda: counts.append(sys.getrefcount(h._value)))
        return (y,)

    _record(step, np.ones(3), holders=[holder])
    replay, _ = _record(step, np.ones(3), holders=[holder])
    counts.clear()
    replay(np.ones(3))
    baseline = sys.getrefcount(Holder(np.ones(3))._value)
    assert counts[0] <= baseline + 1  # the holder's reference, and `h._value` read in the lambda
    assert "del " in replay.source


def test_outside_a_recording_trace_arrays_compute_plainly():
    t = np.arange(4.0).view(nt.TraceArray)
    out = t * 2 + np.ones(4)
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [1, 3, 5, 7])
    assert type(t[1:]) is np.ndarray and type(t.sum()) is not nt.TraceArray
    assert float(t[2]) == 2.0


def test_ufunc_at_is_a_write_into_its_first_operand():
    """`np.add.at(a, ...)` writes into `a`: into a recorded array it is replayed; into
    an array made outside the recording (which the replay would keep, adding to it at
    every replay) it is refused."""
    def scatter_into_recorded(x, index):
        out = x * 0.0
        np.add.at(out, index, 1.0)
        return (out,)

    replay, (traced,) = _record(scatter_into_recorded, np.ones(3), np.array([0, 0, 2]))
    np.testing.assert_array_equal(traced, [2, 0, 1])
    for _ in range(2):  # nothing carried over between replays
        np.testing.assert_array_equal(replay(np.ones(3), np.array([1, 1, 1]))[0], [0, 3, 0])

    def scatter_into_plain(x):
        out = np.zeros(3)
        np.add.at(out, np.array([0, 1]), x[:2])
        return (out + x,)

    with pytest.raises(nt.UntraceableStep, match="made outside the recording"):
        _record(scatter_into_plain, np.ones(3))


def test_the_namespace_asarray_of_a_recorded_array_is_followed():
    """NumPy's `asarray` returns a recorded array as a plain one (a copy, for a 0-d
    array the compat namespace converts): the namespace's `asarray` keeps it recorded,
    so the replay computes it (a metric's result wrapped by `asarray`)."""
    import array_api_compat.numpy as compat

    from kerasx.backends.numpy_namespace import namespace

    xp = namespace(compat)

    def total(x):
        return (xp.asarray(xp.sum(x) / 2.0), xp.asarray([x[0], x[1]]))

    replay, traced = _record(total, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(traced[0], 3.0)
    again = replay(np.array([5.0, 7.0, 9.0]))
    np.testing.assert_array_equal(again[0], 10.5)
    np.testing.assert_array_equal(again[1], [5.0, 7.0])
    assert type(xp.asarray(np.ones(2))) is np.ndarray


def test_copying_a_recorded_array_to_the_host_stops_the_recording():
    """A hashing or lookup layer copies its input to the host and works on it in
    Python: what it computes would be replayed as the recorded batch's values. A
    scalar copied to the host (a check on the data) becomes a guard instead."""
    from kerasx.backends import get_backend, host

    def hashed(x):
        ids = [hash(v) % 7 for v in host.to_host(x).tolist()]
        return (x + np.asarray(ids),)

    with pytest.raises(nt.UntraceableStep, match="copied an array of shape \\(3,\\) to the host"):
        _record(hashed, np.ones(3))
    with pytest.raises(nt.UntraceableStep, match="to the host"):
        _record(lambda x: (x + get_backend("numpy").to_numpy(x),), np.ones(3))
    np.testing.assert_array_equal(host.to_host(nt.TraceArray((2,))).shape, (2,))  # unrecorded

    # a scalar copied to the host is a guard, as `float(x)` is
    replay, (traced,) = _record(lambda x: (x * host.to_host(x.sum() > 0),), np.ones(3))
    np.testing.assert_array_equal(replay(np.full(3, 2.0))[0], [2, 2, 2])
    with pytest.raises(nt.GuardFailed):
        replay(np.full(3, -1.0))


_SHAPE_KEYWORD = np.lib.NumpyVersion(np.__version__) >= "2.1.0"  # np.reshape(shape=)


def _shapes(x):
    flat = np.reshape(x, (-1,))
    turned = np.swapaxes(x, 0, 1)
    return (flat, turned, np.transpose(x), np.transpose(x, (1, 0)), np.argmax(x, axis=1),
            np.argmin(x, axis=0, keepdims=True), np.squeeze(np.reshape(x, (1, 5, 3)), axis=0),
            np.ravel(turned), np.reshape(x, shape=(3, 5)) if _SHAPE_KEYWORD else flat)


def test_numpy_functions_that_call_a_method_replay_as_the_method():
    # a function reaching the array's method through NumPy's Python wrapper costs
    # more than the method; keywords the method spells otherwise keep the function
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    replay, _ = _record(_shapes, x)
    source = replay.source
    for method in ("reshape", "swapaxes", "transpose", "argmax", "argmin", "squeeze", "ravel"):
        assert f".{method}(" in source, method
    if _SHAPE_KEYWORD:  # `shape=` is no keyword of the method
        assert re.search(r"= _c\d+\(r1, shape=", source)
    x2 = rng.standard_normal((5, 3)).astype(np.float32)
    for got, want in zip(replay(x2), _shapes(x2)):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
