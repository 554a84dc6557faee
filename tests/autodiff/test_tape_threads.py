"""Gradient recording is per thread: one thread's tape neither misses its own ops
because another thread closed a tape, nor records another thread's ops."""

import threading

import numpy as np

import kerasx as keras
from kerasx import ops
from tests.thread_runner import in_threads


def test_a_tape_keeps_recording_while_another_thread_pauses_its_own():
    v = keras.Variable(np.array([1.0, 2.0, 3.0]), dtype="float64")
    opened, paused, computed = threading.Barrier(2), threading.Barrier(2), threading.Barrier(2)
    results = {}

    def recording():
        with keras.GradientTape() as tape:
            opened.wait()
            paused.wait()  # the other thread's recording is paused now
            loss = ops.sum(v * v)
            computed.wait()
        results["recording"] = tape.gradient(loss, v)

    def pausing():
        opened.wait()
        with keras.GradientTape() as tape:
            with tape.stop_recording():
                paused.wait()
                computed.wait()
            loss = ops.sum(v * 3.0)
        results["pausing"] = tape.gradient(loss, v)

    in_threads(recording, pausing)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(results["recording"]), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(results["pausing"]), [3.0, 3.0, 3.0])


def test_a_tape_does_not_record_another_threads_ops():
    from kerasx.autodiff import tape as tape_module

    v = keras.Variable(np.array([1.0, 2.0]), dtype="float64")
    opened, done = threading.Barrier(2), threading.Barrier(2)
    seen = {}

    def recorder():
        with keras.GradientTape():
            opened.wait()
            done.wait()

    def other():
        opened.wait()
        seen["recording"] = tape_module.is_recording()
        seen["tracked"] = getattr(v * 2.0, "tracked", False)
        done.wait()

    in_threads(recorder, other)
    assert seen == {"recording": False, "tracked": False}
    assert not tape_module.is_recording() and tape_module._ANY[0] == 0


def test_recording_ends_when_every_thread_closed_its_tapes():
    """A pause saved and restored in one thread while a tape closed in another used to
    leave recording on for good (every later op kept its inputs alive)."""
    from kerasx.autodiff import tape as tape_module

    v = keras.Variable(np.array([1.0, 2.0]), dtype="float64")
    opened, paused, closed = threading.Barrier(2), threading.Barrier(2), threading.Barrier(2)

    def closing():
        with keras.GradientTape():
            opened.wait()
            paused.wait()
        closed.wait()

    def pausing():
        opened.wait()
        with keras.GradientTape() as tape:
            with tape.stop_recording():
                paused.wait()
                closed.wait()  # the other thread's tape is closed by now

    in_threads(closing, pausing)
    assert not tape_module.is_recording() and tape_module._ANY[0] == 0
    assert not getattr(v * 2.0, "tracked", False)
