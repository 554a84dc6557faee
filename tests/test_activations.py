"""Every activation of `kerasx.activations`: golden values from Keras 3, a float64
NumPy reference, float32, and gradients against finite differences."""

import math

import numpy as np
import pytest

import kerasx
from kerasx import activations, ops
from kerasx.testing import OpCase, check_gradients, check_op_case
from tests.golden.loader import case_ids, load_cases

GOLDEN = load_cases("activations")

rng = np.random.default_rng(3)
# Values kept away from every kink (0, +-0.5, +-1, +-3, 6) so finite differences are exact.
X = np.array([[-4.1, -2.7, -1.3, -0.8, -0.3, 0.2],
              [0.35, 0.7, 1.2, 1.6, 2.4, 3.7],
              [-0.65, 0.1, 5.1, 6.8, -0.15, 0.9]])
WIDE = rng.standard_normal((3, 4)) * 2.0


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _gelu_exact(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))


def _sparsemax(x, axis=-1):
    x = np.moveaxis(x, axis, -1)
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        z = np.sort(x[idx])[::-1]
        k = np.arange(1, len(z) + 1)
        support = 1 + k * z > np.cumsum(z)
        kz = k[support][-1]
        tau = (np.cumsum(z)[kz - 1] - 1) / kz
        out[idx] = np.maximum(x[idx] - tau, 0)
    return np.moveaxis(out, -1, axis)


def _act(name, **kw):
    fn = activations.get(name)
    return lambda x: fn(x, **kw)


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

