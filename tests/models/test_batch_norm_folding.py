"""Inference folds a batch normalization into the convolution (or Dense layer) before it
(`kerasx.models.batch_norm_folding`): the same outputs as the two layers, and only
where the normalization runs in inference mode and no gradient is recorded."""

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.layers.convolutional import base_conv
from tests.conftest import to_numpy

rng = np.random.default_rng(4)
X = rng.normal(size=(8, 9, 9, 3)).astype(np.float32)


def _spy(monkeypatch, owner, name, calls, record):
    """Wraps the method `owner.name`: each call appends `record(self, args, result)`."""
    original = getattr(owner, name)

    def spy(self, *args):
        out = original(self, *args)
        calls.append(record(self, args, out))
        return out

    monkeypatch.setattr(owner, name, spy)
    return calls


def _pair(layer, args, out):
    return layer.name, args[1].name


@pytest.fixture
def folds(monkeypatch):
    """The (conv, bn) pairs folded per call, with or without the pooling after them."""
    calls = []
    for name in ("call_with_batch_norm", "call_with_batch_norm_and_max_pool"):
        _spy(monkeypatch, base_conv.BaseConv, name, calls, _pair)
    return calls


def _trained(conv_kwargs=None, bn_kwargs=None, data_format="channels_last"):
    x = X if data_format == "channels_last" else np.moveaxis(X, -1, 1).copy()
    model = kerasx.Sequential([
        kerasx.Input(x.shape[1:]),
        layers.Conv2D(4, 3, padding="same", data_format=data_format, name="c",
                      **(conv_kwargs or {})),
        layers.BatchNormalization(name="bn", **(bn_kwargs or {})),
        layers.ReLU(), layers.MaxPooling2D(data_format=data_format), layers.Flatten(),
        layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    # a few steps move the moving statistics, gamma and beta away from their start
    model.fit(x, rng.normal(size=(len(x), 2)).astype(np.float32), batch_size=4, epochs=3,
              verbose=0)
    return model, x


def _unfolded(model, x, monkeypatch, **kwargs):
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    out = to_numpy(model(x, **kwargs))
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", True)
    return out


@pytest.mark.parametrize("conv_kwargs,bn_kwargs,data_format", [
    ({}, {}, "channels_last"),
    ({"use_bias": False}, {"center": False, "scale": False}, "channels_last"),
    ({}, {"axis": 1, "epsilon": 0.1}, "channels_first"),
], ids=["default", "no_bias_no_affine", "channels_first"])
def test_predict_folds_and_matches_the_two_layers(conv_kwargs, bn_kwargs, data_format, folds,
                                                  monkeypatch):
    model, x = _trained(conv_kwargs, bn_kwargs, data_format)
    folds.clear()  # fit's input check runs the model once in inference mode
    got = model.predict(x, verbose=0)
    assert folds == [("c", "bn")]
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch), rtol=1e-5, atol=1e-5)


def test_training_mode_does_not_fold(folds):
    model, x = _trained()
    folds.clear()
    model(x, training=True)
    assert folds == []


def test_no_folding_while_a_gradient_is_recorded(folds):
    model, x = _trained()
    folds.clear()
    with kerasx.GradientTape() as tape:
        loss = kerasx.ops.sum(model(x, training=False))
    assert folds == []
    assert all(g is not None for g in tape.gradient(loss, model.trainable_weights))


def test_a_frozen_normalization_folds_even_in_training_mode(folds, monkeypatch):
    model, x = _trained()
    model.get_layer("bn").trainable = False
    folds.clear()
    got = to_numpy(model(x, training=True))
    assert folds == [("c", "bn")]
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch, training=True), rtol=1e-5,
                               atol=1e-5)


def test_a_normalization_over_another_axis_is_applied_as_it_is(folds, monkeypatch):
    model, x = _trained(bn_kwargs={"axis": 1})  # normalizes rows, not the filters
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build", [
    lambda inp: layers.BatchNormalization()(layers.Conv2D(4, 3, activation="relu")(inp)),
    lambda inp: layers.Add()([layers.BatchNormalization()(y := layers.Conv2D(4, 3)(inp)), y]),
], ids=["conv_with_activation", "conv_output_read_twice"])
def test_functional_does_not_fold_where_it_would_change_things(build, folds, monkeypatch):
    inp = kerasx.Input((9, 9, 3))
    model = kerasx.Model(inp, build(inp))
    got = to_numpy(model(X))
    assert folds == []
    np.testing.assert_allclose(got, _unfolded(model, X, monkeypatch), rtol=1e-6, atol=1e-6)


