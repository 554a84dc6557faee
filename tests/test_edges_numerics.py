"""Activations and losses at extreme values: infinities, huge logits, half precision.

Expected values are the mathematical limits (checked against a float64 evaluation
where one is needed), which Keras 3 on JAX also gives at these points.
"""

import numpy as np
import pytest

import kerasx
from kerasx import activations, losses, ops
from kerasx.backends import current
from tests.backend_dtypes import has_dtype

HAS_HALF = hasattr(current().xp, "float16")
needs_half = pytest.mark.skipif(
    not HAS_HALF,
    reason="the backend has no float16 / bfloat16 (not array API dtypes)")


needs_bfloat16 = pytest.mark.skipif(
    not has_dtype("bfloat16"),
    reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")


def _grad(fn, x, dtype="float32"):
    x = ops.cast(np.asarray(x, np.float32), dtype)
    with kerasx.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(ops.cast(fn(x), "float32"))
    return np.asarray(ops.convert_to_numpy(tape.gradient(y, x))).astype(np.float64)


@pytest.mark.parametrize("dtype", ["float32", pytest.param("bfloat16", marks=needs_bfloat16)])
def test_leaky_relu_gradient_at_negative_infinity_is_the_slope(dtype):
    x = [-np.inf, -3.0, -1e-30, 0.0, 2.0, np.inf]
    for slope in (0.2, 0.5):
        dx = _grad(lambda v: activations.leaky_relu(v, negative_slope=slope), x, dtype)
        s = float(np.float32(slope)) if dtype == "float32" else slope
        np.testing.assert_allclose(dx, [s, s, s, 1.0, 1.0, 1.0], rtol=1e-2)


def test_hard_silu_gradient_at_infinities():
    dx = _grad(activations.hard_silu, [-np.inf, -1e30, -4.0, 1.5, 4.0, 1e30, np.inf])
    np.testing.assert_allclose(dx, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    assert np.isnan(_grad(activations.hard_silu, [np.nan])).all()


@needs_half
@pytest.mark.parametrize("dtype", ["float16", pytest.param("bfloat16", marks=needs_bfloat16)])
@pytest.mark.parametrize("name", ["selu", "elu"])
def test_elu_family_gradient_vanishes_far_below_zero_in_half_precision(name, dtype):
    # float64 slopes: scale * alpha * exp(x) for x <= 0; the output-based form
    # `out + scale * alpha` left a rounding error of the half type (0.008 in bfloat16)
    x = np.array([-1e4, -30.0, -8.0, -1.0, -0.25], np.float32)
    scale, alpha = (1.0507009873554805, 1.6732632423543772) if name == "selu" else (1.0, 1.0)
    x_half = np.asarray(ops.convert_to_numpy(ops.cast(x, dtype))).astype(np.float64)
    want = scale * alpha * np.exp(x_half)
    dx = _grad(getattr(activations, name), x, dtype)
    np.testing.assert_allclose(dx, want, rtol=2e-2, atol=1e-6)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x)).tolist()


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_binary_crossentropy_from_infinite_logits_is_infinite(smoothing):
    # wrong-side infinite logits cost inf for any smoothing (max(z, 0) - z * t gave NaN)
    y_true = np.array([[1.0, 0.0]], np.float32)
    y_pred = np.array([[-np.inf, np.inf]], np.float32)
    per_entry = losses.binary_crossentropy(y_true, y_pred, from_logits=True,
                                           label_smoothing=smoothing)
    assert _numpy(per_entry) == [np.inf]
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)
    assert _numpy(loss(y_true, y_pred)) == np.inf


def test_smoothed_binary_crossentropy_of_right_side_infinite_logits_is_infinite():
    # smoothed targets 0.95 / 0.05: 0.05 * inf for right-side infinite logits
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    value = loss(np.array([[1.0, 0.0]], np.float32), np.array([[np.inf, -np.inf]], np.float32))
    assert _numpy(value) == np.inf


def test_binary_crossentropy_from_huge_logits_is_exact():
    y_true = np.array([[1.0, 0.0, 1.0, 0.0]], np.float32)
    y_pred = np.array([[-1e4, 1e4, 1e4, -1e4]], np.float32)
    value = losses.binary_crossentropy(y_true, y_pred, from_logits=True)
    np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(value)), [5e3], rtol=1e-6)


def test_tanh_gelu_of_the_largest_floats_does_not_overflow():
    x = np.array([3.4e38, -3.4e38, 1e30, 2.0], np.float32)
    y = np.asarray(ops.convert_to_numpy(activations.gelu(x, approximate=True)))
    np.testing.assert_allclose(y[[0, 2]], x[[0, 2]], rtol=1e-7)
    assert y[1] == 0.0
    np.testing.assert_allclose(y[3], 1.9545977, rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "mean_with_sample_weight"])