CASES = [
    OpCase("relu", _act("relu"), lambda x: np.maximum(x, 0), [X]),
    OpCase("relu_negative_slope", _act("relu", negative_slope=0.1),
           lambda x: np.where(x > 0, x, 0.1 * x), [X]),
    OpCase("relu_max_value", _act("relu", max_value=2.0), lambda x: np.clip(x, 0, 2.0), [X]),
    OpCase("relu_threshold", _act("relu", threshold=0.5), lambda x: np.where(x > 0.5, x, 0.0), [X]),
    OpCase("relu_all", _act("relu", negative_slope=0.2, max_value=3.0, threshold=1.0),
           lambda x: np.where(x > 1.0, np.minimum(x, 3.0), 0.2 * (x - 1.0)), [X]),
    OpCase("sigmoid", _act("sigmoid"), _sigmoid, [X]),
    OpCase("softmax", _act("softmax"), _softmax, [WIDE]),
    OpCase("softmax_axis0", _act("softmax", axis=0), lambda x: _softmax(x, 0), [WIDE]),
    OpCase("log_softmax", _act("log_softmax"), lambda x: np.log(_softmax(x)), [WIDE]),
    OpCase("tanh", _act("tanh"), np.tanh, [X]),
    OpCase("linear", lambda x: ops.multiply(activations.get("linear")(x), 1.0), lambda x: x, [X]),
    OpCase("elu", _act("elu"), _elu, [X]),
    OpCase("elu_alpha", _act("elu", alpha=0.5), lambda x: _elu(x, 0.5), [X]),
    OpCase("selu", _act("selu"), lambda x: SELU_S * _elu(x, SELU_A), [X]),
    OpCase("softplus", _act("softplus"), _softplus, [X]),
    OpCase("softsign", _act("softsign"), lambda x: x / (1 + np.abs(x)), [X]),
    OpCase("exponential", _act("exponential"), np.exp, [X / 2.0]),
    OpCase("gelu_approximate", _act("gelu", approximate=True), _gelu_tanh, [X]),
    OpCase("silu", _act("silu"), lambda x: x * _sigmoid(x), [X]),
    OpCase("swish", _act("swish"), lambda x: x * _sigmoid(x), [X]),
    OpCase("hard_sigmoid", _act("hard_sigmoid"), lambda x: np.clip(x / 6 + 0.5, 0, 1), [X]),
    OpCase("hard_silu", _act("hard_silu"), lambda x: x * np.clip(x / 6 + 0.5, 0, 1), [X]),
    OpCase("hard_swish", _act("hard_swish"), lambda x: x * np.clip(x / 6 + 0.5, 0, 1), [X]),
    OpCase("relu6", _act("relu6"), lambda x: np.clip(x, 0, 6), [X]),
    OpCase("leaky_relu", _act("leaky_relu"), lambda x: np.where(x > 0, x, 0.2 * x), [X]),
    OpCase("leaky_relu_slope", _act("leaky_relu", negative_slope=0.1),
           lambda x: np.where(x > 0, x, 0.1 * x), [X]),
    OpCase("mish", _act("mish"), lambda x: x * np.tanh(_softplus(x)), [X]),
    OpCase("celu", _act("celu"), lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)), [X]),
    OpCase("celu_alpha", _act("celu", alpha=2.0),
           lambda x: np.maximum(x, 0) + 2.0 * np.expm1(np.minimum(x, 0) / 2.0), [X]),
    OpCase("glu", _act("glu"), lambda x: x[:, :3] * _sigmoid(x[:, 3:]), [X]),
    OpCase("glu_axis0", _act("glu", axis=0), lambda x: x[:2] * _sigmoid(x[2:]),
           [np.ascontiguousarray(WIDE.T)]),
    OpCase("hard_shrink", _act("hard_shrink"), lambda x: np.where(np.abs(x) > 0.5, x, 0), [X]),
    OpCase("soft_shrink", _act("soft_shrink", threshold=1.0),
           lambda x: np.sign(x) * np.maximum(np.abs(x) - 1.0, 0), [X]),
    OpCase("hard_tanh", _act("hard_tanh"), lambda x: np.clip(x, -1, 1), [X]),
    OpCase("tanh_shrink", _act("tanh_shrink"), lambda x: x - np.tanh(x), [X], rtol32=2e-5,
           atol32=2e-6),
    OpCase("log_sigmoid", _act("log_sigmoid"), lambda x: np.log(_sigmoid(x)), [X]),
    OpCase("sparse_plus", _act("sparse_plus"),
           lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)), [X]),
    OpCase("sparse_sigmoid", _act("sparse_sigmoid"), lambda x: np.clip((x + 1) / 2, 0, 1), [X]),
    OpCase("sparsemax", _act("sparsemax"), _sparsemax, [WIDE]),
    OpCase("sparsemax_axis0", _act("sparsemax", axis=0), lambda x: _sparsemax(x, 0), [WIDE]),
    OpCase("squareplus", _act("squareplus"), lambda x: (x + np.sqrt(x * x + 4)) / 2, [X]),
    OpCase("squareplus_b", _act("squareplus", b=1.0), lambda x: (x + np.sqrt(x * x + 1)) / 2, [X]),
    OpCase("threshold", _act("threshold", threshold=0.5, default_value=-1.0),
           lambda x: np.where(x > 0.5, x, -1.0), [X]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_activation_forward_and_gradient(case):
    check_op_case(case)


def test_every_keras_activation_is_covered():
    covered = {c["class"] for c in GOLDEN}
    assert covered - set(activations._BY_NAME) == set()
    tabled = {c.name for c in CASES} | {"gelu"}
    assert [n for n in activations._BY_NAME if n not in tabled] == []


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    fn = activations.get(case["class"])
    x, expected = case["arrays"]["x"], case["arrays"]["y"]
    y = fn(ops.convert_to_tensor(x), **case["config"])
    assert y.dtype == "float32"
    got = ops.convert_to_numpy(y)
    if case["class"] == "sparsemax":
        # Keras 3.15.1 computes a wrong threshold when the support has more than one entry
        # (keras-team/keras#23425, fixed upstream by #23469): its rows then do not sum to 1.
        # Those rows are checked against the correct projection; the others against Keras.
        axis = case["config"].get("axis", -1)
        keras_ok = np.isclose(expected.sum(axis=axis, keepdims=True), 1.0, atol=1e-5)
        keras_ok = np.broadcast_to(keras_ok, expected.shape)
        expected = np.where(keras_ok, expected, _sparsemax(x.astype(np.float64), axis))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_gelu_exact_is_the_keras_default():
    # The array API standard has no erf; the approximation is accurate to ~1e-7.
    x = X.astype(np.float32)
    got = ops.convert_to_numpy(activations.gelu(ops.convert_to_tensor(x)))
    np.testing.assert_allclose(got, _gelu_exact(X), rtol=1e-6, atol=1e-6)
    check_gradients(lambda v: activations.gelu(v), [X], rtol=1e-5, atol=1e-6)


def test_sparsemax_outputs_are_sparse_probabilities():
    y = ops.convert_to_numpy(activations.sparsemax(ops.convert_to_tensor(WIDE.astype(np.float32))))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    assert (y == 0).any() and (y >= 0).all()


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match=r"size must be even.*shape \(3, 5\)"):
        activations.glu(ops.convert_to_tensor(np.zeros((3, 5), np.float32)))


