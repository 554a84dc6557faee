"""In training, models run a `BatchNormalization`, the activation layer after it and the
max pooling after that as one node (`kerasx.ops.batch_norm_pool`), and a
`BatchNormalization` with the ReLU layer after it as one node: the same training as
layer by layer, moving statistics included, and only where that is safe."""

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.testing import float64
from tests.conftest import to_numpy
from tests.models.fusion_spies import ran_as_one_node

rng = np.random.default_rng(6)
X = rng.normal(size=(12, 8, 8, 3))
Y = rng.integers(0, 3, size=12)


@pytest.fixture
def fused(monkeypatch):
    """Normalization and pooling as one node, with the convolution before them or not."""
    return ran_as_one_node(monkeypatch, "call_with_pool", "call_after_conv_with_max_pool")


def _block(bn=None, between=layers.ReLU, data_format="channels_last"):
    return [layers.Conv2D(4, 3, padding="same", data_format=data_format),
            bn() if bn else layers.BatchNormalization(
                axis=-1 if data_format == "channels_last" else 1),
            *([between()] if between else []), layers.MaxPooling2D(data_format=data_format)]


def _train(model, x, monkeypatch, fusion):
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", fusion)
    with float64():
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", True)
    return history.history["loss"], [w.numpy() for w in model.weights]