def test_ignore_class_with_one_weight_per_sample_on_per_timestep_losses(reduction):
    # a (batch,) weight applies to every timestep, with or without ignored labels
    rng = np.random.default_rng(0)
    y_true = np.array([[0, 2, 1], [1, 1, 0]], np.int32)
    y_pred = rng.normal(size=(2, 3, 4)).astype(np.float32)
    weight = np.array([1.0, 3.0], np.float32)
    per_step = np.asarray(ops.convert_to_numpy(losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="none")(y_true, y_pred))).astype(np.float64)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0,
                                                reduction=reduction)
    got = float(np.asarray(ops.convert_to_numpy(loss(y_true, y_pred, sample_weight=weight))))
    valid = y_true != 0
    total = (per_step * weight[:, None] * valid).sum()
    want = {"sum": total, "sum_over_batch_size": total / valid.sum(),
            "mean_with_sample_weight": total / (weight[:, None] * valid).sum()}[reduction]
    np.testing.assert_allclose(got, want, rtol=1e-5)


@needs_bfloat16
def test_unit_normalization_gradient_keeps_bfloat16():
    layer = kerasx.layers.UnitNormalization(dtype="bfloat16")
    x = ops.cast(np.array([[3.0, 4.0], [0.0, 0.0], [1e30, 1.0]], np.float32), "bfloat16")
    with kerasx.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        total = ops.sum(ops.cast(y, "float32") * np.array([1.0, 2.0], np.float32))
    dx = tape.gradient(total, x)
    assert str(y.dtype) == str(dx.dtype) == "bfloat16"
    # rows of norm 5 and 1e30: (proj - y * (y . proj)) / norm; the zero row: proj / 1e-12
    dx = np.asarray(ops.convert_to_numpy(dx)).astype(np.float64)
    np.testing.assert_allclose(dx[0], [-0.064, 0.048], rtol=2e-2)
    np.testing.assert_allclose(dx[1], [1e12, 2e12], rtol=2e-2)


def _second_order(fn, x, dtype="float32"):
    """(first, second) derivatives of `sum(fn(x))` by nested tapes."""
    x = ops.cast(np.asarray(x, np.float32), dtype)
    with kerasx.GradientTape() as outer:
        outer.watch(x)
        with kerasx.GradientTape() as inner:
            inner.watch(x)
            y = ops.sum(ops.cast(fn(x), "float32"))
        dx = inner.gradient(y, x)
        total = ops.sum(ops.cast(dx, "float32"))
    ddx = outer.gradient(total, x)
    return (np.asarray(ops.convert_to_numpy(dx)).astype(np.float64),
            np.asarray(ops.convert_to_numpy(ddx)).astype(np.float64))


def test_hard_silu_second_order_at_infinities():
    dx, ddx = _second_order(activations.hard_silu, [-np.inf, -4.0, 1.5, 4.0, np.inf])
    np.testing.assert_allclose(dx, [0.0, 0.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(ddx, [0.0, 0.0, 1.0 / 3.0, 0.0, 0.0], rtol=1e-6)


@needs_bfloat16
def test_selu_second_order_in_bfloat16_vanishes_far_below_zero():
    dx, ddx = _second_order(activations.selu, [-1e4, -30.0, -1.0], "bfloat16")
    want = 1.0507009873554805 * 1.6732632423543772 * np.exp([-np.inf, -30.0, -1.0])
    np.testing.assert_allclose(dx, want, rtol=2e-2, atol=1e-6)
    np.testing.assert_allclose(ddx, want, rtol=2e-2, atol=1e-6)


# Where Keras on JAX differs, the values below are the float64 ones (see tests/golden/README.md's
# row of `fuzz_edges`): XLA on CPU flushes subnormals to zero, and JAX's float16 softsign
# gradient overflows in its quotient rule.

def test_gradients_at_subnormal_inputs_take_their_sign():
    x = [1e-40, -1e-40, 1e-30]
    np.testing.assert_array_equal(_grad(activations.relu, x), [1.0, 0.0, 1.0])
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    np.testing.assert_allclose(_grad(activations.selu, x), [scale, scale * alpha, scale],
                               rtol=1e-6)


@needs_half
def test_float16_normalization_of_constant_data_is_zero():
    layer = kerasx.layers.Normalization(dtype="float16")
    data = np.full((4, 3), 2.0, np.float16)
    layer.adapt(data)
    assert np.asarray(ops.convert_to_numpy(layer(data))).tolist() == [[0.0] * 3] * 4


@needs_half
def test_float16_softsign_gradient_is_the_rounded_slope():
    dx = _grad(activations.softsign, [1e4, 100.0, -3.0], "float16")
    np.testing.assert_allclose(dx, [0.0, 1 / 101 ** 2, 1 / 16], rtol=2e-3, atol=0)
