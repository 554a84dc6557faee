"""Float8 training as Keras 3 does it: the scales and amax histories are trainable
variables marked `overwrite_with_gradient`, whose "gradients" are their next values
(the step values themselves are checked against Keras in
test_quantized_training_and_saving.py)."""

import numpy as np
import pytest

import kerasx as keras
from tests.conftest import to_numpy

rng = np.random.default_rng(0)
x = rng.normal(size=(8, 4)).astype("float32")
y = rng.normal(size=(8, 3)).astype("float32")
SCALES = ["inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
          "outputs_grad_scale", "outputs_grad_amax_history"]


def _model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.quantize("float8")
    return model


def _changed(before, variables):
    return [not np.array_equal(a, to_numpy(v)) for a, v in zip(before, variables)]


def test_the_scales_are_trainable_and_overwritten_by_their_gradient():
    model = _model()
    dense = model.layers[0]
    assert [v.name for v in dense.weights] == ["kernel", "bias"] + SCALES
    assert len(model.trainable_weights) == 8 and model.non_trainable_weights == []
    assert [v.overwrite_with_gradient for v in dense.weights] == [False] * 2 + [True] * 6


def test_a_training_call_outside_a_step_changes_nothing():
    model = _model()
    before = [to_numpy(v).copy() for v in model.weights]
    model(x, training=True)
    assert not any(_changed(before, model.weights))


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_writes_the_histories_and_adam_keeps_slots_for_the_kernel_only(jit_compile):
    model = _model()
    before = [to_numpy(v).copy() for v in model.weights]
    model.compile(keras.optimizers.Adam(), "mse", jit_compile=jit_compile)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    # as Keras after one step: the histories hold the first amax, the scales stay 1.0
    assert _changed(before, model.weights) == [True, True] + [False, True] * 3
    assert [v.path.split("/")[-1] for v in model.optimizer.variables] == [
        "iteration", "learning_rate", "sequential_dense_kernel_momentum",
        "sequential_dense_kernel_velocity", "sequential_dense_bias_momentum",
        "sequential_dense_bias_velocity"]
    history = to_numpy(model.layers[0].inputs_amax_history)
    np.testing.assert_allclose(history[0], np.abs(x).max(), rtol=1e-6)


def test_a_frozen_layer_keeps_its_scales():
    model = _model()
    model.layers[0].trainable = False
    model.compile(keras.optimizers.SGD(), "mse")
    before = [to_numpy(v).copy() for v in model.weights]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not any(_changed(before, model.weights))