def test_functional_folds_a_conv_read_only_by_its_normalization(folds, monkeypatch):
    inp = kerasx.Input((9, 9, 3))
    out = layers.BatchNormalization(name="bn")(layers.Conv2D(4, 3, name="c")(inp))
    model = kerasx.Model(inp, layers.GlobalAveragePooling2D()(out))
    got = to_numpy(model(X))
    assert folds == [("c", "bn")]
    np.testing.assert_allclose(got, _unfolded(model, X, monkeypatch), rtol=1e-5, atol=1e-5)


# -- a Dense layer and the normalization after it ------------------------------------------
@pytest.fixture
def dense_folds(monkeypatch):
    return _spy(monkeypatch, layers.Dense, "call_with_batch_norm", [], _pair)


def _trained_dense(input_shape, dense_kwargs=None, bn_kwargs=None):
    x = rng.normal(size=(16,) + input_shape).astype(np.float32)
    model = kerasx.Sequential([
        kerasx.Input(input_shape), layers.Dense(5, name="d", **(dense_kwargs or {})),
        layers.BatchNormalization(name="bn", **(bn_kwargs or {})), layers.ReLU(),
        layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.normal(size=(len(x), 2)).astype(np.float32), batch_size=4, epochs=3,
              verbose=0)
    return model, x


@pytest.mark.parametrize("input_shape,dense_kwargs,bn_kwargs", [
    ((6,), {}, {}),
    ((6,), {"use_bias": False}, {"center": False, "scale": False, "epsilon": 0.1}),
    ((3, 6), {}, {}),
], ids=["default", "no_bias_no_affine", "sequence_of_vectors"])
def test_dense_folds_and_matches_the_two_layers(input_shape, dense_kwargs, bn_kwargs,
                                                dense_folds, monkeypatch):
    model, x = _trained_dense(input_shape, dense_kwargs, bn_kwargs)
    dense_folds.clear()
    got = model.predict(x, verbose=0)
    assert dense_folds == [("d", "bn")]
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch), rtol=1e-5, atol=1e-5)
    dense_folds.clear()
    model(x, training=True)
    assert dense_folds == []


def test_dense_with_a_normalization_over_another_axis_is_applied_as_it_is(dense_folds,
                                                                          monkeypatch):
    model, x = _trained_dense((3, 6), bn_kwargs={"axis": 1})
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch), rtol=1e-5, atol=1e-5)


def test_dense_with_an_activation_does_not_fold(dense_folds, monkeypatch):
    model, x = _trained_dense((6,), {"activation": "tanh"})
    got = model.predict(x, verbose=0)
    assert dense_folds == []
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch), rtol=1e-6, atol=1e-6)


def test_functional_dense_folds(dense_folds, monkeypatch):
    inp = kerasx.Input((6,))
    model = kerasx.Model(inp, layers.BatchNormalization(name="bn")(layers.Dense(4, name="d")(inp)))
    model.get_layer("bn").set_weights([np.full(4, 1.5), np.full(4, 0.25), np.arange(4.0),
                                       np.full(4, 2.0)])
    x = rng.normal(size=(5, 6)).astype(np.float32)
    got = to_numpy(model(x))
    assert dense_folds == [("d", "bn")]
    np.testing.assert_allclose(got, _unfolded(model, x, monkeypatch), rtol=1e-5, atol=1e-5)


# -- the folded convolution pooled in one node ------------------------------------------------
@pytest.fixture
def pooled_folds(monkeypatch):
    """Per call of `call_with_batch_norm_and_max_pool`: whether it ran as one node."""
    return _spy(monkeypatch, base_conv.BaseConv, "call_with_batch_norm_and_max_pool", [],
                lambda layer, args, out: out is not None)


def _model(chain, functional):
    """`chain` on inputs shaped like X, as a functional or a Sequential model."""
    if not functional:
        return kerasx.Sequential([kerasx.Input(X.shape[1:])] + chain)
    inp = kerasx.Input(X.shape[1:])
    y = inp
    for layer in chain:
        y = layer(y)
    return kerasx.Model(inp, y)


def _conv_bn_pool(between, bn_kwargs=None, functional=False):
    kerasx.utils.set_random_seed(3)
    chain = [layers.Conv2D(4, 3, name="c"), layers.BatchNormalization(name="bn",
                                                                      **(bn_kwargs or {}))]
    chain += ([between()] if between else []) + [layers.MaxPooling2D(), layers.Flatten()]
    model = _model(chain, functional)
    bn = model.get_layer("bn")
    features = bn.moving_mean.shape[0]
    bn.set_weights([rng.uniform(-1.5, 2.0, features), rng.normal(size=features),
                    rng.normal(size=features), rng.uniform(0.5, 2.0, features)])
    return model


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize("between", [layers.ReLU, None, lambda: layers.Activation("tanh")],
                         ids=["relu", "none", "tanh"])
def test_inference_pools_the_folded_convolution(between, functional, pooled_folds,
                                                monkeypatch):
    model = _conv_bn_pool(between, functional=functional)
    got = model.predict(X, verbose=0)
    assert pooled_folds and all(pooled_folds)
    np.testing.assert_allclose(got, _unfolded(model, X, monkeypatch), rtol=1e-5, atol=1e-5)


