"""Metrics held as attributes of layers and models are reported and reset by `fit` and
`evaluate` after the compiled ones, as in Keras 3 (not those of nested models)."""

import numpy as np
import pytest

import kerasx as keras


class CountsCalls(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.calls = keras.metrics.Sum(name="calls")

    def call(self, x):
        self.calls.update_state(1.0)
        return x


class Inner(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.hidden = keras.metrics.Mean(name="inner_mean")

    def call(self, x):
        y = self.dense(x)
        self.hidden.update_state(y)
        return y


def _model(jit_compile="auto"):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Inner()(CountsCalls()(inputs)))
    model.compile("sgd", "mse", metrics=["mae"], jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("jit_compile", [False, "auto"])
def test_layer_metrics_are_logged_and_reset_each_epoch(jit_compile):
    model = _model(jit_compile)
    x, y = np.ones((12, 3), "float32"), np.ones((12, 1), "float32")
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    assert history.history["calls"] == [3.0, 3.0, 3.0]  # three batches an epoch
    assert "inner_mean" not in history.history  # a nested model's metrics stay its own
    # the same as the Keras 3 numpy backend: {'calls': 2.0, 'loss': ..., 'mae': ...}
    logs = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    assert logs["calls"] == 2.0 and set(logs) == {"loss", "mae", "calls"}
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics", "calls"]


def test_metrics_and_metrics_variables_of_a_layer():
    layer = CountsCalls()
    assert layer.metrics == [layer.calls]
    assert layer.metrics_variables == layer.calls.variables
    block = keras.Sequential([keras.Input((3,)), layer])
    assert block.metrics == [layer.calls]  # uncompiled: only the held ones


def test_add_metric_is_refused_as_in_keras():
    with pytest.raises(NotImplementedError, match="add_metric.*deprecated"):
        keras.layers.Dense(2).add_metric(1.0)
