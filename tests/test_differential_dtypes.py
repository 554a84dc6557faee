"""Dtype policies in combinations, against Keras 3.15.1 (JAX backend).

The golden family `fuzz_dtypes` (tests/golden/family_fuzz_dtypes.py) holds small models
under random global and per-layer policies, replayed here from Keras's initial weights:
each layer's dtypes and policy, its weights' and symbolic output's dtypes, the eager
output, `train_on_batch` logs and weights (with `LossScaleOptimizer`s, explicit or added
by `compile`), the loss scale, a `fit` history and `evaluate`. The other tests pin
differences found that way, with Keras's values."""

import importlib.util
import json

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from tests.golden.fuzz_dtypes_common import measure, tolerance
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("fuzz_dtypes")
HAS_FLOAT16 = hasattr(current().xp, "float16")
HAS_BFLOAT16 = importlib.util.find_spec("ml_dtypes") is not None and \
    current().name in ("numpy", "cupy")


def _needs(case):
    text = json.dumps([case["config"], case["results"]])
    if "bfloat16" in text and not HAS_BFLOAT16:
        return "bfloat16 needs ml_dtypes on the numpy or cupy backend"
    if "float16" in text.replace("bfloat16", "") and not HAS_FLOAT16:
        return "the backend has no float16"
    return None


@pytest.fixture(autouse=True)
def _default_policy():
    yield
    keras.backend.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    keras.utils.clear_session()


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_golden_policy_models(case):
    reason = _needs(case)
    if reason:
        pytest.skip(reason)
    n = case["n_weights"]
    w0 = [case["arrays"][f"w0_{i}"] for i in range(n)]
    _, got = measure(keras, case["config"], weights=w0)
    want = case["results"]
    rtol, atol = tolerance(want)
    assert got["global_policy"] == want["global_policy"]
    assert got["layers"] == want["layers"]
    assert got["eager_dtype"] == want["eager_dtype"]
    np.testing.assert_allclose(got["eager"], case["arrays"]["eager"], rtol=rtol, atol=atol)
    assert got["optimizer_class"] == want["optimizer_class"]
    assert [sorted(s) for s in got["train"]] == [sorted(s) for s in want["train"]]
    for g_step, w_step in zip(got["train"], want["train"]):
        for key in w_step:
            np.testing.assert_allclose(g_step[key], w_step[key], rtol=5 * rtol, atol=5 * atol)
    assert got["w_after_dtypes"] == want["w_after_dtypes"]
    for i, w in enumerate(got["w_after"]):
        np.testing.assert_allclose(w, case["arrays"][f"w_after_{i}"], rtol=5 * rtol,
                                   atol=5 * atol)
    assert got.get("scale") == want.get("scale")
    assert got.get("iterations") == want.get("iterations")
    assert sorted(got["history"]) == sorted(want["history"])
    for key, values in want["history"].items():
        np.testing.assert_allclose(got["history"][key], values, rtol=10 * rtol,
                                   atol=10 * atol)
    for key, value in want["evaluate"].items():
        np.testing.assert_allclose(got["evaluate"][key], value, rtol=10 * rtol,
                                   atol=10 * atol)


@pytest.mark.parametrize("policy, input_dtype, want", [
    # Keras 3.15.1: (dtype, compute_dtype, variable_dtype) of the InputLayer
    pytest.param("mixed_float16", "float64", ("float64", "float16", "float32"),
                 marks=pytest.mark.skipif(not HAS_FLOAT16, reason="the backend has no float16")),
    pytest.param("mixed_bfloat16", "int32", ("int32", "bfloat16", "float32"),
                 marks=pytest.mark.skipif(not HAS_BFLOAT16, reason="no bfloat16 here")),
    ("float64", None, ("float32", "float64", "float64")),
    ("float32", "int64", ("int64", "float32", "float32")),
])
def test_input_layer_dtypes_follow_the_policy(policy, input_dtype, want):
    keras.config.set_dtype_policy(policy)
    layer = keras.Input((3,), dtype=input_dtype)._keras_history[0]
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == want
    assert layer.dtype_policy.name == policy


def test_input_layer_under_floatx_float64_computes_in_float64():
    # Keras 3.15.1 (no policy set, `set_floatx("float64")` first): the Input's data are
    # float64 and so are its policy's dtypes
    keras.backend.set_floatx("float64")
    layer = keras.Input((2,))._keras_history[0]
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == ("float64",) * 3


@pytest.mark.skipif(not HAS_BFLOAT16, reason="bfloat16 needs ml_dtypes on numpy or cupy")
@pytest.mark.parametrize("policy", ["bfloat16", "mixed_bfloat16"])
def test_mean_metrics_keep_bfloat16(policy):
    # Keras 3.15.1: Mean(dtype=policy) of [1, 2.5, 3.25] is bfloat16 2.25, before any
    # update bfloat16 0; SparseCategoricalAccuracy of two hits bfloat16 1.0
    mean = keras.metrics.Mean(dtype=policy)
    assert str(mean.result().dtype) == "bfloat16"
    mean.update_state(np.array([1.0, 2.5, 3.25]))
    result = mean.result()
    assert str(result.dtype) == "bfloat16"
    assert float(result) == 2.25
    accuracy = keras.metrics.SparseCategoricalAccuracy(dtype=policy)
    accuracy.update_state(np.array([0, 1]), np.array([[0.6, 0.4], [0.3, 0.7]]))
    assert str(accuracy.result().dtype) == "bfloat16"
    assert float(accuracy.result()) == 1.0