def test_a_normalization_over_another_axis_is_not_pooled_with(pooled_folds, monkeypatch):
    model = _conv_bn_pool(layers.ReLU, {"axis": 1})
    got = model.predict(X, verbose=0)
    assert pooled_folds and not any(pooled_folds)
    np.testing.assert_allclose(got, _unfolded(model, X, monkeypatch), rtol=1e-5, atol=1e-5)


# -- the folded layer with the ReLU layer after the normalization ------------------------------
@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize("first", [lambda: layers.Conv2D(4, 3, name="c"),
                                   lambda: layers.Dense(4, name="c")], ids=["conv", "dense"])
def test_inference_applies_the_relu_in_the_folded_layer(first, functional, folds, monkeypatch):
    _spy(monkeypatch, layers.Dense, "call_with_batch_norm", folds, _pair)
    kerasx.utils.set_random_seed(6)
    chain = [first(), layers.BatchNormalization(name="bn"), layers.ReLU(), layers.Flatten()]
    model = _model(chain, functional)
    model.get_layer("bn").set_weights([np.linspace(-1.0, 2.0, 4), np.linspace(0.5, -0.5, 4),
                                       np.full(4, 0.2), np.full(4, 1.5)])
    relu_calls = []
    original = layers.ReLU.call
    monkeypatch.setattr(layers.ReLU, "call",
                        lambda self, x: relu_calls.append(1) or original(self, x))
    got = model.predict(X, verbose=0)
    assert relu_calls == [] and ("c", "bn") in folds
    want = _unfolded(model, X, monkeypatch)
    assert relu_calls == [1]
    assert (want == 0).any() and (want > 0).any()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# -- predict folds each layer pair once --------------------------------------------------------
def _dense_bn_model():
    kerasx.utils.set_random_seed(7)
    model = kerasx.Sequential([kerasx.Input((5,)), layers.Dense(4),
                               layers.BatchNormalization(), layers.ReLU(), layers.Dense(2)])
    model.jit_compile = False  # eager steps: the folds are counted per step
    return model


def _count_folds(monkeypatch):
    from kerasx.models import batch_norm_folding

    calls = []
    fold = batch_norm_folding._folded_weights
    monkeypatch.setattr(batch_norm_folding, "_folded_weights",
                        lambda *a: calls.append(1) or fold(*a))
    return calls


def test_predict_folds_each_pair_once_and_matches_the_layers(monkeypatch):
    model = _dense_bn_model()
    x = np.random.default_rng(1).normal(size=(40, 5))
    model.layers[1].moving_mean.assign(np.arange(4.0))  # statistics that change the result
    calls = _count_folds(monkeypatch)
    got = model.predict(x, batch_size=8, verbose=0)  # five batches
    assert calls == [1]
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    np.testing.assert_allclose(got, model.predict(x, batch_size=8, verbose=0), rtol=1e-5,
                               atol=1e-6)


def test_predict_refolds_every_batch_when_a_user_callback_may_change_the_weights(monkeypatch):
    """A callback that changes the normalization between batches changes the next batch."""
    model = _dense_bn_model()
    x = np.random.default_rng(2).normal(size=(16, 5))
    bn = model.layers[1]

    class Shift(kerasx.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            bn.moving_mean.assign(bn.moving_mean.numpy() + 1.0)

    calls = _count_folds(monkeypatch)
    got = model.predict(x, batch_size=8, verbose=0, callbacks=[Shift()])
    assert calls == [1, 1]
    bn.moving_mean.assign(bn.moving_mean.numpy() - 1.0)  # as it was for the second batch
    np.testing.assert_allclose(got[8:], model.predict(x[8:], verbose=0), rtol=1e-5, atol=1e-6)


def test_evaluate_and_validation_fold_each_pair_once_per_run(monkeypatch):
    """The folds do not grow with the number of batches (a preflight call on one sample,
    made before the run, folds on its own)."""
    model = _dense_bn_model()
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)  # counts per step
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 2))
    calls = _count_folds(monkeypatch)
    counts = []
    for batch_size in (40, 8):  # one batch, then five
        calls.clear()
        model.evaluate(x, y, batch_size=batch_size, verbose=0)
        counts.append(len(calls))
    assert counts[0] == counts[1] <= 2
    for validation_batch_size in (40, 8):
        calls.clear()
        model.fit(x, y, batch_size=40, epochs=2, validation_data=(x, y), verbose=0,
                  validation_batch_size=validation_batch_size)
        counts.append(len(calls))
    assert counts[2] == counts[3]
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    monkeypatch.setattr(kerasx.config, "_LAYER_FUSION", False)
    np.testing.assert_allclose(loss, model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
