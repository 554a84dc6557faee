"""Regularizers: Keras 3 golden penalties, gradients, layer/model losses, the trained and
logged loss, identifiers and errors."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import regularizers
from kerasx.backends import current
from kerasx.testing import check_gradients

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(__file__)), "golden",
                      "constraints_regularizers.npz")


def golden_cases():
    if not os.path.exists(GOLDEN):
        return []
    from tests.golden.loader import load_cases

    return [c for c in load_cases("constraints_regularizers") if c["kind"] == "regularizer"]


def penalty(regularizer, w):
    out = regularizer(current().asarray(np.asarray(w)))
    return float(current().to_numpy(getattr(out, "value", out)))


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: c["name"])
def test_matches_keras_golden_values(case):
    regularizer = getattr(regularizers, case["class"])(**case["config"])
    np.testing.assert_allclose(penalty(regularizer, case["arrays"]["w"]),
                               case["arrays"]["penalty"], rtol=1e-6, atol=1e-6)


def test_golden_file_covers_every_regularizer():
    if not os.path.exists(GOLDEN):
        pytest.skip("tests/golden/constraints_regularizers.npz does not exist yet")
    assert {c["class"] for c in golden_cases()} == {"L1", "L2", "L1L2", "OrthogonalRegularizer"}


W = np.array([[1.0, -2.0, 0.5], [-0.25, 3.0, 1.5]], np.float32)


def test_penalty_formulas():
    assert penalty(regularizers.L1(0.1), W) == pytest.approx(0.1 * np.abs(W).sum(), rel=1e-6)
    assert penalty(regularizers.L2(0.2), W) == pytest.approx(0.2 * (W ** 2).sum(), rel=1e-6)
    assert penalty(regularizers.L1L2(0.1, 0.2), W) == pytest.approx(
        0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum(), rel=1e-6)
    assert penalty(regularizers.L1L2(), W) == 0.0
    out = regularizers.L2(0.1)(current().asarray(W))
    assert out.shape == () and out.dtype == "float32"


def test_orthogonal_penalty_is_zero_for_orthogonal_rows_and_max_for_parallel():
    assert penalty(regularizers.OrthogonalRegularizer(1.0), np.eye(3, 5)) == pytest.approx(0.0)
    parallel = np.array([[1.0, 2.0], [2.0, 4.0], [-3.0, -6.0]], np.float32)
    # every pair of rows has |cos| = 1, so the penalty is the factor itself
    assert penalty(regularizers.OrthogonalRegularizer(0.2), parallel) == pytest.approx(0.2, 1e-6)
    cols = regularizers.OrthogonalRegularizer(0.2, mode="columns")
    assert penalty(cols, parallel.T) == pytest.approx(0.2, 1e-6)
    half = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])  # |cos|: 1/sqrt2, 0, 1/sqrt2
    assert penalty(regularizers.OrthogonalRegularizer(0.3), half) == pytest.approx(
        0.3 * (2 / np.sqrt(2)) / 3, 1e-6)
    assert penalty(regularizers.OrthogonalRegularizer(0.2), np.ones((1, 4))) == 0.0


def test_orthogonal_penalty_keeps_zero_rows_finite():
    w = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, -1.0]])
    assert np.isfinite(penalty(regularizers.OrthogonalRegularizer(1.0), w))


def test_gradients_of_l1_l2():
    w = np.array([[0.7, -1.3, 0.4], [-0.2, 2.1, -0.9]])  # no zeros: |w| is smooth there
    check_gradients(lambda v: regularizers.L1L2(l1=0.3, l2=0.2)(v), [w])
    check_gradients(lambda v: regularizers.L1(0.5)(v), [w])
    check_gradients(lambda v: regularizers.L2(0.5)(v), [w])


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_gradients_of_orthogonal_regularizer(mode):
    w = np.array([[0.7, -1.3, 0.4], [-0.2, 2.1, -0.9], [1.1, 0.3, 0.5], [0.6, -0.4, -1.2]])
    check_gradients(lambda v: regularizers.OrthogonalRegularizer(0.3, mode=mode)(v), [w],
                    rtol=1e-4, atol=1e-7)


def test_layer_losses_as_keras_documents():
    # Keras's Regularizer docstring: kernel term 0.25 plus activity term 25 / batch 5 = 5.25.
    layer = kerasx.layers.Dense(5, input_dim=5, kernel_initializer="ones",
                                kernel_regularizer=regularizers.L1(0.01),
                                activity_regularizer=regularizers.L2(0.01))
    layer(np.full((5, 5), 2.0, np.float32))
    values = [float(v) for v in layer.losses]
    assert sorted(values) == pytest.approx([0.25, 5.0], rel=1e-6)


def test_model_losses_collects_every_layer():
    model = kerasx.Sequential([
        kerasx.Input((3,)),
        kerasx.layers.Dense(4, kernel_regularizer="l2", bias_regularizer="l1",
                            bias_initializer="ones"),
        kerasx.layers.Dense(2, kernel_regularizer=regularizers.L1L2(0.1, 0.1)),
    ])
    first, second = model.layers
    k1, k2 = first.kernel.numpy(), second.kernel.numpy()
    expected = [0.01 * (k1 ** 2).sum(), 0.01 * 4.0, 0.1 * np.abs(k2).sum() + 0.1 * (k2 ** 2).sum()]
    assert sorted(float(v) for v in model.losses) == pytest.approx(sorted(expected), rel=1e-5)


def _regularized_model():
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(
        3, kernel_regularizer=regularizers.L2(0.1), bias_regularizer=regularizers.L1(0.2),
        activity_regularizer=regularizers.L1(0.05),
        kernel_initializer=kerasx.initializers.GlorotUniform(seed=1),
        bias_initializer=kerasx.initializers.Constant(0.5))])
    model.compile(optimizer=kerasx.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def _expected_loss(kernel, bias, x, y):
    pred = x.astype(np.float64) @ kernel + bias
    return (((pred - y) ** 2).mean() + 0.1 * (kernel ** 2).sum() + 0.2 * np.abs(bias).sum()
            + 0.05 * np.abs(pred).sum() / len(x)), pred


def test_logged_and_evaluated_loss_include_the_penalties():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype(np.float32)
    y = rng.normal(size=(8, 3)).astype(np.float32)
    model = _regularized_model()
    layer = model.layers[0]
    kernel, bias = layer.kernel.numpy().astype(np.float64), layer.bias.numpy().astype(np.float64)
    expected, pred = _expected_loss(kernel, bias, x, y)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)

    # The step followed the gradient of the penalized loss (mse + L2 + activity L1).
    residual, activity = (2.0 / y.size) * (pred - y), 0.05 / len(x) * np.sign(pred)
    grad_k = x.T @ residual + 0.2 * kernel + x.T @ activity
    grad_b = residual.sum(0) + 0.2 * np.sign(bias) + activity.sum(0)
    np.testing.assert_allclose(layer.kernel.numpy(), kernel - 0.1 * grad_k, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.bias.numpy(), bias - 0.1 * grad_b, rtol=1e-5, atol=1e-6)

    after, _ = _expected_loss(layer.kernel.numpy().astype(np.float64),
                              layer.bias.numpy().astype(np.float64), x, y)
    assert model.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(after, rel=1e-5)


def test_strong_l2_shrinks_the_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = np.zeros((16, 2), np.float32)
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(
        2, use_bias=False, kernel_initializer="ones", kernel_regularizer=regularizers.L2(1.0))])
    model.compile(optimizer=kerasx.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert np.abs(model.layers[0].kernel.numpy()).max() < 0.2


# -- identifiers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls, config", [
    ("l1", "L1", {"l1": 0.01}), ("L1", "L1", {"l1": 0.01}), ("l2", "L2", {"l2": 0.01}),
    ("L2", "L2", {"l2": 0.01}), ("l1_l2", "L1L2", {"l1": 0.01, "l2": 0.01}),
    ("L1L2", "L1L2", {"l1": 0.0, "l2": 0.0}),
    ("orthogonal_regularizer", "OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"})])
def test_get_by_name(name, cls, config):
    got = regularizers.get(name)
    assert type(got) is getattr(regularizers, cls) and got.get_config() == config


def test_aliases_and_other_identifiers():
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert regularizers.l1_l2(l1=0.5).get_config() == {"l1": 0.5, "l2": 0.0}
    assert regularizers.get(None) is None
    r = regularizers.L2(0.3)
    assert regularizers.get(r) is r
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5

    def custom(w):
        return kerasx.ops.sum(w)

    assert regularizers.get(custom) is custom


@pytest.mark.parametrize("regularizer", [
    regularizers.L1(0.3), regularizers.L2(0.02), regularizers.L1L2(0.1, 0.2),
    regularizers.OrthogonalRegularizer(0.5, "columns")], ids=lambda r: type(r).__name__)
def test_config_round_trip(regularizer):
    copy = regularizers.deserialize(regularizers.serialize(regularizer))
    assert type(copy) is type(regularizer) and copy.get_config() == regularizer.get_config()
    assert penalty(copy, W) == penalty(regularizer, W)


# -- errors -----------------------------------------------------------------------------------
def test_bad_factors():
    with pytest.raises(ValueError, match=r"Invalid value for argument l1: expected a "
                                         r"non-negative float\. Received: l1=-1"):
        regularizers.L1(-1)
    with pytest.raises(ValueError, match=r"argument l2.*Received: l2='big'"):
        regularizers.L2("big")
    with pytest.raises(ValueError, match=r"argument l2.*Received: l2=inf"):
        regularizers.L1L2(l2=float("inf"))
    with pytest.raises(ValueError, match=r'Expected one of \{"rows", "columns"\}\. Received: '
                                         r"mode=diag"):
        regularizers.OrthogonalRegularizer(mode="diag")


def test_orthogonal_regularizer_needs_rank_two():
    with pytest.raises(ValueError, match=r"must have rank 2\. Received: inputs\.shape=\(2, 2, 2\)"):
        regularizers.OrthogonalRegularizer()(current().asarray(np.ones((2, 2, 2), np.float32)))


def test_base_class_get_config_says_what_to_do():
    class NoConfig(regularizers.Regularizer):
        def __call__(self, x):
            return 0.0

    with pytest.raises(NotImplementedError, match=r"NoConfig does not implement get_config"):
        kerasx.saving.serialize_keras_object(NoConfig())


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'L1_L2'\. Did you mean 'l1_l2' or 'L1L2'"):
        regularizers.get("L1_L2")
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'orthogonal'\. Did you mean "
                                         r"'orthogonal_regularizer'"):
        regularizers.get("orthogonal")
