"""BatchNormalization, LayerNormalization, RMSNormalization and their coarse primitives:
Keras goldens, float64 references, gradients by finite differences, moving statistics,
and a BatchNormalization MLP trained on the digits data."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.ops import normalization as norm_ops
from kerasx.testing import OpCase, check_gradients, check_op_case, float64
from tests.golden.loader import case_ids, load_cases

GOLDEN = [c for c in load_cases("layers")
          if c["class"] in ("BatchNormalization", "LayerNormalization", "RMSNormalization")]

rng = np.random.default_rng(5)
X = rng.standard_normal((4, 3)) * 1.5 + 0.3
IMG = rng.standard_normal((3, 2, 2, 3))
MEAN, VAR = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
GAMMA, BETA = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)


def _bn(x, mean, var, axis, beta, gamma, eps):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: v.reshape(shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


def _bn_train(x, axis, gamma, beta, eps):
    red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return _bn(x, x.mean(red), x.var(red), axis, beta, gamma, eps)


def _ln(x, axes, gamma, beta, eps):
    m = x.mean(axes, keepdims=True)
    v = x.var(axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * gamma + beta


def _rms(x, axes, scale, eps):
    return x / np.sqrt((x * x).mean(axes, keepdims=True) + eps) * scale


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    x = case["arrays"]["x"]
    layer.build(x.shape)
    assert len(layer.weights) == case["n_weights"]
    layer.set_weights([case["arrays"][f"w{i}"] for i in range(case["n_weights"])])
    y = layer(x, **case["call_kwargs"])
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-5, atol=1e-5)
    after = layer.get_weights()
    for i in range(case["n_weights"]):
        if f"w{i}_after" in case["arrays"]:
            np.testing.assert_allclose(after[i], case["arrays"][f"w{i}_after"], rtol=1e-5,
                                       atol=1e-6)
    assert set(layer.get_config()) == set(case["keras_config"])
    assert [w.name for w in layer.weights] == [n.split("/")[-1] for n in case["weight_names"]]


PRIMITIVES = [
    OpCase("batch_normalization",
           lambda x, m, v, b, g: norm_ops.batch_normalization(x, m, v, -1, b, g, 1e-3),
           lambda x, m, v, b, g: _bn(x, m, v, -1, b, g, 1e-3), [X, MEAN, VAR, BETA, GAMMA]),
    OpCase("batch_normalization_axis1_noparams",
           lambda x, m, v: norm_ops.batch_normalization(x, m, v, 1, epsilon=0.01),
           lambda x, m, v: _bn(x, m, v, 1, np.zeros(2), np.ones(2), 0.01),
           [IMG, MEAN[:2], VAR[:2]]),
    OpCase("fused_batch_normalization",
           lambda x, g, b: norm_ops.fused_batch_normalization(x, -1, g, b, 1e-3)[0],
           lambda x, g, b: _bn_train(x, -1, g, b, 1e-3), [X, GAMMA, BETA]),
    OpCase("fused_batch_normalization_image",
           lambda x, g, b: norm_ops.fused_batch_normalization(x, 3, g, b, 1e-2)[0],
           lambda x, g, b: _bn_train(x, 3, g, b, 1e-2), [IMG, GAMMA, BETA]),
    OpCase("fused_batch_normalization_plain",
           lambda x: norm_ops.fused_batch_normalization(x, 1, epsilon=1e-3)[0],
           lambda x: _bn_train(x, 1, np.ones(2), np.zeros(2), 1e-3), [IMG[:, :, :, 0]]),
    OpCase("moments_mean", lambda x: norm_ops.moments(x, [0])[0], lambda x: x.mean(0), [X]),
    OpCase("moments_var", lambda x: norm_ops.moments(x, [0, 1, 2])[1],
           lambda x: x.var((0, 1, 2)), [IMG]),
    OpCase("moments_both", lambda x: ops.add(*norm_ops.moments(x, [1], keepdims=True)),
           lambda x: x.mean(1, keepdims=True) + x.var(1, keepdims=True), [X]),
    OpCase("layer_normalization",
           lambda x, g, b: norm_ops.layer_normalization(x, g, b, -1, 1e-3),
           lambda x, g, b: _ln(x, -1, g, b, 1e-3), [X, GAMMA, BETA]),
    OpCase("layer_normalization_two_axes",
           lambda x, g, b: norm_ops.layer_normalization(x, g, b, [-2, -1], 1e-2),
           lambda x, g, b: _ln(x, (2, 3), g, b, 1e-2), [IMG, GAMMA.reshape(1, 3) * [[1], [2]],
                                                         BETA.reshape(1, 3) + [[0], [1]]]),
    OpCase("layer_normalization_rms_scaling",
           lambda x, g: norm_ops.layer_normalization(x, g, None, -1, 1e-3, rms_scaling=True),
           lambda x, g: x / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * g, [X, GAMMA]),
    OpCase("rms_normalization",
           lambda x, s: norm_ops.rms_normalization(x, s, -1, 1e-6),
           lambda x, s: _rms(x, -1, s, 1e-6), [X, GAMMA]),
    OpCase("rms_normalization_axes",
           lambda x: norm_ops.rms_normalization(x, axis=(1, 3), epsilon=1e-3),
           lambda x: _rms(x, (1, 3), 1.0, 1e-3), [IMG]),
]


@pytest.mark.parametrize("case", PRIMITIVES, ids=[c.name for c in PRIMITIVES])
def test_primitive_forward_and_gradients(case):
    check_op_case(case)


def test_primitives_are_single_tape_nodes():
    with kerasx.GradientTape():
        x = kerasx.Variable(X.astype(np.float32))
        g = kerasx.Variable(GAMMA.astype(np.float32))
        for out in (norm_ops.fused_batch_normalization(x, -1, g, g)[0],
                    norm_ops.batch_normalization(x, g, g, -1, g, g),
                    norm_ops.layer_normalization(x, g, g),
                    norm_ops.rms_normalization(x, g)):
            assert all(p is None or isinstance(p, kerasx.Variable) for p in out.node.parents)


@pytest.mark.parametrize("axis,shape", [(-1, (5, 3)), (1, (4, 2, 3, 2)), (-1, (3, 2, 2, 3))])
def test_batch_normalization_layer_training_and_inference(axis, shape):
    x = np.random.default_rng(6).standard_normal(shape) * 2 + 1
    features = shape[axis]
    gamma = np.linspace(0.5, 1.5, features)
    beta = np.linspace(-1, 1, features)
    with float64():
        layer = layers.BatchNormalization(axis=axis, momentum=0.8, epsilon=1e-2)
        layer.build(shape)
        layer.set_weights([gamma, beta, np.zeros(features), np.ones(features)])
        y = ops.convert_to_numpy(layer(x, training=True))
        np.testing.assert_allclose(y, _bn_train(x, axis, gamma, beta, 1e-2), rtol=1e-10)
        red = tuple(i for i in range(len(shape)) if i != axis % len(shape))
        _, _, mm, mv = layer.get_weights()
        np.testing.assert_allclose(mm, 0.2 * x.mean(red), rtol=1e-10)
        np.testing.assert_allclose(mv, 0.8 + 0.2 * x.var(red), rtol=1e-10)
        y_inf = ops.convert_to_numpy(layer(x, training=False))
        np.testing.assert_allclose(y_inf, _bn(x, mm, mv, axis, beta, gamma, 1e-2), rtol=1e-10)
        np.testing.assert_allclose(layer.get_weights()[2], mm)  # inference leaves them alone
        check_gradients(lambda v: layer(v, training=True), [x])


def test_batch_normalization_weights_order_and_trainability():
    layer = layers.BatchNormalization()
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert layer.count_params() == 16


def test_frozen_batch_normalization_uses_moving_statistics_in_training():
    layer = layers.BatchNormalization()
    layer.build((None, 3))
    layer.set_weights([GAMMA, BETA, MEAN, VAR])
    layer.trainable = False
    y = ops.convert_to_numpy(layer(X.astype(np.float32), training=True))
    np.testing.assert_allclose(y, _bn(X, MEAN, VAR, -1, BETA, GAMMA, 1e-3), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.get_weights()[2], MEAN.astype(np.float32))


def test_batch_normalization_with_mask_ignores_masked_steps():
    x = np.random.default_rng(7).standard_normal((2, 5, 3))
    mask = np.array([[True, True, True, False, False], [True, False, True, True, False]])
    with float64():
        layer = layers.BatchNormalization(momentum=0.0, center=False, scale=False)
        y = ops.convert_to_numpy(layer(x, training=True, mask=mask))
        kept = x[mask]
        expected = (x - kept.mean(0)) / np.sqrt(kept.var(0) + 1e-3)
        np.testing.assert_allclose(y[mask], expected[mask], rtol=1e-6)
        np.testing.assert_allclose(layer.get_weights()[0], kept.mean(0), rtol=1e-6)
        check_gradients(lambda v: layer(v, training=True, mask=mask), [x], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match=r"mask must have one dimension less"):
        layer(x, training=True, mask=np.ones((2, 5, 3), bool))


def test_batch_renormalization():
    x = np.random.default_rng(8).standard_normal((6, 3)) * 2 + 1
    with float64():
        layer = layers.BatchNormalization(renorm=True, center=False, scale=False, momentum=0.5,
                                          renorm_momentum=0.5, epsilon=1e-3)
        layer.build(x.shape)
        assert [w.name for w in layer.weights] == ["moving_mean", "moving_variance",
                                                   "moving_stddev", "renorm_mean", "renorm_stddev"]
        # With fresh renorm statistics (mean 0, stddev 1) the corrections undo the normalization.
        y = ops.convert_to_numpy(layer(x, training=True))
        np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-9)
        std = np.sqrt(x.var(0) + 1e-3)
        mm, mv, ms, rm, rs = layer.get_weights()
        np.testing.assert_allclose(mm, 0.5 * x.mean(0))
        np.testing.assert_allclose(ms, 0.5 + 0.5 * std)
        np.testing.assert_allclose(mv, np.maximum(ms * ms - 1e-3, 0))
        np.testing.assert_allclose(rs, 0.5 + 0.5 * std)
        # r and d are constants for the gradient (as in Keras), so the gradient is that of
        # batch normalization with scale r = std (fresh statistics), checked above by FD.
        p = ops.convert_to_tensor(np.random.default_rng(9).standard_normal(x.shape))
        grads = []
        for fn in (lambda v: layers.BatchNormalization(renorm=True)(v, training=True),
                   lambda v: norm_ops.fused_batch_normalization(
                       v, -1, ops.convert_to_tensor(std), None, 1e-3)[0]):
            v = kerasx.Variable(x)
            with kerasx.GradientTape() as tape:
                loss = ops.sum(fn(v) * p)
            grads.append(ops.convert_to_numpy(tape.gradient(loss, v)))
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"unknown keys \['rmaxx'\]"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 1})


def test_batch_normalization_mlp_on_digits(digits):
    x_train, y_train, x_test, y_test = digits
    model = kerasx.Sequential([kerasx.Input(shape=(64,)), layers.Dense(64),
                               layers.BatchNormalization(), layers.Activation("relu"),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95

    bn = model.layers[1]
    mm, mv = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    assert not np.allclose(mm, 0) and not np.allclose(mv, 1)  # updated during fit
    kernel, bias = model.layers[0].get_weights()
    gamma, beta = bn.gamma.numpy(), bn.beta.numpy()
    k2, b2 = model.layers[3].get_weights()
    h = x_test.astype(np.float64) @ kernel + bias
    h = np.maximum((h - mm) / np.sqrt(mv + 1e-3) * gamma + beta, 0)
    manual = h @ k2 + b2
    manual = np.exp(manual - manual.max(-1, keepdims=True))
    manual /= manual.sum(-1, keepdims=True)
    predicted = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(predicted, manual, rtol=1e-4, atol=1e-5)
    batch_stats = ops.convert_to_numpy(model(x_test, training=True))
    assert np.abs(batch_stats - predicted).max() > 1e-3


def test_layer_normalization_layer():
    with float64():
        layer = layers.LayerNormalization(axis=[1, 2], epsilon=1e-2)
        layer.build(IMG.shape)
        assert [w.shape for w in layer.weights] == [(2, 2), (2, 2)]
        assert layer.axis == [1, 2]
        g, b = rng.uniform(0.5, 1.5, (2, 2)), rng.standard_normal((2, 2))
        layer.set_weights([g, b])
        expected = _ln(IMG, (1, 2), g[None, :, :, None], b[None, :, :, None], 1e-2)
        np.testing.assert_allclose(ops.convert_to_numpy(layer(IMG)), expected, rtol=1e-10)
        check_gradients(lambda v: layer(v), [IMG])
    no_weights = layers.LayerNormalization(center=False, scale=False)
    no_weights.build(IMG.shape)
    assert no_weights.count_params() == 0


def test_layer_normalization_rms_scaling_is_deprecated():
    with pytest.warns(UserWarning, match="RMSNormalization"):
        layer = layers.LayerNormalization(rms_scaling=True)
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["gamma"]
    assert layer.get_config()["rms_scaling"] is True


def test_rms_normalization_layer_trains():
    with float64():
        layer = layers.RMSNormalization(axis=-1)
        check_gradients(lambda v: layer(v), [X])
        with kerasx.GradientTape() as tape:
            loss = ops.sum(layer(X) * ops.convert_to_tensor(X))
        grad = ops.convert_to_numpy(tape.gradient(loss, layer.scale))
        np.testing.assert_allclose(grad, (_rms(X, -1, 1.0, 1e-6) * X).sum(0), rtol=1e-10)


def test_summary_and_functional_shapes():
    model = kerasx.Sequential([kerasx.Input(shape=(5, 4)), layers.BatchNormalization(),
                               layers.LayerNormalization(), layers.RMSNormalization()])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert text.count("(None, 5, 4)") == 3
    assert "Total params: 28 " in text and "Non-trainable params: 8 " in text
    inputs = kerasx.Input(shape=(2, 3))
    assert layers.BatchNormalization(axis=1)(inputs).shape == (None, 2, 3)


def test_bad_axes():
    with pytest.raises(ValueError, match=r"axis=3 is out of bounds for inputs of shape "
                                         r"\(None, 4\)"):
        kerasx.Sequential([kerasx.Input(shape=(4,)), layers.BatchNormalization(axis=3)])
    with pytest.raises(TypeError, match=r"axis must be one integer"):
        layers.BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds"):
        layers.LayerNormalization(axis=2)(np.zeros((2, 3), np.float32))
    layer = layers.BatchNormalization()
    layer(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"built for 3 features.*\(2, 4\)"):
        layer(np.zeros((2, 4), np.float32))


def test_config_round_trip():
    layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, center=False,
                                      synchronized=True)
    clone = layers.BatchNormalization.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    ln = layers.LayerNormalization(axis=[-2, -1], epsilon=0.1)
    assert layers.LayerNormalization.from_config(ln.get_config()).get_config() == ln.get_config()


def _group_norm(x, groups, axis, eps):
    x = np.moveaxis(x, axis, -1)
    shape = x.shape
    g = x.reshape(shape[0], -1, groups, shape[-1] // groups)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = g.var(axis=(1, 3), keepdims=True)
    return np.moveaxis(((g - mean) / np.sqrt(var + eps)).reshape(shape), -1, axis)


@pytest.mark.parametrize("groups,axis", [(3, -1), (1, -1), (-1, -1), (3, 1)])
def test_group_normalization(groups, axis):
    x = np.random.default_rng(10).standard_normal((2, 6, 2, 6)) * 2 + 1
    gamma, beta = np.linspace(0.5, 2, 6), np.linspace(-1, 1, 6)
    with float64():
        layer = layers.GroupNormalization(groups=groups, axis=axis, epsilon=1e-2)
        layer.build(x.shape)
        layer.set_weights([gamma, beta])
        shape = [1, 1, 1, 1]
        shape[axis] = 6
        expected = (_group_norm(x, 6 if groups == -1 else groups, axis, 1e-2)
                    * gamma.reshape(shape) + beta.reshape(shape))
        np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, rtol=1e-10)
        check_gradients(lambda v: layer(v), [x[:1, :, :1]])
    with pytest.raises(ValueError, match=r"groups=4 must divide the number of channels \(6\)"):
        layers.GroupNormalization(groups=4)(x.astype(np.float32))
    with pytest.raises(ValueError, match=r"groups must be a positive integer"):
        layers.GroupNormalization(groups=0)


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_unit_normalization(axis):
    x = np.random.default_rng(11).standard_normal((2, 3, 4))
    with float64():
        layer = layers.UnitNormalization(axis=axis)
        ax = tuple(axis) if isinstance(axis, list) else axis
        expected = x / np.sqrt((x * x).sum(ax, keepdims=True))
        np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, rtol=1e-12)
        check_gradients(lambda v: layer(v), [x])
    tiny = np.zeros((1, 3), np.float32)
    np.testing.assert_array_equal(ops.convert_to_numpy(layers.UnitNormalization()(tiny)), tiny)
    check_gradients(lambda v: norm_ops.normalize(v, order=1), [x])
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds"):
        layers.UnitNormalization(axis=3)(x)
