"""ReLU, LeakyReLU, PReLU, ELU and Softmax layers: Keras goldens, float64 references,
gradients by finite differences, masks, and bad arguments."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases

GOLDEN = [c for c in load_cases("layers")
          if c["class"] in ("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax")]
# Away from the kinks at 0, 0.2 and 1 used below.
X = np.array([[[-1.7, -0.45, 0.3, 0.75], [1.4, -0.05, 2.2, -2.9], [0.55, 0.95, -1.1, 0.1]],
              [[0.6, -0.3, 1.7, -0.8], [-1.25, 0.35, 0.85, 3.1], [-0.65, 1.2, 0.45, -0.15]]])


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    x = case["arrays"]["x"]
    if case["n_weights"]:
        layer.build(x.shape)
        layer.set_weights([case["arrays"][f"w{i}"] for i in range(case["n_weights"])])
    y = layer(x, **case["call_kwargs"])
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-5, atol=1e-5)
    assert set(layer.get_config()) == set(case["keras_config"])
    assert [w.path for w in layer.weights] == [
        n.replace(case["weight_names"][0].split("/")[0], layer.name, 1)
        for n in case["weight_names"]]


CASES = [
    ("relu", lambda: layers.ReLU(), lambda x: np.maximum(x, 0)),
    ("relu_params", lambda: layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
     lambda x: np.where(x > 0.2, np.minimum(x, 1.0), 0.1 * (x - 0.2))),
    ("leaky_relu", lambda: layers.LeakyReLU(), lambda x: np.where(x > 0, x, 0.3 * x)),
    ("elu", lambda: layers.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("softmax", lambda: layers.Softmax(), _softmax),
    ("softmax_axis1", lambda: layers.Softmax(axis=1), lambda x: _softmax(x, 1)),
    ("softmax_two_axes", lambda: layers.Softmax(axis=(1, 2)),
     lambda x: np.exp(x) / np.exp(x).sum(axis=(1, 2), keepdims=True)),
]


@pytest.mark.parametrize("name,make,reference", CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradient(name, make, reference):
    with float64():
        layer = make()
        np.testing.assert_allclose(ops.convert_to_numpy(layer(X)), reference(X), rtol=1e-12)
        check_gradients(lambda v: layer(v), [X])
    got32 = ops.convert_to_numpy(make()(X.astype(np.float32)))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, reference(X), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2]])
def test_prelu_forward_and_gradients_for_input_and_alpha(shared_axes):
    alpha_shape = [3, 4]
    for axis in shared_axes or ():
        alpha_shape[axis - 1] = 1
    alpha = np.random.default_rng(1).uniform(0.1, 0.5, alpha_shape)
    with float64():
        layer = layers.PReLU(shared_axes=shared_axes)
        layer.build(X.shape)
        assert layer.alpha.shape == tuple(alpha_shape)
        layer.set_weights([alpha])
        expected = np.where(X > 0, X, alpha * X)
        np.testing.assert_allclose(ops.convert_to_numpy(layer(X)), expected, rtol=1e-12)
        # The layer's own weight receives the gradient of the coarse prelu op.
        with kerasx.GradientTape() as tape:
            loss = ops.sum(layer(X) * ops.convert_to_tensor(X))
        grad = ops.convert_to_numpy(tape.gradient(loss, layer.alpha))
        reduce = tuple(i for i in range(3) if i == 0 or (shared_axes and i in shared_axes))
        np.testing.assert_allclose(grad, np.where(X > 0, 0, X * X).sum(reduce).reshape(alpha_shape))
    check_gradients(lambda x, a: ops.nn.prelu(x, a), [X, alpha])


def test_prelu_trains_its_slopes():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((256, 4)).astype(np.float32)
    y = np.where(x > 0, x, 0.25 * x).astype(np.float32)
    model = kerasx.Sequential([kerasx.Input(shape=(4,)), layers.PReLU()])
    model.compile(optimizer=kerasx.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    np.testing.assert_allclose(model.layers[0].get_weights()[0], 0.25, atol=1e-2)


def test_softmax_mask():
    x = X.astype(np.float32)
    mask = np.array([[True, True, False, True], [False, True, True, True],
                     [True, False, False, False]])
    y = ops.convert_to_numpy(layers.Softmax()(x, mask=mask))
    e = np.where(mask, np.exp(x - x.max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(y, e / e.sum(-1, keepdims=True), rtol=1e-6, atol=1e-7)
    assert (y[:, ~mask] == 0).all()
    float_mask = ops.convert_to_numpy(layers.Softmax()(x, mask=mask.astype(np.float32)))
    np.testing.assert_allclose(float_mask, y)
    with float64():
        layer = layers.Softmax()
        check_gradients(lambda v: layer(v, mask=mask), [X])
    with pytest.raises(ValueError, match=r"mask must be broadcastable.*\(2, 3, 4\).*\(3, 5\)"):
        layers.Softmax()(x, mask=np.ones((3, 5), bool))


def test_softmax_uses_mask_from_previous_layer():
    ids = np.array([[3, 1, 0, 0], [2, 2, 4, 0]])
    emb = layers.Embedding(5, 4, mask_zero=True)
    scores = ops.sum(emb(ids), axis=-1)
    scores._keras_mask = emb.compute_mask(ids)
    probs = ops.convert_to_numpy(layers.Softmax()(scores))
    assert (probs[ids == 0] == 0).all()
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)


def test_summary_shapes_and_params():
    model = kerasx.Sequential([kerasx.Input(shape=(3, 4)), layers.ReLU(), layers.LeakyReLU(),
                               layers.PReLU(shared_axes=[1]), layers.ELU(), layers.Softmax()])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert text.count("(None, 3, 4)") == 5
    assert "Total params: 4 " in text


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"max_value of a ReLU layer cannot be a negative "
                                         r"value\. Received: max_value=-1"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"negative_slope of a ReLU layer cannot be None or a "):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match=r"threshold of a ReLU layer cannot be None or a "):
        layers.ReLU(threshold=None)
    with pytest.raises(ValueError, match=r"negative_slope value of a Leaky ReLU layer cannot be "):
        layers.LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError, match=r"shared axis 3 is invalid for inputs of shape"):
        layers.PReLU(shared_axes=[3])(X)
    layer = layers.PReLU()
    layer(X)
    with pytest.raises(ValueError, match=r"slopes of shape \(3, 4\).*\(2, 3, 5\)"):
        layer(np.zeros((2, 3, 5), np.float32))


def test_leaky_relu_accepts_deprecated_alpha():
    with pytest.warns(UserWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