def _assert_same_training(got, want):
    """The losses and the weights (the moving statistics too) of two `_train` runs."""
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def _sequential(input_shape=(8, 8, 3), **block):
    kerasx.utils.set_random_seed(1)
    with float64():  # the layers take their dtype when they are made
        return kerasx.Sequential([kerasx.Input(input_shape), *_block(**block), layers.Flatten(),
                                  layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("between,data_format", [
    (layers.ReLU, "channels_last"), (None, "channels_last"),
    (lambda: layers.Activation("tanh"), "channels_last"), (layers.ReLU, "channels_first")],
    ids=["relu", "no_activation", "tanh", "channels_first"])
def test_sequential_trains_like_the_layers_one_by_one(between, data_format, fused,
                                                      monkeypatch):
    x = X if data_format == "channels_last" else np.moveaxis(X, -1, 1).copy()
    shape = x.shape[1:]
    got = _train(_sequential(shape, between=between, data_format=data_format), x,
                 monkeypatch, True)
    assert fused and all(fused)
    fused.clear()
    want = _train(_sequential(shape, between=between, data_format=data_format), x,
                  monkeypatch, False)
    assert fused == []
    _assert_same_training(got, want)


def test_functional_conv_batch_norm_relu_pool(fused, monkeypatch):
    def build():
        kerasx.utils.set_random_seed(2)
        with float64():
            inp = kerasx.Input((8, 8, 3))
            y = inp
            for layer in _block():
                y = layer(y)
            return kerasx.Model(inp, layers.Dense(3, activation="softmax")(layers.Flatten()(y)))

    got = _train(build(), X, monkeypatch, True)
    assert fused and all(fused)
    want = _train(build(), X, monkeypatch, False)
    _assert_same_training(got, want)
    model = build()
    fused.clear()
    with float64():
        model(X, training=False)  # inference: the normalization folds into the convolution
    assert fused == []


@pytest.mark.parametrize("bn", [
    lambda: layers.BatchNormalization(renorm=True),
    lambda: layers.BatchNormalization(axis=1),
], ids=["renorm", "another_axis"])
def test_unusual_normalizations_run_layer_by_layer(bn, fused, monkeypatch):
    got = _train(_sequential(bn=bn), X, monkeypatch, True)
    assert fused and not any(fused)
    want = _train(_sequential(bn=bn), X, monkeypatch, False)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9)


def test_a_frozen_normalization_folds_instead(fused, monkeypatch):
    """Frozen, the normalization uses its moving statistics even in training, so it
    folds into the convolution (`batch_norm_folding`) and is not pooled with."""
    model = _sequential()
    model.layers[1].trainable = False
    with float64():
        got = to_numpy(model(X, training=True))
        monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
        want = to_numpy(model(X, training=True))
    assert fused == []
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_the_error_for_wrong_features_is_the_layers(fused):
    from kerasx.autodiff.tensor import Tensor

    with float64():
        bn, pool = layers.BatchNormalization(), layers.MaxPooling2D()
        bn.build((None, 8, 8, 3))
        x = Tensor(np.zeros((2, 8, 8, 5)))
        with pytest.raises(ValueError) as direct:
            bn(x, training=True)
        with pytest.raises(ValueError) as pooled:
            bn.call_with_pool(x, pool, kerasx.activations.relu, training=True)
    assert str(pooled.value) == str(direct.value)
    assert "was built for 3 features" in str(direct.value)


def test_conv1d_batch_norm_pool_trains_like_the_layers_with_the_convolution_in_the_node(
        monkeypatch):
    """Conv1D -> BatchNormalization -> ReLU -> MaxPooling1D: one node with the
    convolution (a "valid" convolution of 9 steps pooled by 3 tiles its output)."""
    x = rng.normal(size=(12, 11, 2))
    with_conv = ran_as_one_node(monkeypatch, "call_after_conv_with_max_pool")

    def build():
        kerasx.utils.set_random_seed(3)
        with float64():
            return kerasx.Sequential([
                kerasx.Input((11, 2)), layers.Conv1D(4, 3), layers.BatchNormalization(),
                layers.ReLU(), layers.MaxPooling1D(3), layers.Flatten(),
                layers.Dense(3, activation="softmax")])

    got = _train(build(), x, monkeypatch, True)
    assert with_conv and all(with_conv)
    want = _train(build(), x, monkeypatch, False)
    _assert_same_training(got, want)


# -- a batch normalization and the ReLU after it (no pooling) ------------------------------
@pytest.fixture
def relu_fused(monkeypatch):
    return ran_as_one_node(monkeypatch, "call_with_activation")


def _dense_blocks(activation_layer, functional=False):
    kerasx.utils.set_random_seed(4)
    with float64():
        body = [layer for _ in range(2) for layer in
                (layers.Dense(6), layers.BatchNormalization(), activation_layer())]
        body.append(layers.Dense(3, activation="softmax"))
        if not functional:
            return kerasx.Sequential([kerasx.Input((5,))] + body)
        inp = kerasx.Input((5,))
        y = inp
        for layer in body:
            y = layer(y)
        return kerasx.Model(inp, y)


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize("activation_layer", [layers.ReLU, lambda: layers.Activation("relu")],
                         ids=["ReLU", "Activation(relu)"])
def test_normalization_and_relu_train_like_the_layers(activation_layer, functional,
                                                      relu_fused, monkeypatch):
    x = rng.normal(size=(12, 5))
    got = _train(_dense_blocks(activation_layer, functional), x, monkeypatch, True)
    assert relu_fused and all(relu_fused)
    relu_fused.clear()
    want = _train(_dense_blocks(activation_layer, functional), x, monkeypatch, False)
    assert relu_fused == []
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("activation_layer", [lambda: layers.Activation("tanh"),
                                              lambda: layers.ReLU(max_value=6.0)],
                         ids=["tanh", "relu6"])
def test_other_activations_stay_layers(activation_layer, relu_fused, monkeypatch):
    got = _train(_dense_blocks(activation_layer), rng.normal(size=(12, 5)), monkeypatch, True)
    assert relu_fused == []
    assert np.isfinite(got[0]).all()


def test_functional_conv_batch_norm_relu_folds_for_inference_and_fuses_in_training(
        relu_fused, monkeypatch):
    from kerasx.layers.convolutional import base_conv

    folded = []
    original = base_conv.BaseConv.call_with_batch_norm
    monkeypatch.setattr(base_conv.BaseConv, "call_with_batch_norm",
                        lambda self, *a: folded.append(1) or original(self, *a))
    kerasx.utils.set_random_seed(5)
    with float64():
        inp = kerasx.Input((8, 8, 3))
        y = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(4, 3)(inp)))
        model = kerasx.Model(inp, layers.GlobalAveragePooling2D()(y))
        model.layers[2].set_weights([np.linspace(-1, 1.5, 4), np.linspace(0.2, -0.3, 4),
                                     np.full(4, 0.1), np.full(4, 1.7)])
        got = to_numpy(model(X, training=False))
        assert folded == [1] and relu_fused == []
        monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
        want = to_numpy(model(X, training=False))
        monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", True)
        # training calls move the moving statistics, so they come after inference
        with kerasx.GradientTape() as tape:
            loss = kerasx.ops.sum(model(X, training=True) ** 2)
        grads = tape.gradient(loss, model.trainable_weights)
        assert relu_fused == [True]
        monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
        with kerasx.GradientTape() as tape:
            loss = kerasx.ops.sum(model(X, training=True) ** 2)
        plain = tape.gradient(loss, model.trainable_weights)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    for a, b in zip(grads, plain):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-9, atol=1e-12)