HALF_POLICIES = [
    pytest.param(p, marks=pytest.mark.skipif(
        not (HAS_BFLOAT16 if "bfloat16" in p else HAS_FLOAT16),
        reason=f"the backend cannot compute in {p}"))
    for p in ("float16", "mixed_float16", "bfloat16", "mixed_bfloat16")]
# Keras 3.15.1: [output, h, c] (LSTM) or [output, h] (GRU), first unit, of the model
# below, for rows [1, 2, 0] and [0, 0, 1] (0 masked by the Embedding)
MASKED_RNN = {
    ("float16", "LSTM"): [[0.90966796875, 0.60791015625], [0.90966796875, 0.60791015625],
                          [1.794921875, 0.8486328125]],
    ("float16", "GRU"): [[0.198974609375, 0.11529541015625]] * 2,
    ("bfloat16", "LSTM"): [[0.91015625, 0.609375], [0.91015625, 0.609375],
                           [1.796875, 0.8515625]],
    ("bfloat16", "GRU"): [[0.197265625, 0.11328125]] * 2,
}


@pytest.mark.parametrize("policy", HALF_POLICIES)
@pytest.mark.parametrize("rnn", ["LSTM", "GRU"])
def test_masked_recurrent_layers_in_half_precision(policy, rnn):
    # the masked fused loops had no 16-bit select (AttributeError) and, under a mixed
    # policy, ran float32 zero states against float16 masks (a broadcast ValueError)
    keras.config.set_dtype_policy(policy)
    model = keras.Sequential([
        keras.layers.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones"),
        getattr(keras.layers, rnn)(2, kernel_initializer="ones", recurrent_initializer="ones",
                                   return_state=True)])
    outputs = model(np.array([[1, 2, 0], [0, 0, 1]]))
    half = policy.replace("mixed_", "")
    assert [str(o.dtype) for o in outputs] == [half] * len(outputs)
    got = [np.asarray(o).astype(np.float32)[:, 0] for o in outputs]
    np.testing.assert_allclose(got, MASKED_RNN[half, rnn], rtol=2e-2 if "b" in half else 5e-3)


@pytest.mark.parametrize("policy", HALF_POLICIES)
def test_recurrent_zero_states_in_the_compute_dtype(policy):
    # Keras 3.15.1: the cells' and layers' `get_initial_state` give compute-dtype zeros
    keras.config.set_dtype_policy(policy)
    half = policy.replace("mixed_", "")
    for layer in (keras.layers.LSTMCell(2), keras.layers.GRUCell(2),
                  keras.layers.SimpleRNNCell(2), keras.layers.LSTM(2)):
        states = layer.get_initial_state(batch_size=2)
        assert [str(s.dtype) for s in states] == [half] * len(states)


@pytest.mark.parametrize("policy", HALF_POLICIES)
def test_rnn_zero_states_of_a_cell_without_its_own(policy):
    # Keras 3.15.1: `RNN(cell).get_initial_state` of a cell without `get_initial_state`
    # gives zeros in the cell's compute dtype (float16 under "mixed_float16", float32 for
    # a float32 cell), and the RNN of [[0.25] * 2] * 3 below ends at 0.875 per unit
    keras.config.set_dtype_policy(policy)
    half = policy.replace("mixed_", "")

    class Cell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units

        def build(self, shape):
            self.w = self.add_weight((shape[-1], self.units), initializer="ones")

        def call(self, x, states):
            h = keras.ops.matmul(x, self.w) + 0.5 * states[0]
            return h, [h]

    rnn = keras.layers.RNN(Cell(2))
    assert [str(s.dtype) for s in rnn.get_initial_state(batch_size=2)] == [half]
    y = rnn(np.full((1, 3, 2), 0.25))
    assert str(y.dtype) == half
    np.testing.assert_array_equal(np.asarray(y).astype(np.float32), [[0.875, 0.875]])
    rnn = keras.layers.RNN(Cell(2, dtype="float32"))
    assert [str(s.dtype) for s in rnn.get_initial_state(batch_size=2)] == ["float32"]


@pytest.mark.skipif(not HAS_FLOAT16, reason="the backend has no float16")
@pytest.mark.parametrize("rnn", ["LSTM", "GRU", "SimpleRNN"])
def test_stateful_states_in_the_variable_dtype(rnn):
    # Keras 3.15.1 under "mixed_float16": float16 outputs, float32 state variables; the
    # second call of [[0.1] * 2] * 3 gives 0.79932 (LSTM), 0.47607 (GRU), 0.97266 (SimpleRNN)
    keras.config.set_dtype_policy("mixed_float16")
    layer = getattr(keras.layers, rnn)(2, stateful=True, kernel_initializer="ones",
                                       recurrent_initializer="ones")
    layer(np.full((2, 3, 2), 0.1))
    y = layer(np.full((2, 3, 2), 0.1))
    assert str(y.dtype) == "float16"
    assert [str(s.dtype) for s in layer.states] == ["float32"] * len(layer.states)
    want = {"LSTM": 0.79932, "GRU": 0.47607, "SimpleRNN": 0.97266}[rnn]
    np.testing.assert_allclose(np.asarray(y, dtype=np.float32), want, rtol=2e-3)
