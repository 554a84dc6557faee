"""Recorded steps follow the NumPy kernels' own array work: the first recording of a
training step, a prediction step and an eager call is verified bit for bit, with no
kernel recorded as an opaque call (`recordable_helper`: kernels that make strided views,
contiguous copies or buffers NumPy's dispatch does not show are recorded as one line)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("recordings are made on NumPy", allow_module_level=True)

from kerasx.backends import numpy_trace as nt  # noqa: E402
from kerasx.backends.numpy_trace_array import recordable_helper  # noqa: E402
from kerasx.models import eager_replay  # noqa: E402
from kerasx.trainers import compiled_step  # noqa: E402

L = keras.layers


@recordable_helper
def _column_copy(x):
    """A contiguous copy of `x`'s transpose by a function that does not dispatch."""
    return np.ascontiguousarray(x.T)


def test_a_helper_is_replayed_on_the_replays_arrays():
    recorder = nt.Recorder()
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with recorder:
        out = _column_copy(recorder.param(x)) * 2
        replay = recorder.compile([out])
    other = x[::-1] + 10
    (got,) = replay(other)
    np.testing.assert_array_equal(got, np.ascontiguousarray(other.T) * 2)
    assert _column_copy(x).flags.c_contiguous  # and plainly called with no recording


def test_a_function_writing_into_a_recorded_array_is_replayed_when_its_result_is_unused():
    # `np.clip(y, 0, inf, out=y)` for its effect alone (a fused kernel's ReLU in place)
    recorder = nt.Recorder()
    with recorder:
        y = recorder.param(np.zeros(4, np.float32)) - 1
        np.clip(y, 0.0, np.inf, out=y)
        replay = recorder.compile([y])
    (got,) = replay(np.array([0, 1, 2, 3], np.float32))
    np.testing.assert_array_equal(got, [0, 0, 1, 2])


@recordable_helper
def _copy_unless_negative(x):
    return None if (x < 0).any() else np.ascontiguousarray(x.T)


def test_a_helper_declining_at_replay_fails_a_guard():
    recorder = nt.Recorder()
    with recorder:
        out = _copy_unless_negative(recorder.param(np.ones((2, 3), np.float32)))
        replay = recorder.compile([out])
    np.testing.assert_array_equal(replay(np.full((2, 3), 2, np.float32))[0],
                                  np.full((3, 2), 2, np.float32))
    with pytest.raises(nt.GuardFailed):
        replay(-np.ones((2, 3), np.float32))


def test_a_helper_declining_at_recording_is_checked_to_decline_at_replay():
    # the recorded step took the path in the helper's place: data the helper would
    # take at replay fails a guard (the eager step then uses the helper)
    def positive_only(a):
        return None if a.sum() < 0 else a * 2

    recorder = nt.Recorder()
    with recorder:
        x = recorder.param(-np.ones(3, np.float32))
        helper = recordable_helper(positive_only)
        assert helper(x) is None
        replay = recorder.compile([x + 1])
    np.testing.assert_array_equal(replay(-np.full(3, 2, np.float32))[0], [-1, -1, -1])
    with pytest.raises(nt.GuardFailed):
        replay(np.ones(3, np.float32))


# layer kinds whose kernels escaped the recording (a strided window view, a contiguous
# copy, an `np.empty` buffer filled by products, a BLAS call on raw pointers)
CASES = {
    "conv2d 3 channels": ((6, 6, 3), lambda: [L.Conv2D(4, 3)]),
    "conv2d 8 channels strided": ((7, 7, 8), lambda: [L.Conv2D(4, 3, strides=2)]),
    "conv2d transposed strided": ((4, 4, 3), lambda: [L.Conv2DTranspose(4, 3, strides=2)]),
    "depthwise conv2d": ((6, 6, 3), lambda: [L.DepthwiseConv2D(3)]),
    "grouped conv2d": ((6, 6, 8), lambda: [L.Conv2D(4, 3, groups=2)]),
    "conv, batch norm, relu, max pool": ((8, 8, 3), lambda: [
        L.Conv2D(8, 3, padding="same"), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2)]),
    # more rows than a cached block (64 channels: 1,024): scratch buffers of np.empty
    "batch norm in blocks, dropout": ((17, 17, 3), lambda: [
        L.Conv2D(64, 3, padding="same"), L.BatchNormalization(), L.Dropout(0.2), L.ReLU()]),
    "lstm": ((4, 3), lambda: [L.LSTM(4)]),
    "gru": ((4, 3), lambda: [L.GRU(4)]),
    "simple rnn": ((4, 3), lambda: [L.SimpleRNN(4)]),
    "sigmoid": ((6,), lambda: [L.Dense(5, activation="sigmoid")]),
    "gelu": ((6,), lambda: [L.Dense(5, activation="gelu")]),
}


def _verified_first_time(step):
    programs = [p for p in step.programs.values() if hasattr(p, "verified")]
    return (programs and all(p.verified for p in programs) and not step._kernels_as_calls
            and not step.reasons)


@pytest.mark.parametrize("name", list(CASES))
def test_the_first_recording_is_verified(name, monkeypatch):
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "0")
    monkeypatch.setattr(compiled_step, "PREDICT_RECORD_AFTER", 1)
    shape, body = CASES[name]
    model = keras.Sequential([keras.Input(shape), *body(), L.Flatten(), L.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16,) + shape).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert _verified_first_time(model._compiled_train_step)
    model.predict(x, batch_size=4, verbose=0)
    assert _verified_first_time(model._compiled_predict_step)
    for i in range(eager_replay.CALL_RECORD_AFTER + 3):
        out = model(x[4 * (i % 4):4 * (i % 4) + 4])
    assert _verified_first_time(model._eager_calls.steps[None])
    np.testing.assert_array_equal(np.asarray(out), np.asarray(
        keras.Sequential(model.layers)(x[4:8])))
