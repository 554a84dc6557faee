"""Loading a `.keras` file that names an unregistered custom object raises Keras's
TypeError (still a ValueError, as kerasx raised before), saying how to fix it."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers


class Doubling(layers.Layer):
    def call(self, x):
        return x * 2


def relu_of(x):
    return keras.ops.relu(x)


class AllOnes(keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return keras.ops.ones(shape, dtype=dtype)


class SumPenalty(keras.regularizers.Regularizer):
    def __call__(self, x):
        return 0.01 * keras.ops.sum(x)

    def get_config(self):
        return {}


class Unchanged(keras.constraints.Constraint):
    def __call__(self, w):
        return w


def squared_error(y, p):
    return keras.ops.mean((y - p) ** 2)


class Squared(keras.metrics.MeanSquaredError):
    pass


UNKNOWN = {
    "layer": (lambda: Doubling(), "class 'Doubling'", {"Doubling": Doubling}),
    "activation": (lambda: layers.Dense(2, activation=relu_of), "function 'relu_of'",
                   {"relu_of": relu_of}),
    "initializer": (lambda: layers.Dense(2, kernel_initializer=AllOnes()), "class 'AllOnes'",
                    {"AllOnes": AllOnes}),
    "regularizer": (lambda: layers.Dense(2, kernel_regularizer=SumPenalty()),
                    "class 'SumPenalty'", {"SumPenalty": SumPenalty}),
    "constraint": (lambda: layers.Dense(2, kernel_constraint=Unchanged()), "class 'Unchanged'",
                   {"Unchanged": Unchanged}),
}


@pytest.mark.parametrize("kind", sorted(UNKNOWN))
def test_an_unregistered_object_in_the_config_raises_keras_type_error(tmp_path, kind):
    make, named, custom_objects = UNKNOWN[kind]
    model = keras.Sequential([keras.Input((3,)), make()])
    model.save(tmp_path / "m.keras")
    with pytest.raises(TypeError, match=rf"Could not locate {named}.*"
                                        r"register_keras_serializable\(\).*custom_objects") as e:
        keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(e.value, ValueError)  # code catching kerasx's former type still works
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects=custom_objects)
    data = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(data)),
                               keras.ops.convert_to_numpy(model(data)), rtol=1e-6)


@pytest.mark.parametrize("compile_kwargs, named", [
    ({"loss": squared_error}, "function 'squared_error'"),
    ({"loss": "mse", "metrics": [Squared()]}, "class 'Squared'"),
])
def test_an_unregistered_loss_or_metric_raises_keras_type_error(tmp_path, compile_kwargs, named):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile("sgd", **compile_kwargs)
    model.save(tmp_path / "m.keras")
    with pytest.raises(TypeError, match=rf"Could not locate {named}.*compile=False"):
        keras.models.load_model(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras", compile=False).count_params() == 8


def test_deserializing_an_unknown_class_raises_keras_type_error():
    config = {"module": None, "class_name": "Nowhere", "config": {}, "registered_name": None}
    for deserialize in (keras.saving.deserialize_keras_object, keras.layers.deserialize):
        with pytest.raises(TypeError, match=r"Could not locate class 'Nowhere'"):
            deserialize(config)