def test_unknown_activation_name_is_rejected_with_suggestions():
    with pytest.raises(ValueError, match=r"Unknown activation: 'rellu'.*Did you mean 'relu'"):
        activations.get("rellu")
    with pytest.raises(ValueError, match=r"Unknown activation: 'rellu'"):
        kerasx.layers.Dense(2, activation="rellu")


def test_get_and_serialize_round_trip():
    assert activations.get(None) is activations.linear
    for name in activations._BY_NAME:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.get("swish")) == "silu"
    assert activations.get(activations.relu) is activations.relu


@pytest.mark.parametrize("fn, cap", [(lambda x: activations.relu(x, max_value=6.0), 6.0),
                                     (activations.relu6, 6.0),
                                     (lambda x: activations.relu(x, max_value=2.5), 2.5)])
def test_capped_relu_gradient_is_one_strictly_inside_and_zero_at_the_kinks(fn, cap):
    points = np.array([-1.0, 0.0, 0.5, cap - 0.5, cap, cap + 1.0], np.float32)
    v = kerasx.Variable(points)
    with kerasx.GradientTape() as tape:
        out = fn(v)
    grad = ops.convert_to_numpy(tape.gradient(out, v, output_gradients=_on_device(np.full(6, 2.0, np.float32))))
    np.testing.assert_array_equal(ops.convert_to_numpy(out), np.clip(points, 0.0, cap))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 2.0, 2.0, 0.0, 0.0])


def test_hard_sigmoid_gradient_is_a_sixth_strictly_inside():
    points = np.array([-4.0, -3.0, -1.0, 2.0, 3.0, 5.0], np.float32)
    v = kerasx.Variable(points)
    with kerasx.GradientTape() as tape:
        out = activations.hard_sigmoid(v)
    grad = ops.convert_to_numpy(tape.gradient(out, v, output_gradients=_on_device(np.full(6, 3.0, np.float32))))
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.5, 0.5, 0.0, 0.0], rtol=1e-7)


def _on_device(array):
    from kerasx.backends import current

    return current().asarray(array)


def test_hard_silu_gradient_at_and_between_its_kinks():
    """0 below -3, (2x + 3) / 6 from -3 to 3 (both ends included, as Keras), 1 above."""
    points = np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.5, np.nan], np.float32)
    v = kerasx.Variable(points)
    with kerasx.GradientTape() as tape:
        out = activations.hard_silu(v)
    grad = ops.convert_to_numpy(tape.gradient(out, v, output_gradients=_on_device(
        np.full(8, 2.0, np.float32))))
    np.testing.assert_allclose(grad, [0.0, -1.0, 0.0, 1.0, 2.0, 3.0, 2.0, np.nan], rtol=1e-6,
                               atol=1e-7)
