"""Regularizers, constraints, initializers and noise layers compared with Keras 3.15.1.

`test_golden_recipe` replays the `fuzz_regularization` golden family (recipes of
tests/golden/fuzz_regularization_common.py that Keras ran from the stored weights): weight
and activity regularizers and constraints on every layer kind that takes them, with
`ActivityRegularization` and `add_loss`: `model.losses` (values and order), configs, two
`train_on_batch` steps, `evaluate`, one epoch of `fit` and the weights after each;
regularizers and constraints on fixed arrays; initializers (values, configs, seed semantics,
statistics against the documented distributions); dropout and noise layers. The other tests
pin what the comparison found.

One difference is kept on purpose and left out of the replay: an initializer built without a
seed draws new values at every call in kerasx (from the global generator, so that
`utils.set_random_seed` governs it), where Keras draws a seed once at construction and repeats
its values.
"""

import numpy as np
import pytest

import kerasx as keras
from tests.golden.fuzz_regularization_common import run_recipe
from tests.golden.loader import load_cases
from tests.golden.training_recipe import flatten_results

GOLDEN = load_cases("fuzz_regularization")


def _assert_same(expected, got, expected_arrays, got_arrays, path="r"):
    """`flatten_results` skeletons agree: same keys in the same order, equal strings, bools
    and ints, floats and arrays close (rtol 1e-4, atol 1e-5)."""
    if isinstance(expected, dict) and "array" in expected:
        assert isinstance(got, dict) and "array" in got, f"{path}: got {got!r}"
        want, have = expected_arrays[expected["array"]], got_arrays[got["array"]]
        assert want.shape == have.shape, f"{path}: shape {have.shape}, Keras {want.shape}"
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-5, err_msg=path)
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected), f"{path}: {got!r}"
        for key in expected:
            _assert_same(expected[key], got[key], expected_arrays, got_arrays, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{path}: {got!r}"
        for i, (e, g) in enumerate(zip(expected, got)):
            _assert_same(e, g, expected_arrays, got_arrays, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert isinstance(got, float), f"{path}: {got!r}, Keras {expected!r}"
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=path)
    else:
        assert got == expected and type(got) is type(expected), (
            f"{path}: {got!r}, Keras {expected!r}")


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_recipe(case):
    arrays = case["arrays"]
    weights = [arrays[f"w0_{i}"] for i in range(case["n_weights"])]
    keras.backend.clear_session()
    _, results = run_recipe(keras, case["config"], weights or None)
    skeleton, got_arrays = flatten_results(results)
    _assert_same(case["skeleton"], skeleton, arrays, got_arrays)


class _Penalty(keras.layers.Layer):
    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def call(self, x):
        self.add_loss(self.value * keras.ops.mean(x))
        return x


def test_losses_of_a_nested_model_come_in_keras_order():
    # Keras gathers sublayer losses from a queue where each layer pushes its own
    # sublayers to the front: a nested model's layers come last first, before the
    # layers after it. kerasx walked depth first ([3, 1, 2, 4]).
    inp = keras.Input((2,))
    inner = keras.Model(inp, _Penalty(2.0)(_Penalty(1.0)(inp)))
    outer_inp = keras.Input((2,))
    out = _Penalty(4.0)(inner(_Penalty(3.0)(outer_inp)))
    dense = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L1(0.0))
    outer = keras.Model(outer_inp, dense(out))
    outer(np.ones((1, 2), "float32"))
    assert [float(v) for v in outer.losses] == [3.0, 2.0, 1.0, 4.0, 0.0]  # Keras 3.15.1
    assert [float(v) for v in inner.losses] == [1.0, 2.0]


def test_dropout_config_keys_in_keras_order():
    config = keras.layers.Dropout(0.5, noise_shape=(None, 1), seed=3).get_config()
    assert list(config) == ["name", "trainable", "dtype", "rate", "seed", "noise_shape"]


def test_simple_rnn_applies_its_activity_regularizer():
    # Keras 3.15.1's SimpleRNN takes `activity_regularizer` but never passes it on (no
    # loss, None in its config); LSTM and GRU apply it. kerasx applies it on all three.
    x = np.ones((2, 4, 3), "float32")
    for cls in (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU):
        layer = cls(3, activity_regularizer=keras.regularizers.L2(0.1))
        y = keras.ops.convert_to_numpy(layer(x))
        assert len(layer.losses) == 1
        # as for every layer, the penalty of the output over the batch size
        np.testing.assert_allclose(float(layer.losses[0]), 0.1 * np.sum(y ** 2) / 2, rtol=1e-5)
        assert layer.get_config()["activity_regularizer"]["class_name"] == "L2"


def test_identity_gain_survives_serialization():
    # Keras 3.15.1's Identity.get_config() is {}: a deserialized Identity(gain=2) gives 1s.
    init = keras.initializers.deserialize(
        keras.initializers.serialize(keras.initializers.Identity(gain=2.0)))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(init((2, 3))),
                                  2.0 * np.eye(2, 3, dtype="float32"))
