"""A built layer refuses new state (variables, sublayers, metrics, seed generators), with
Keras's "You cannot add new elements of state" error; `build`, `quantize` and models
whose graph is open (Functional, Sequential) may still add it, as in Keras."""

import numpy as np
import pytest

import kerasx as keras

LOCKED = "You cannot add new elements of state"


def _dense():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    return layer


@pytest.mark.parametrize("value", [
    lambda: keras.Variable(np.ones(1, "float32")),
    lambda: keras.layers.Dense(1),
    lambda: keras.metrics.Mean(),
    lambda: keras.random.SeedGenerator(1),
    lambda: [keras.Variable(np.ones(1, "float32"))],
], ids=["variable", "layer", "metric", "seed_generator", "list_of_variable"])
def test_a_built_layer_refuses_new_state(value):
    layer = _dense()
    with pytest.raises(ValueError, match=LOCKED) as info:
        layer.extra = value()
    assert "'dense" in str(info.value)  # names the layer
    with pytest.raises(ValueError, match=LOCKED):
        layer.add_weight(shape=(1,))
    assert len(layer.weights) == 2


def test_what_a_built_layer_still_accepts():
    layer = _dense()
    layer.alias = layer.kernel  # state it holds already
    layer.numbers = [1, 2]  # values that are no state
    layer.numbers.append(3)
    layer.config_like = {"a": (1, 2)}
    with pytest.raises(ValueError, match=LOCKED):
        layer.numbers.append(keras.layers.Dense(1))
    del layer.alias  # removing state is allowed: the kernel is no weight any more
    assert [v.name for v in layer.weights] == ["bias"]


def test_state_is_added_freely_before_and_inside_build():
    class Lazy(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.early = keras.Variable(np.ones(1, "float32"), name="early")

        def build(self, input_shape):
            self.late = self.add_weight(shape=(input_shape[-1],), name="late")
            self.inner = keras.layers.Dense(2)
            self.inner.build(input_shape)

        def call(self, x):
            return self.inner(x) * 1.0

    layer = Lazy()
    layer.before_build = keras.Variable(np.zeros(1, "float32"), name="before_build")
    layer(np.ones((1, 3), "float32"))
    assert [v.name for v in layer.weights] == ["early", "before_build", "late", "kernel", "bias"]
    assert layer._tracker.locked and layer.inner._tracker.locked


def test_a_subclass_build_calling_super_locks_after_the_outermost():
    class Wider(keras.layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            self.extra = self.add_weight(shape=(1,), name="extra")

    layer = Wider(2)
    layer.build((None, 3))
    assert [v.name for v in layer.weights] == ["kernel", "bias", "extra"]
    with pytest.raises(ValueError, match=LOCKED):
        layer.add_weight(shape=(1,))


def test_weights_created_in_call_after_the_default_build_are_refused():
    # as Keras: the first call builds (and locks) the layer before running `call`
    class InCall(keras.layers.Layer):
        def call(self, x):
            if not hasattr(self, "v"):
                self.v = self.add_weight(shape=(1,))
            return x

    with pytest.raises(ValueError, match=LOCKED):
        InCall()(np.ones((1, 2), "float32"))
    unbuilt = keras.layers.Layer()
    unbuilt.v = keras.Variable(np.ones(1, "float32"))  # not built yet: accepted
    assert len(unbuilt.weights) == 1


def test_subclassed_models_lock_graph_models_do_not():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    x = np.ones((2, 3), "float32")
    model = Sub()
    model(x)
    with pytest.raises(ValueError, match=LOCKED):
        model.extra = keras.layers.Dense(1)
    # compiling keeps its metrics, loss and optimizer without tracking them as state
    model.compile("sgd", "mse", metrics=[keras.metrics.MeanAbsoluteError()])
    model.fit(x, np.ones((2, 1), "float32"), verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics"]
    sequential = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    sequential.extra = keras.layers.Dense(4)
    inputs = keras.Input((3,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    functional.extra = keras.layers.Dense(4)
    assert functional.extra in functional._tracked_layers
    assert sequential.extra in sequential._tracked_layers


def test_quantize_and_lora_may_add_weights_to_a_built_layer():
    layer = _dense()
    layer.enable_lora(2)
    assert {"lora_kernel_a", "lora_kernel_b"} <= {v.name for v in layer.weights}
    quantized = _dense()
    quantized.quantize("int8")
    assert "kernel_scale" in [v.name for v in quantized.weights]
    assert quantized._tracker.locked


def test_the_tracker_can_be_unlocked_for_a_block():
    layer = _dense()
    with layer._tracker.unlocked():
        layer.extra = keras.Variable(np.ones(1, "float32"), name="extra")
    assert layer._tracker.locked and layer.weights[-1].name == "extra"
