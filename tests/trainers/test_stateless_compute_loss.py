"""`Model.stateless_compute_loss` (Keras's base trainer: the loss from given variable
values, no variable changed) and `Layer.symbolic_call` (the output spec, no node)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.autodiff.tape import GradientTape
from tests.conftest import to_numpy

xs = np.linspace(-1, 1, 12).reshape(4, 3).astype("float32")
ys = {"a": np.zeros((4, 2), "float32"), "b": np.ones((4, 1), "float32")}


def _model():
    inputs = keras.Input((3,))
    a = keras.layers.Dense(2, kernel_regularizer="l2", name="a")(inputs)
    b = keras.layers.BatchNormalization(name="b")(keras.layers.Dense(1, name="c")(inputs))
    model = keras.Model(inputs, {"a": a, "b": b})
    model.compile("sgd", loss={"a": "mse", "b": "mae"}, metrics={"a": ["mae"]})
    model.evaluate(xs, ys, verbose=0)  # every metric holds a value
    return model


def _values(variables):
    return [to_numpy(v).copy() for v in variables]


def test_the_loss_of_given_values_changes_no_variable():
    model = _model()
    state = (model.trainable_variables, model.non_trainable_variables, model.metrics_variables)
    before = [_values(group) for group in state]
    given = ([np.full(v.shape, 0.5, "float32") for v in state[0]], before[1],
             [np.zeros(v.shape, "float32") for v in state[2]])
    y_pred = model(xs)
    loss, (trainable, non_trainable, metrics) = model.stateless_compute_loss(
        *given, x=xs, y=ys, y_pred=y_pred)
    for group, values in zip(state, before):
        for v, value in zip(group, values):
            np.testing.assert_array_equal(to_numpy(v), value)
    assert trainable is given[0]
    # the same as compute_loss run on variables holding those values
    for group, values in zip(state, given):
        for v, value in zip(group, values):
            v.assign(value)
    expected = model.compute_loss(xs, ys, y_pred)
    np.testing.assert_allclose(float(loss), float(expected), rtol=1e-6)
    for value, v in zip(metrics, state[2]):
        np.testing.assert_allclose(to_numpy(value), to_numpy(v), rtol=1e-6)
    for value, v in zip(non_trainable, state[1]):
        np.testing.assert_array_equal(to_numpy(value), to_numpy(v))
    # as in Keras, the compiled loss updates its per-output trackers, nothing else
    assert any(float(to_numpy(v)) != 0 for v in metrics)
    assert float(to_numpy(metrics[0])) == 0.0  # the model's loss tracker


def test_the_penalty_reads_the_given_values_and_a_tape_differentiates_at_them():
    model = _model()
    kernel = model.get_layer("a").kernel
    y_pred = model(xs)
    ones = [np.ones(v.shape, "float32") for v in model.trainable_variables]
    twos = [2 * o for o in ones]
    zeros_metrics = [np.zeros(v.shape, "float32") for v in model.metrics_variables]
    non_trainable = _values(model.non_trainable_variables)
    with GradientTape() as tape:
        loss_1, _ = model.stateless_compute_loss(ones, non_trainable, zeros_metrics,
                                                 x=xs, y=ys, y_pred=y_pred)
    loss_2, _ = model.stateless_compute_loss(twos, non_trainable, zeros_metrics,
                                             x=xs, y=ys, y_pred=y_pred)
    # l2(0.01): the penalty of the kernel of ones and of twos
    penalty_1 = 0.01 * np.prod(kernel.shape)
    np.testing.assert_allclose(float(loss_2) - float(loss_1), 3 * penalty_1, rtol=1e-5)
    grad = tape.gradient(loss_1, [kernel])[0]
    np.testing.assert_allclose(to_numpy(grad), np.full(kernel.shape, 0.02), rtol=1e-6)


def test_wrong_counts_are_refused():
    model = _model()
    with pytest.raises(ValueError, match="trainable_variables.*length 1"):
        model.stateless_compute_loss([np.ones((3, 2))], [], [], x=xs, y=ys, y_pred=model(xs))


def test_layer_symbolic_call_returns_the_spec_without_a_node():
    inputs = keras.Input((3,))
    layer = keras.layers.Dense(2)
    out = layer.symbolic_call(inputs)
    assert isinstance(out, keras.KerasTensor)
    assert tuple(out.shape) == (None, 2) and out.dtype == "float32"
    # as in Keras, the node is added by __call__: a model cannot be made from it
    with pytest.raises(ValueError, match="not produced by a layer call"):
        keras.Model(inputs, out)
    assert tuple(layer(inputs).shape) == (None, 2)
