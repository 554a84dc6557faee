"""`layer.built` right after construction, as in Keras 3: a layer without weights whose
class keeps the default `build` is built (state locked) once constructed; every other
layer is built by its first call or by `build`."""

import numpy as np
import pytest

import kerasx
from tests.interop.specs import (LAYER_SPECS, SEPARATE_ARGUMENTS, build_layer,
                                 build_spec_model, spec_data)

# The layers of tests/interop/specs.py that Keras 3.15.1 (JAX backend) reports built right
# after construction; it reports every other spec's layer unbuilt. (Its lookup, hashing
# and text layers need TensorFlow to be constructed; its source builds none of them
# at construction.)
BUILT_AT_CONSTRUCTION_IN_KERAS = {
    "activation", "dropout", "alpha_dropout", "gaussian_dropout", "gaussian_noise",
    "spatial_dropout1d", "spatial_dropout2d", "spatial_dropout3d", "identity",
    "activity_regularization", "reshape", "masking", "max_pooling1d", "max_pooling2d",
    "max_pooling3d", "average_pooling1d", "average_pooling2d", "average_pooling3d",
    "global_max_pooling1d", "global_max_pooling2d", "global_max_pooling3d",
    "global_average_pooling1d", "global_average_pooling2d", "global_average_pooling3d",
    "unit_normalization", "relu", "leaky_relu", "elu", "softmax",
}

def _call(name, layer, xs):
    if name in SEPARATE_ARGUMENTS:
        return layer(*xs)
    return layer(xs if len(xs) > 1 else xs[0])


@pytest.mark.parametrize("name", sorted(LAYER_SPECS))
def test_built_after_construction_as_keras(name):
    layer = build_layer(LAYER_SPECS[name][0], kerasx.layers)
    assert layer.built == (name in BUILT_AT_CONSTRUCTION_IN_KERAS)


def test_lambda_is_built_by_its_first_call():
    layer = kerasx.layers.Lambda(lambda x: x * 2.0)
    assert not layer.built  # as Keras 3.15.1
    np.testing.assert_allclose(layer(np.ones((2, 3), "float32")).numpy(), 2.0)
    assert layer.built


@pytest.mark.parametrize("name", sorted(LAYER_SPECS))
def test_layer_without_weights_runs_and_round_trips(name, tmp_path):
    """Whether built at construction or by its first call, a layer without weights
    runs, and a model holding it saves and loads with its predictions."""
    spec, inputs = LAYER_SPECS[name]
    xs, _ = spec_data(name, inputs, n=4)
    layer = build_layer(spec, kerasx.layers)
    _call(name, layer, xs)
    if layer.weights:
        pytest.skip("a layer with weights is built by its first call on both sides")
    assert layer.built
    model = build_spec_model(kerasx, name)
    expected = model.predict(xs, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = kerasx.saving.load_model(tmp_path / "model.keras")
    assert all(sub.built for sub in loaded.layers)
    np.testing.assert_allclose(loaded.predict(xs, verbose=0), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make", [lambda: kerasx.layers.Dropout(0.5),
                                  lambda: kerasx.layers.Activation("tanh"),
                                  lambda: kerasx.layers.Masking(0.0)])
def test_layer_built_at_construction_takes_any_input_shape(make):
    layer = make()
    for shape in [(2, 3), (2, 4, 5), (1, 2, 3, 4)]:
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        out = layer(x)
        assert tuple(out.shape) == shape
    assert tuple(layer(kerasx.Input((7, 2))).shape) == (None, 7, 2)


def test_layer_built_at_construction_refuses_new_state():
    layer = kerasx.layers.Dropout(0.5)
    with pytest.raises(ValueError, match="cannot add new elements of state"):
        layer.extra = kerasx.random.SeedGenerator(1)


@pytest.mark.parametrize("base", [kerasx.layers.ReLU, kerasx.layers.Dropout])
def test_subclass_with_own_build_is_built_by_its_call(base):
    """As Keras: a subclass that defines `build` is not built at construction, so its
    `build` runs at the first call."""

    class Scaled(base):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return super().call(inputs) * self.scale

    layer = Scaled() if base is kerasx.layers.ReLU else Scaled(0.5)
    assert not layer.built
    out = layer(np.full((2, 3), 2.0, "float32"))
    np.testing.assert_allclose(out.numpy(), 2.0)
    assert layer.built and len(layer.weights) == 1


def test_build_config_of_eager_calls_as_keras():
    x = np.ones((2, 4, 3), "float32")
    pooling, rescaling = kerasx.layers.MaxPooling1D(2), kerasx.layers.Rescaling(2.0)
    pooling(x)
    rescaling(x)
    # Keras 3.15.1: None for the layer built at construction, the call's shape otherwise
    assert pooling.get_build_config() is None
    assert rescaling.get_build_config() == {"input_shape": (2, 4, 3)}


@pytest.mark.parametrize("make", [lambda: kerasx.layers.ReLU(),
                                  lambda: kerasx.layers.MaxPooling1D(2),
                                  lambda: kerasx.layers.Rescaling(2.0)])
def test_direct_build_is_the_build_config_as_keras(make):
    layer = make()
    layer.build((None, 4, 3))
    # Keras 3.15.1 records a direct build's shape, built at construction or not
    assert layer.built and layer.get_build_config() == {"input_shape": (None, 4, 3)}


def test_summary_shapes_of_eagerly_called_sublayers_as_keras():
    class Net(kerasx.Model):
        def __init__(self):
            super().__init__()
            self.rescale = kerasx.layers.Rescaling(2.0)
            self.pool = kerasx.layers.MaxPooling1D(2)
            self.flatten = kerasx.layers.Flatten()
            self.dense = kerasx.layers.Dense(2)

        def call(self, x):
            return self.dense(self.flatten(self.pool(self.rescale(x))))

    net = Net()
    net(np.ones((2, 4, 3), "float32"))
    lines = []
    net.summary(print_fn=lambda line, **kwargs: lines.append(line))
    rows = {line.split()[1]: line for line in "\n".join(lines).splitlines()
            if line.startswith("│") and "(" in line}
    # Keras 3.15.1 prints the build shape of the layers its calls built, "?" for the
    # pooling layer built at construction
    assert "(2, 4, 3)" in rows["rescaling"]
    assert "?" in rows["max_pooling1d"]
    assert "(2, 6)" in rows["flatten"]


# Tensor names a symbolic call takes (its output's and those of a trace that builds the
# layer's sublayers), in Keras 3.15.1: Pipeline has no `build` and is traced; the others'
# `build` builds their sublayers.
NAMES_TAKEN_IN_KERAS = {"pipeline": 3, "rand_augment": 2, "aug_mix": 2,
                        "random_color_jitter": 2, "rescaling": 2, "max_pooling2d": 2}


def _name_number(tensor):
    number = tensor.name.rpartition("_")[2]
    return int(number) if number.isdigit() else 0


@pytest.mark.parametrize("name", sorted(NAMES_TAKEN_IN_KERAS))
def test_symbolic_call_names_tensors_as_keras(name):
    spec, inputs = LAYER_SPECS[name]
    xs = [kerasx.Input(shape=tuple(s)) for s in inputs]
    _call(name, build_layer(spec, kerasx.layers), xs)
    after = kerasx.Input((1,))
    assert _name_number(after) - _name_number(xs[-1]) == NAMES_TAKEN_IN_KERAS[name]
