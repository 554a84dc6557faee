"""Models run a convolution layer and the max (or average) pooling layer reading it as
one op (`kerasx.models.fusion`): same results as layer by layer, and only where that is
safe."""

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.layers.convolutional import base_conv
from kerasx.testing import float64
from tests.conftest import to_numpy
from tests.models.fusion_spies import ran_as_one_node

rng = np.random.default_rng(3)
X = rng.normal(size=(16, 10, 10, 2)).astype(np.float32)
Y = rng.integers(0, 3, size=16)


@pytest.fixture
def fused_calls(monkeypatch):
    """The layers fused per model call, as (conv name, pool name) pairs."""
    calls = []
    original = base_conv.BaseConv.call_with_pool

    def spy(self, inputs, pool, activation=None, training=None):
        calls.append((self.name, pool.name))
        return original(self, inputs, pool, activation, training)

    monkeypatch.setattr(base_conv.BaseConv, "call_with_pool", spy)
    return calls


def _convnet(input_shape=(10, 10, 2), data_format="channels_last"):
    return kerasx.Sequential([
        kerasx.Input(input_shape),
        layers.Conv2D(4, 3, activation="relu", data_format=data_format, name="c1"),
        layers.MaxPooling2D(2, data_format=data_format, name="p1"),
        layers.Conv2D(5, 2, padding="same", data_format=data_format, name="c2"),
        layers.MaxPooling2D(2, data_format=data_format, name="p2"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])


def _train(model, x, y, monkeypatch, enabled):
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", enabled)
    kerasx.utils.set_random_seed(7)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    return history.history, [w.copy() for w in model.get_weights()]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_sequential_trains_like_the_layers_one_by_one(data_format, fused_calls, monkeypatch):
    x = X if data_format == "channels_last" else np.moveaxis(X, -1, 1).copy()
    shape = x.shape[1:]
    _check_trains_like_the_layers(lambda: _convnet(shape, data_format), x, fused_calls,
                                  monkeypatch)


def _check_trains_like_the_layers(build, x, fused_calls, monkeypatch):
    """Two models of the same weights, one fused (its layer pairs c1-p1 and c2-p2), one
    run layer by layer: the same outputs, training history, weights and predictions."""
    fused_model, plain_model = build(), build()
    plain_model.set_weights(fused_model.get_weights())
    fused_out = to_numpy(fused_model(x))
    assert fused_calls == [("c1", "p1"), ("c2", "p2")]
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    np.testing.assert_allclose(fused_out, to_numpy(plain_model(x)), rtol=1e-6, atol=1e-7)
    fused_hist, fused_w = _train(fused_model, x, Y, monkeypatch, True)
    calls = len(fused_calls)
    plain_hist, plain_w = _train(plain_model, x, Y, monkeypatch, False)
    assert len(fused_calls) == calls > 2  # the second run fused nothing
    for a, b in zip(fused_w, plain_w):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    for key in fused_hist:
        np.testing.assert_allclose(fused_hist[key], plain_hist[key], rtol=1e-5)
    np.testing.assert_allclose(fused_model.predict(x, verbose=0),
                               plain_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def _lenet(input_shape=(10, 10, 1)):
    return kerasx.Sequential([
        kerasx.Input(input_shape),
        layers.Conv2D(4, 3, activation="relu", name="c1"),
        layers.AveragePooling2D(2, name="p1"),
        layers.Conv2D(5, 2, name="c2"),
        layers.ReLU(name="r2"),
        layers.AveragePooling2D(2, name="p2"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])


def test_sequential_with_average_pooling_trains_like_the_layers_one_by_one(fused_calls,
                                                                          monkeypatch):
    """A convolution with ReLU (its own or a ReLU layer's) and the average pooling after
    it are one node: the first on a one-channel input that takes no gradient (NumPy's
    blocked kernel), the second on one that does."""
    _check_trains_like_the_layers(_lenet, X[..., :1].copy(), fused_calls, monkeypatch)


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_functional_fuses_a_convolution_and_its_average_pooling(activation, padding,
                                                                fused_calls, monkeypatch):
    """Two input channels take the portable fused path: the layers' operations in their
    order, so the same values bit for bit."""
    model = _functional(layers.Conv2D(3, 3, activation=activation, name="c"),
                        layers.AveragePooling2D(3, strides=2, padding=padding, name="p"))
    got = to_numpy(model(X))
    assert fused_calls == [("c", "p")]
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    np.testing.assert_array_equal(got, to_numpy(model(X)))


def test_sequential_without_input_is_fused_from_its_first_call(fused_calls, monkeypatch):
    model = kerasx.Sequential([layers.Conv2D(3, 3, activation="relu"), layers.MaxPooling2D()])
    first = to_numpy(model(X))  # builds the layers on a symbolic input, then runs fused
    assert len(fused_calls) == 1
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    np.testing.assert_allclose(to_numpy(model(X)), first, rtol=1e-6, atol=1e-7)


def _functional(conv, pool_of, extra_output=False, reuse=False):
    inp = kerasx.Input((10, 10, 2))
    y = conv(inp)
    pooled = pool_of(y)
    out = layers.Dense(2)(layers.Flatten()(pooled))
    outputs = [out]
    if reuse:
        outputs.append(layers.GlobalMaxPooling2D()(y))
    if extra_output:
        outputs.append(y)
    return kerasx.Model(inp, outputs if len(outputs) > 1 else out)


def _layer_by_layer(model, monkeypatch):
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    out = model(X)
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", True)
    return [to_numpy(o) for o in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid", "elu", "leaky_relu"])
def test_functional_fuses_a_pair_whose_activation_commutes_with_max(activation, fused_calls,
                                                                    monkeypatch):
    model = _functional(layers.Conv2D(3, 3, activation=activation, name="c"),
                        layers.MaxPooling2D(name="p"))
    got = to_numpy(model(X))
    assert fused_calls == [("c", "p")]
    np.testing.assert_allclose(got, _layer_by_layer(model, monkeypatch)[0], rtol=1e-6,
                               atol=1e-6)


class _MyConv(layers.Conv2D):
    def call(self, inputs):
        return super().call(inputs) * 2.0


@pytest.mark.parametrize("build", [
    lambda: _functional(layers.Conv2D(3, 3, activation="silu"), layers.MaxPooling2D()),
    lambda: _functional(layers.Conv2D(3, 3, activation="relu6"), layers.MaxPooling2D()),
    lambda: _functional(layers.Conv2D(3, 3, activity_regularizer="l2"), layers.MaxPooling2D()),
    lambda: _functional(_MyConv(3, 3), layers.MaxPooling2D()),
    lambda: _functional(layers.Conv2D(3, 3, activation="tanh"), layers.AveragePooling2D()),
    lambda: _functional(layers.Conv2D(3, 3), layers.MaxPooling2D(), reuse=True),
    lambda: _functional(layers.Conv2D(3, 3), layers.MaxPooling2D(), extra_output=True),
], ids=["silu", "relu6", "activity_regularizer", "subclass", "tanh_before_average_pool",
        "output_read_twice", "output_is_a_model_output"])
def test_functional_keeps_the_layers_apart_where_fusing_would_change_things(
        build, fused_calls, monkeypatch):
    model = build()
    got = model(X)
    assert fused_calls == []
    got = [to_numpy(o) for o in (got if isinstance(got, list) else [got])]
    for a, b in zip(got, _layer_by_layer(model, monkeypatch)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_activity_regularizer_still_adds_its_loss(fused_calls):
    model = _functional(layers.Conv2D(3, 3, activity_regularizer="l2"), layers.MaxPooling2D())
    model(X)
    assert len(model.losses) == 1 and fused_calls == []


def test_conv1d_with_pooling1d_is_fused(fused_calls, monkeypatch):
    seq = rng.normal(size=(4, 12, 3)).astype(np.float32)
    model = kerasx.Sequential([kerasx.Input((12, 3)),
                               layers.Conv1D(4, 3, padding="causal", activation="relu"),
                               layers.MaxPooling1D(3, strides=2)])
    got = to_numpy(model(seq))
    assert len(fused_calls) == 1
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    np.testing.assert_allclose(got, to_numpy(model(seq)), rtol=1e-6, atol=1e-6)


def test_wrong_input_gives_the_layer_by_layer_error(monkeypatch):
    model = kerasx.Sequential([layers.Conv2D(3, 3, activation="relu", name="conv"),
                               layers.MaxPooling2D()])
    model(X)
    bad = X[..., :1]
    with pytest.raises(ValueError, match="conv") as fused:
        model(bad)
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    with pytest.raises(ValueError) as plain:
        model(bad)
    assert str(fused.value) == str(plain.value)


def _chain_model(between, conv_activation=None):
    return kerasx.Sequential([kerasx.Input((10, 10, 2)),
                              layers.Conv2D(3, 3, activation=conv_activation, name="c"),
                              between, layers.MaxPooling2D(name="p"), layers.Flatten(),
                              layers.Dense(2)])


@pytest.mark.parametrize("between", [lambda: layers.Activation("relu"), lambda: layers.ReLU(),
                                     lambda: layers.Activation("tanh")],
                         ids=["Activation(relu)", "ReLU()", "Activation(tanh)"])
def test_an_activation_layer_between_is_fused_too(between, fused_calls, monkeypatch):
    model = _chain_model(between())
    x = X[:4]
    with kerasx.GradientTape() as tape:
        loss = kerasx.ops.sum(model(x) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    assert fused_calls == [("c", "p")]
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    with kerasx.GradientTape() as tape:
        plain_loss = kerasx.ops.sum(model(x) ** 2)
    plain = tape.gradient(plain_loss, model.trainable_weights)
    np.testing.assert_allclose(to_numpy(loss), to_numpy(plain_loss), rtol=1e-6)
    for a, b in zip(grads, plain):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("between,conv_activation", [
    (lambda: layers.ReLU(max_value=6.0), None),
    (lambda: layers.Activation("gelu"), None),
    (lambda: layers.Activation("relu"), "tanh"),
    (lambda: layers.Dropout(0.5), None),
], ids=["ReLU(max_value)", "gelu", "conv_has_an_activation", "dropout"])
def test_other_layers_between_are_not_fused(between, conv_activation, fused_calls):
    model = _chain_model(between(), conv_activation)
    model(X[:4])
    assert fused_calls == []


def test_functional_chain_through_an_activation_layer(fused_calls, monkeypatch):
    inp = kerasx.Input((10, 10, 2))
    y = layers.MaxPooling2D(name="p")(layers.Activation("relu")(layers.Conv2D(3, 3, name="c")(inp)))
    model = kerasx.Model(inp, layers.Dense(2)(layers.Flatten()(y)))
    got = to_numpy(model(X))
    assert fused_calls == [("c", "p")]
    np.testing.assert_allclose(got, _layer_by_layer(model, monkeypatch)[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("between", [lambda: layers.ReLU(), lambda: layers.Activation("elu")],
                         ids=["ReLU()", "Activation(elu)"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_an_activation_layer_before_max_pooling_pools_first(between, training, monkeypatch):
    """Conv -> BN -> activation -> pool: in training the normalization, the activation
    and the pooling are one node; in inference the normalization folds into the
    convolution and the activation runs after the pooling. In float64, since the
    convolution bias's gradient is zero up to rounding (the normalization removes it)."""
    with float64():
        act = between()  # a float64 layer, as the rest: a float32 one reads float32
        model = kerasx.Sequential([kerasx.Input((10, 10, 2)), layers.Conv2D(3, 3),
                                   layers.BatchNormalization(), act, layers.MaxPooling2D(),
                                   layers.Flatten(), layers.Dense(2)])
    calls = []
    original = type(act).call
    monkeypatch.setattr(type(act), "call", lambda self, x: calls.append(1) or original(self, x))
    # pooled with the normalization, the convolution in the same node or not
    pooled = ran_as_one_node(monkeypatch, "call_with_pool", "call_after_conv_with_max_pool")

    def loss_and_grads():
        with float64(), kerasx.GradientTape() as tape:
            loss = kerasx.ops.sum(model(X[:4].astype(np.float64), training=training) ** 2)
        return [to_numpy(loss)] + [to_numpy(g) for g in
                                   tape.gradient(loss, model.trainable_weights)]

    fused = loss_and_grads()
    assert calls == []  # the activation ran on the pooled output, not through the layer
    assert pooled.count(True) == int(training)  # one node in training, none in inference
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    plain = loss_and_grads()
    assert calls == [1]
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_functional_activation_layer_then_pooling(monkeypatch):
    inp = kerasx.Input((10, 10, 2))
    act = layers.Activation("relu")
    y = layers.MaxPooling2D()(act(layers.BatchNormalization()(inp)))
    model = kerasx.Model(inp, layers.Dense(2)(layers.Flatten()(y)))
    calls = []
    original = layers.Activation.call
    monkeypatch.setattr(layers.Activation, "call",
                        lambda self, x: calls.append(1) or original(self, x))
    got = to_numpy(model(X))
    assert calls == []
    np.testing.assert_allclose(got, _layer_by_layer(model, monkeypatch)[0], rtol=1e-6, atol=1e-6)
    assert calls == [1]


def test_a_frozen_convolution_stays_frozen_and_the_rest_trains_alike(monkeypatch):
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", enabled)
        kerasx.utils.set_random_seed(3)
        model = _convnet()
        model.layers[0].trainable = False
        frozen = [w.copy() for w in model.layers[0].get_weights()]
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(X, Y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        for before, after in zip(frozen, model.layers[0].get_weights()):
            np.testing.assert_array_equal(before, after)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _text_cnn():
    return kerasx.Sequential([kerasx.Input((20,), dtype="int32"), layers.Embedding(50, 8),
                              layers.Conv1D(6, 3, activation="relu", name="c"),
                              layers.GlobalMaxPooling1D(name="g"),
                              layers.Dense(1, activation="sigmoid")])


def test_conv_with_global_max_pooling_trains_like_the_layers(fused_calls, monkeypatch):
    tokens = rng.integers(0, 50, (16, 20))
    tokens[:, :6] = 3  # a repeated token gives tied windows
    labels = rng.integers(0, 2, 16).astype(np.float32)
    runs = []
    for enabled in (True, False):
        monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", enabled)
        kerasx.utils.set_random_seed(5)
        model = _text_cnn()
        model.compile(optimizer="adam", loss="binary_crossentropy")
        history = model.fit(tokens, labels, batch_size=8, epochs=2, verbose=0, shuffle=False)
        runs.append((history.history["loss"], model.get_weights()))
    assert fused_calls and fused_calls[0] == ("c", "g")
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_max_pooling_keepdims_through_a_relu_layer(data_format, fused_calls,
                                                          monkeypatch):
    x = X if data_format == "channels_last" else np.moveaxis(X, -1, 1).copy()
    model = kerasx.Sequential([kerasx.Input(x.shape[1:]),
                               layers.Conv2D(3, 3, data_format=data_format, name="c"),
                               layers.ReLU(),
                               layers.GlobalMaxPooling2D(data_format=data_format,
                                                         keepdims=True, name="g")])
    got = to_numpy(model(x))
    assert fused_calls == [("c", "g")]
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    expected = to_numpy(model(x))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_set_layer_fusion_turns_fusion_off_and_on(fused_calls):
    model = _convnet()
    assert kerasx.config.layer_fusion()
    kerasx.config.set_layer_fusion(False)
    assert not kerasx.config.layer_fusion()
    plain = to_numpy(model(X))
    assert fused_calls == []
    kerasx.config.set_layer_fusion(True)
    np.testing.assert_allclose(to_numpy(model(X)), plain, rtol=1e-6, atol=1e-7)
    assert len(fused_calls) == 2
