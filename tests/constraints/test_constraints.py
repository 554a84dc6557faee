"""Constraints: Keras 3 golden values, projections, training, identifiers and errors."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import constraints
from kerasx.backends import current

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(__file__)), "golden",
                      "constraints_regularizers.npz")


def golden_cases():
    if not os.path.exists(GOLDEN):
        return []
    from tests.golden.loader import load_cases

    return [c for c in load_cases("constraints_regularizers") if c["kind"] == "constraint"]


def apply(constraint, w):
    out = constraint(current().asarray(np.asarray(w)))
    return current().to_numpy(getattr(out, "value", out))


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: c["name"])
def test_matches_keras_golden_values(case):
    constraint = getattr(constraints, case["class"])(**case["config"])
    np.testing.assert_allclose(apply(constraint, case["arrays"]["w"]), case["arrays"]["y"],
                               rtol=1e-6, atol=1e-6)


def test_golden_file_covers_every_constraint():
    if not os.path.exists(GOLDEN):
        pytest.skip("tests/golden/constraints_regularizers.npz does not exist yet")
    assert {c["class"] for c in golden_cases()} == {"NonNeg", "UnitNorm", "MaxNorm", "MinMaxNorm"}


W = np.array([[3.0, -0.1, 0.0], [4.0, 0.2, -2.0]], np.float32)  # column norms 5, ~0.224, 2


def col_norms(x, axis=0):
    return np.sqrt((x.astype(np.float64) ** 2).sum(axis=axis))


def test_non_neg():
    np.testing.assert_array_equal(apply(constraints.NonNeg(), W), np.maximum(W, 0))


def test_unit_norm_columns_and_rows():
    np.testing.assert_allclose(col_norms(apply(constraints.UnitNorm(), W)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(col_norms(apply(constraints.UnitNorm(axis=1), W), 1), 1.0, rtol=1e-5)


def test_max_norm_only_shrinks_long_columns():
    out = apply(constraints.MaxNorm(max_value=1.0), W)
    np.testing.assert_allclose(col_norms(out), [1.0, col_norms(W)[1], 1.0], rtol=1e-5)
    np.testing.assert_allclose(out[:, 1], W[:, 1], rtol=1e-5)  # short column untouched
    np.testing.assert_allclose(out[:, 0], W[:, 0] / 5.0, rtol=1e-5)  # direction kept


def test_min_max_norm_and_rate():
    strict = apply(constraints.MinMaxNorm(min_value=0.5, max_value=3.0), W)
    np.testing.assert_allclose(col_norms(strict), [3.0, 0.5, 2.0], rtol=1e-5)
    half = apply(constraints.MinMaxNorm(min_value=0.5, max_value=3.0, rate=0.5), W)
    n = col_norms(W)
    np.testing.assert_allclose(col_norms(half), 0.5 * np.clip(n, 0.5, 3.0) + 0.5 * n, rtol=1e-5)


def test_conv_kernel_norms_over_several_axes():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 4, 5)).astype(np.float32) * 3
    out = apply(constraints.MaxNorm(max_value=2.0, axis=[0, 1, 2]), kernel)
    norms = np.sqrt((out.astype(np.float64) ** 2).sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(norms, 2.0, rtol=1e-5)


def test_accepts_variables_and_tensors_and_keeps_dtype():
    var = kerasx.Variable(current().asarray(W))
    out = constraints.NonNeg()(var)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), np.maximum(W, 0))
    t = kerasx.ops.convert_to_tensor(W.astype(np.float64))
    assert constraints.UnitNorm()(t).dtype == "float64"


def _train(layer, x, y, steps=5, lr=0.5):
    model = kerasx.Sequential([kerasx.Input((x.shape[1],)), layer])
    model.compile(optimizer=kerasx.optimizers.SGD(learning_rate=lr), loss="mse")
    model.fit(x, y, epochs=steps, batch_size=len(x), verbose=0, shuffle=False)
    return model


def test_non_neg_holds_after_training_steps():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (x @ -np.ones((4, 2))).astype(np.float32)  # the unconstrained optimum is negative
    layer = kerasx.layers.Dense(2, kernel_constraint=constraints.non_neg(),
                                bias_constraint="non_neg",
                                kernel_initializer=kerasx.initializers.Constant(0.3))
    _train(layer, x, y)
    kernel = layer.kernel.numpy()
    assert kernel.min() >= 0.0 and layer.bias.numpy().min() >= 0.0
    assert np.any(kernel == 0.0)  # the constraint was active, not just never triggered


def test_max_norm_holds_after_training_steps():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    y = (x @ (5 * rng.normal(size=(6, 3)))).astype(np.float32)
    layer = kerasx.layers.Dense(3, kernel_constraint=constraints.MaxNorm(max_value=1.0))
    _train(layer, x, y, lr=0.1)
    norms = col_norms(layer.kernel.numpy())
    assert norms.max() <= 1.0 + 1e-5
    np.testing.assert_allclose(norms, 1.0, rtol=1e-4)  # large targets push every column out


def test_unit_norm_holds_after_training_steps():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    layer = kerasx.layers.Dense(2, kernel_constraint="unit_norm")
    _train(layer, x, y, steps=3)
    np.testing.assert_allclose(col_norms(layer.kernel.numpy()), 1.0, rtol=1e-5)


# -- identifiers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("non_neg", "NonNeg"), ("NonNeg", "NonNeg"), ("unit_norm", "UnitNorm"),
    ("max_norm", "MaxNorm"), ("MaxNorm", "MaxNorm"), ("min_max_norm", "MinMaxNorm")])
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is getattr(constraints, cls)


def test_aliases_and_other_identifiers():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.get(None) is None
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    got = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert (got.max_value, got.axis) == (3, 1)
    fn = lambda w: w  # noqa: E731
    assert constraints.get(fn) is fn


@pytest.mark.parametrize("constraint", [
    constraints.NonNeg(), constraints.UnitNorm(axis=1), constraints.MaxNorm(1.5, axis=[0, 1]),
    constraints.MinMaxNorm(0.5, 2.0, 0.3, 1)], ids=lambda c: type(c).__name__)
def test_config_round_trip(constraint):
    copy = constraints.deserialize(constraints.serialize(constraint))
    assert type(copy) is type(constraint) and copy.get_config() == constraint.get_config()
    w = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_array_equal(apply(copy, w), apply(constraint, w))


# -- errors -----------------------------------------------------------------------------------
def test_max_norm_rejects_a_negative_max_value():
    with pytest.raises(ValueError, match=r"MaxNorm: `max_value` must be a non-negative number "
                                         r"\(a norm\), received max_value=-1"):
        constraints.MaxNorm(max_value=-1)


def test_min_max_norm_rejects_bad_bounds():
    with pytest.raises(ValueError, match=r"max_value must not be less than min_value, received "
                                         r"min_value=2, max_value=1"):
        constraints.MinMaxNorm(min_value=2, max_value=1)
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\], received rate=2"):
        constraints.MinMaxNorm(rate=2)


def test_bad_axis():
    with pytest.raises(TypeError, match=r"axis must be an int or a list of ints, received "
                                        r"axis='rows'"):
        constraints.UnitNorm(axis="rows")
    with pytest.raises(ValueError, match=r"axis=3 is out of range for weights of shape \(2, 3\)"):
        constraints.UnitNorm(axis=3)(current().asarray(W))


def test_unknown_name_suggests_the_closest():
    # a name differing only in case first, then the closest others
    with pytest.raises(ValueError, match=r"Unknown constraint: 'nonneg'\. Did you mean "
                                         r"'NonNeg' or 'non_neg'"):
        constraints.get("nonneg")
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier: 1\.5"):
        constraints.get(1.5)


def test_the_seed_course_spelling_non_neg_with_axis_builds_a_constrained_model():
    import numpy as np

    import kerasx
    from kerasx import constraints

    model = kerasx.Sequential()
    model.add(kerasx.layers.Dense(16, activation="relu", input_shape=(8,),
                                  kernel_constraint=constraints.non_neg(axis=0)))
    model.add(kerasx.layers.Dense(1))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.random((64, 8), dtype=np.float32), rng.random((64, 1), dtype=np.float32),
              epochs=2, verbose=0)
    assert isinstance(model.layers[0].kernel_constraint, constraints.NonNeg)
    assert model.layers[0].get_weights()[0].min() >= 0.0
