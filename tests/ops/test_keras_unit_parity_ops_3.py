"""Cases of Keras's own op tests (keras/src/ops/*_test.py) where kerasx differed: symbolic
calls of `geomspace`, the segment ops, `cond` and `switch`, and the errors of the Fourier,
segment and scan ops (each keeps Keras's key phrase, so code matching it still works)."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current


def _np(t):
    return ops.convert_to_numpy(t)


def _dev(x):
    return current().asarray(x)


@pytest.mark.parametrize("op", ["linspace", "logspace", "geomspace"])
@pytest.mark.parametrize("stop_is_symbolic", [True, False])
def test_spacing_nodes_pass_stop_as_a_call_argument_as_keras_saves_them(
        op, stop_is_symbolic, tmp_path):
    # Keras 3.15.1's saved node of `linspace(a, b, 5)` holds both bounds among the call's
    # arguments (its `Linspace.call(start, stop)`): its files load only where `stop` is read
    # from there, and kerasx's files then load in Keras
    a, b = kerasx.Input((3,)), kerasx.Input((3,))
    stop = b + 2.0 if stop_is_symbolic else 4.0
    model = kerasx.Model([a, b], getattr(ops, op)(a + 1.0, stop, 5, axis=1))
    config = model.get_config()
    (node,) = [layer for layer in config["layers"] if layer["name"].startswith(op)]
    assert len(node["inbound_nodes"][0]["args"]) == 2
    assert "stop" not in node["config"]
    model.save(tmp_path / "m.keras")
    loaded = kerasx.models.load_model(tmp_path / "m.keras")
    x = [np.zeros((2, 3), "float32"), np.ones((2, 3), "float32")]
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-6)


# ---- geomspace with symbolic bounds ---------------------------------------------------

@pytest.mark.parametrize("stop_is_symbolic", [True, False])
def test_geomspace_of_symbolic_bounds_records_a_node(stop_is_symbolic):
    start, stop = kerasx.Input((3,)), kerasx.Input((3,))
    out = ops.geomspace(start, stop if stop_is_symbolic else 10.0, num=5)
    # Keras 3.15.1 gives (5, None, 3) and, with axis=-1, (None, 3, 5)
    assert tuple(out.shape) == (5, None, 3)
    assert tuple(ops.geomspace(start, stop, num=5, axis=-1).shape) == (None, 3, 5)
    assert out.dtype == "float32"


def test_geomspace_model_computes_numpy_values():
    start, stop = kerasx.Input((3,)), kerasx.Input((3,))
    model = kerasx.Model([start, stop], ops.geomspace(start, stop, num=4, axis=-1))
    lo = np.array([[1.0, 2.0, -3.0]], "float32")
    hi = np.array([[8.0, 16.0, -27.0]], "float32")
    got = _np(model([_dev(lo), _dev(hi)]))
    want = np.geomspace(lo.astype("float64"), hi.astype("float64"), num=4, axis=-1)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_geomspace_still_refuses_a_zero_bound_outside_a_model():
    with pytest.raises(ValueError, match="nonzero"):
        ops.geomspace(0.0, 10.0, num=3)


# ---- errors: Keras's key phrase, with what was received ----------------------------------

RE = np.ones((2, 4))
IM = np.zeros((2, 4))


@pytest.mark.parametrize("call, error, keras_phrase, received", [
    (lambda: ops.fft(RE), ValueError, "Input `x` should be a tuple of two tensors", "ndarray"),
    (lambda: ops.irfft(RE), ValueError, "should be a tuple of two tensors", "ndarray"),
    (lambda: ops.istft(RE, 4, 2, 4), ValueError, "should be a tuple of two tensors", "ndarray"),
    (lambda: ops.fft((RE, IM[:, :3])), ValueError,
     "Both the real and imaginary parts should have the same shape", r"\(2, 3\)"),
    (lambda: ops.fft2((RE, IM[:, :3])), ValueError,
     "Both the real and imaginary parts should have the same shape", r"\(2, 3\)"),
    (lambda: ops.fft((np.ones(()), np.ones(()))), ValueError, r"Input should have rank >= 1",
     r"\(\)"),
    (lambda: ops.fft2((np.ones(3), np.ones(3))), ValueError, r"Input should have rank >= 2",
     r"\(3,\)"),
    (lambda: ops.rfft(np.ones(())), ValueError, r"Input should have rank >= 1", r"\(\)"),
    (lambda: ops.istft((np.ones(3), np.ones(3)), 4, 2, 4), ValueError,
     r"Input should have rank >= 2", r"\(3,\)"),
    (lambda: ops.stft(np.ones(32, np.int32), 8, 4, 16), TypeError,
     "Expected `float32` or `float64`", "int32"),
    (lambda: ops.stft(np.ones(32), 4, 2, 2), ValueError,
     "`fft_length` must equal or", "fft_length=2"),
    (lambda: ops.stft(np.ones(32), 4, 2, 4, window="invalid_window"), ValueError,
     "If a string is passed to `window`", "invalid_window"),
    (lambda: ops.stft(np.ones(32), 2, 1, 4, window=np.ones(3)), ValueError,
     "The shape of `window` must be equal to", r"\(3,\)"),
    (lambda: ops.istft((np.ones((2, 3)), np.ones((2, 3))), 2, 1, 4, window=np.ones(3)),
     ValueError, "The shape of `window` must be equal to", r"\(3,\)"),
    (lambda: ops.view_as_complex(np.ones(3)), ValueError,
     "Last dimension of input must be size 2", r"\(3,\)"),
    (lambda: ops.extract_sequences(np.ones(()), 5, 1), ValueError,
     r"Input should have rank >= 1", r"\(\)"),
    (lambda: ops.segment_sum(np.ones(4), np.zeros((2, 2), np.int32)), ValueError,
     "Argument `segment_ids` should be an 1-D vector,", r"\(2, 2\)"),
    (lambda: ops.segment_max(np.ones(4), np.zeros((2, 2), np.int32)), ValueError,
     "Argument `segment_ids` should be an 1-D vector,", r"\(2, 2\)"),
    (lambda: ops.segment_sum(np.ones((0,)), np.array([0, 0, 1, 1])), ValueError,
     "Argument `segment_ids` and `data` should have same leading dimension", r"\(4,\)"),
    (lambda: ops.segment_max(np.ones((0,)), np.array([0, 0, 1, 1])), ValueError,
     "Argument `segment_ids` and `data` should have same leading dimension", r"\(4,\)"),
    (lambda: ops.scan(123, np.zeros(()), np.ones(3)), TypeError, "should be a callable.",
     "123"),
    (lambda: ops.associative_scan(lambda a, b: a, (np.ones(2), np.ones(2), np.ones(3))),
     ValueError, " first dimension", r"\(3,\)"),
])
def test_errors_keep_the_keras_phrase_and_say_what_was_received(call, error, keras_phrase,
                                                                 received):
    with pytest.raises(error, match=keras_phrase) as info:
        call()
    assert info.match(received)


def test_fft_rank_error_comes_before_the_dtype_error_as_in_keras():
    # Keras checks the rank first: integer scalars are refused for their rank
    with pytest.raises(ValueError, match=r"rank >= 1"):
        ops.fft((np.ones((), np.int32), np.ones((), np.int32)))


def test_symbolic_errors_keep_the_keras_phrase():
    with pytest.raises(ValueError, match="should be a tuple of two tensors"):
        ops.fft(kerasx.Input((3,)))
    with pytest.raises(ValueError, match=r"Input should have rank >= 1"):
        ops.extract_sequences(kerasx.Input(batch_shape=()), 5, 1)


# ---- segment ops on symbolic data of unknown rows ----------------------------------------

@pytest.mark.parametrize("op", [ops.segment_sum, ops.segment_max])
def test_segment_ops_take_the_rows_of_symbolic_data_from_the_ids(op):
    data = kerasx.Input(batch_shape=(None, 4))
    ids = kerasx.Input(batch_shape=(10,), dtype="int32")
    # Keras 3.15.1 gives (None, 4) without num_segments, (3, 4) with num_segments=3
    assert tuple(op(data, ids).shape) == (None, 4)
    assert tuple(op(data, ids, num_segments=3).shape) == (3, 4)


def test_segment_sum_model_on_symbolic_data_computes_numpy_sums():
    data = kerasx.Input(batch_shape=(None, 2))
    ids = kerasx.Input(batch_shape=(None,), dtype="int32")
    model = kerasx.Model([data, ids], ops.segment_sum(data, ids))
    x = np.arange(8, dtype="float32").reshape(4, 2)
    s = np.array([0, 0, 2, 2], "int32")
    want = np.zeros((3, 2), "float32")
    np.add.at(want, s, x)
    np.testing.assert_allclose(_np(model([_dev(x), _dev(s)])), want)


# ---- cond and switch with a symbolic predicate or index ----------------------------------

def test_switch_with_a_symbolic_index_picks_the_branch_when_the_model_runs():
    index = kerasx.Input(batch_shape=(), dtype="int32")
    x = kerasx.Input((3,))
    branches = [lambda a: a * 2.0, lambda a: a - 1.0, lambda a: a + 100.0]
    y = ops.switch(index, branches, x)
    assert tuple(y.shape) == (None, 3)  # Keras 3.15.1: the first branch's shape
    model = kerasx.Model([index, x], y)
    ones = np.ones((1, 3), "float32")
    for i, picked in ((0, 0), (1, 1), (5, 2), (-3, 0)):  # out-of-range indices are clamped
        got = _np(model([_dev(np.array(i, "int32")), _dev(ones)]))
        np.testing.assert_allclose(got, _np(branches[picked](ones)))


def test_cond_with_a_symbolic_predicate_records_a_node():
    pred = kerasx.Input(batch_shape=(), dtype="bool")
    y = ops.cond(pred, lambda: ops.ones((1, 3)), lambda: ops.zeros((1, 3)))
    assert tuple(y.shape) == (1, 3)  # as Keras 3.15.1
    model = kerasx.Model(pred, y)
    np.testing.assert_array_equal(_np(model(_dev(np.array(True)))), np.ones((1, 3)))
    np.testing.assert_array_equal(_np(model(_dev(np.array(False)))), np.zeros((1, 3)))


def test_cond_with_a_symbolic_predicate_refuses_branches_of_other_shapes():
    pred = kerasx.Input(batch_shape=(), dtype="bool")
    with pytest.raises(ValueError, match=r"should return outputs of the same kind.*\(4,\)"):
        ops.cond(pred, lambda: ops.ones((3,)), lambda: ops.zeros((4,)))


def test_cond_branches_using_symbolic_tensors_still_ask_for_a_layer():
    x = kerasx.Input((3,))
    with pytest.raises(ValueError, match="inside a layer's `call`"):
        ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: x)
