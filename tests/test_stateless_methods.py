"""Keras 3's stateless methods: `Layer.stateless_call`, `Optimizer.stateless_apply` and
`Metric.stateless_*` compute from given variable values and change no variable."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                              keras.layers.BatchNormalization()])
    model.build((None, 3))
    return model


def test_stateless_call_uses_the_given_values_and_returns_the_new_statistics():
    model = _model()
    before = [w.numpy().copy() for w in model.weights]
    trainable = [np.full(v.shape, 0.5, "float32") for v in model.trainable_variables]
    non_trainable = [v.numpy() for v in model.non_trainable_variables]
    x = np.arange(12, dtype="float32").reshape(4, 3)
    outputs, updated = model.stateless_call(trainable, non_trainable, x, training=True)
    # the same as assigning the values and calling the model for real
    reference = _model()
    for v, value in zip(reference.trainable_variables, trainable):
        v.assign(value)
    expected = reference(x, training=True)
    np.testing.assert_allclose(_np(outputs), _np(expected), rtol=1e-6)
    for new, v in zip(updated, reference.non_trainable_variables):
        np.testing.assert_allclose(_np(new), v.numpy(), rtol=1e-6)
    for w, b in zip(model.weights, before):  # nothing changed
        np.testing.assert_array_equal(w.numpy(), b)


def test_stateless_call_returns_losses_and_checks_its_arguments():
    layer = keras.layers.Dense(2, kernel_regularizer="l2")
    layer.build((None, 3))
    kernel, bias = np.ones((3, 2), "float32"), np.zeros(2, "float32")
    _, _, losses = layer.stateless_call([kernel, bias], [], np.ones((1, 3), "float32"),
                                        return_losses=True)
    np.testing.assert_allclose(float(_np(sum(losses))), 0.01 * 6, rtol=1e-6)
    with pytest.raises(ValueError, match="corresponding 1:1 to Dense\\(\\).trainable_variables"):
        layer.stateless_call([kernel], [], np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="must be built"):
        keras.layers.Dense(2).stateless_call([], [], np.ones((1, 3), "float32"))


def test_stateless_apply_matches_a_real_step_and_leaves_the_optimizer_alone():
    w = keras.Variable(np.array([1.0, -2.0], "float32"))
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build([w])
    state = [v.numpy() for v in optimizer.variables]
    grads = [np.array([0.5, -1.0], "float32")]
    new_w, new_state = optimizer.stateless_apply(state, grads, [w.numpy()])
    assert int(optimizer.iterations) == 0 and w.numpy().tolist() == [1.0, -2.0]
    optimizer.apply(grads, [w])  # the real step
    np.testing.assert_allclose(_np(new_w[0]), w.numpy(), rtol=1e-6)
    for a, b in zip(new_state, optimizer.variables):
        np.testing.assert_allclose(_np(a), b.numpy(), rtol=1e-6)


def test_metric_stateless_methods():
    metric = keras.metrics.Mean()
    fresh = metric.stateless_reset_state()
    updated = metric.stateless_update_state(fresh, np.array([1.0, 2.0, 6.0]))
    assert float(_np(metric.stateless_result(updated))) == 3.0
    assert float(_np(metric.result())) == 0.0  # the metric itself is untouched
    again = metric.stateless_update_state(updated, np.array([7.0]))
    assert float(_np(metric.stateless_result(again))) == 4.0
