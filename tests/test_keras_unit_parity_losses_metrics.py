"""Losses, metrics, initializers and regularizers as Keras 3's own unit tests expect them:
state tracked in nested containers, dtype policies as `dtype`, AUC's curve enums, the
per-head fans of attention projections, the Tukey window, boolean predictions in
BinaryAccuracy, and Keras's error messages for bad arguments."""

import math

import numpy as np
import pytest

import kerasx as keras
from kerasx import initializers, losses, metrics, regularizers
from kerasx.backends import current
from kerasx.initializers.stft_initializer import window_values
from kerasx.metrics import metrics_utils

HAS_FLOAT16 = hasattr(current().xp, "float16")
needs_float16 = pytest.mark.skipif(
    not HAS_FLOAT16,
    reason="the backend has no float16 (not an array API dtype; array_api_strict lacks it)")


class _Sum(metrics.Metric):
    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count", dtype="int32")


def test_metric_tracks_variables_in_dicts_and_nested_structures():
    metric = _Sum()
    metric.more = {"a": keras.Variable(0.0), "b": keras.Variable(1.0)}
    assert len(metric.variables) == 4
    metric = _Sum()
    metric.more = {"a": [keras.Variable(0.0), keras.Variable(1.0)]}
    assert len(metric.variables) == 4


def test_metric_tracks_sub_metrics_in_dicts():
    metric = _Sum()
    metric.parts = {"1": _Sum(name="s1"), "2": _Sum(name="s2")}
    assert len(metric.variables) == 6
    metric.reset_state()
    assert all(float(v) == 0.0 for v in metric.variables)


@needs_float16
@pytest.mark.parametrize("dtype", ["mixed_float16", "policy"])
def test_a_dtype_policy_as_dtype_gives_its_compute_dtype(dtype):
    if dtype == "policy":
        dtype = keras.dtype_policies.DTypePolicy("mixed_float16")
    y_true, y_pred = np.array([1.0, 2.0], "float32"), np.array([1.5, 2.0], "float32")
    loss = losses.MeanSquaredError(dtype=dtype)
    assert loss.dtype == "float16"
    assert keras.backend.standardize_dtype(loss(y_true, y_pred).dtype) == "float16"
    metric = metrics.MeanSquaredError(dtype=dtype)
    metric.update_state(y_true, y_pred)
    # Keras 3.15.1 gives float16 results and variables, and config dtype "float16"
    assert keras.backend.standardize_dtype(metric.result().dtype) == "float16"
    assert [keras.backend.standardize_dtype(v.dtype) for v in metric.variables] == [
        "float16", "float16"]
    assert metric.get_config()["dtype"] == "float16"
    assert float(metric.result()) == pytest.approx(0.125)


def test_auc_curve_and_summation_method_are_keras_enums():
    auc = metrics.AUC(curve="PR", summation_method="majoring")
    assert auc.curve is metrics_utils.AUCCurve.PR and auc.curve == "PR"
    assert auc.summation_method is metrics_utils.AUCSummationMethod.MAJORING
    config = auc.get_config()
    assert type(config["curve"]) is str and config["curve"] == "PR"
    assert type(config["summation_method"]) is str and config["summation_method"] == "majoring"
    again = metrics.AUC.from_config(config)
    assert again.curve is metrics_utils.AUCCurve.PR
    assert metrics.AUC(curve=metrics_utils.AUCCurve.ROC).curve is metrics_utils.AUCCurve.ROC


def _glorot_limit(fan_in, fan_out):
    return math.sqrt(6.0 / (fan_in + fan_out))


def test_attention_projection_kernels_are_scaled_per_head():
    # EinsumDense projections in Keras 3.15.1 take their fans from the kernel axes shared
    # with the input and with the output: (dim) -> (heads, key_dim) and back.
    keras.utils.set_random_seed(1)
    mha = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16)
    mha.build((None, 10, 32), (None, 10, 24))
    expected = {"query_dense": (32, 128), "key_dense": (24, 128), "value_dense": (24, 128),
                "output_dense": (128, 32)}
    for name, (fan_in, fan_out) in expected.items():
        kernel = keras.ops.convert_to_numpy(getattr(mha, name).kernel)
        limit = _glorot_limit(fan_in, fan_out)
        assert np.abs(kernel).max() <= limit
        assert np.std(kernel) == pytest.approx(limit / math.sqrt(3.0), rel=0.08), name


def test_lecun_normal_query_projection_has_the_variance_of_its_input_width():
    keras.utils.set_random_seed(1337)
    mha = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16,
                                          kernel_initializer="lecun_normal")
    mha.build((None, 10, 32), (None, 10, 32))
    kernel = keras.ops.convert_to_numpy(mha.query_dense.kernel)
    assert np.std(kernel) == pytest.approx(math.sqrt(1.0 / 32), rel=0.08)


def test_group_query_attention_key_projection_is_scaled_per_head():
    keras.utils.set_random_seed(2)
    gqa = keras.layers.GroupQueryAttention(head_dim=16, num_query_heads=8,
                                           num_key_value_heads=2)
    gqa.build((None, 10, 32), (None, 10, 24))
    kernel = keras.ops.convert_to_numpy(gqa._key_dense.kernel)
    limit = _glorot_limit(24, 32)
    assert np.abs(kernel).max() <= limit
    assert np.std(kernel) == pytest.approx(limit / math.sqrt(3.0), rel=0.1)


def _tukey(m, alpha=0.5):
    """SciPy's documented Tukey window: cosine lobes of width alpha * (m - 1) / 2."""
    n = np.arange(m, dtype="float64")
    x = n / (m - 1)
    w = np.ones(m)
    left = x < alpha / 2
    right = x > 1 - alpha / 2
    w[left] = 0.5 * (1 + np.cos(np.pi * (2 * x[left] / alpha - 1)))
    w[right] = 0.5 * (1 + np.cos(np.pi * (2 * x[right] / alpha - 2 / alpha + 1)))
    return w


@pytest.mark.parametrize("m", [5, 16, 33, 256])
def test_tukey_window(m):
    np.testing.assert_allclose(window_values("tukey", m), _tukey(m), atol=1e-12)
    np.testing.assert_allclose(window_values("tukey", m, periodic=True), _tukey(m + 1)[:-1],
                               atol=1e-12)


def test_stft_initializer_with_a_tukey_window():
    values = keras.ops.convert_to_numpy(
        initializers.STFT("imag", "tukey", "density", periodic=False)((64, 1, 33), "float64"))
    window = _tukey(64)
    window = window / np.sqrt(np.sum(window ** 2))
    frequency = -2 * np.pi * np.arange(64)[:, None] * np.arange(33)[None, :] / 64
    np.testing.assert_allclose(values[:, 0, :], np.sin(frequency) * window[:, None],
                               atol=1e-6)


def test_binary_accuracy_reads_boolean_predictions_as_zero_or_one():
    y = np.array([[True, False, True], [False, False, True]])
    p = np.array([[True, True, True], [False, True, False]])
    # Keras 3.15.1 gives 0.5, 1.0, 0.5, 0.0 and 0.5
    assert float(metrics.BinaryAccuracy()(y, p)) == pytest.approx(0.5)
    assert float(metrics.BinaryAccuracy()(y[:, :1], p[:, :1])) == pytest.approx(1.0)
    assert float(metrics.BinaryAccuracy(threshold=0.0)(y, p)) == pytest.approx(0.5)
    assert float(metrics.BinaryAccuracy()(y[:, 1:2], p[:, 1:2])) == pytest.approx(0.0)
    assert float(metrics.BinaryAccuracy()(y.astype("float32"), p)) == pytest.approx(0.5)


def _update(metric, y_true, y_pred):
    return lambda: metric.update_state(np.asarray(y_true), np.asarray(y_pred))


# (what raises, the message Keras 3.15.1's unit tests match)
BAD_ARGUMENTS = {
    "reduction": (lambda: losses.Hinge(reduction="abc"),
                  r"Invalid value for argument `reduction`.*Received: reduction='abc'"),
    "bce_shapes": (lambda: losses.BinaryCrossentropy()(
        np.array([[0], [1], [2]]), np.full((3, 3), 0.5)),
        r"must have the same shape. Received: target.shape=\(3, 1\), output.shape=\(3, 3\)"),
    "cce_shapes": (lambda: losses.CategoricalCrossentropy()(
        np.array([[0], [1], [2]]), np.full((3, 3), 0.5)), r"must have the same shape"),
    "fbeta_beta_type": (lambda: metrics.FBetaScore(beta=1),
                        r"Invalid `beta` argument value. It should be a Python float."),
    "fbeta_beta_sign": (lambda: metrics.FBetaScore(beta=-0.5),
                        r"Invalid `beta` argument value. It should be > 0. Received: beta=-0.5"),
    "fbeta_average": (lambda: metrics.FBetaScore(average="invalid_average"),
                      r"Invalid `average` argument value. Expected one of: \{None, 'micro', "
                      r"'macro', 'weighted'\}. Received: average=invalid_average"),
    "fbeta_threshold_type": (lambda: metrics.FBetaScore(threshold=1),
                             r"Invalid `threshold` argument value. It should be a Python float. "
                             r"Received: threshold=1 of type '<class 'int'>'"),
    "fbeta_threshold_range": (lambda: metrics.FBetaScore(threshold=1.1),
                              r"It should verify 0 < threshold <= 1. Received: threshold=1.1"),
    "fbeta_rank": (_update(metrics.FBetaScore(), np.ones((2, 3, 4)), np.ones((2, 3, 4))),
                   r"FBetaScore expects 2D inputs with shape \(batch_size, output_dim\)\. "
                   r"Received input shapes: y_pred\.shape=\(2, 3, 4\) and "
                   r"y_true\.shape=\(2, 3, 4\)\."),
    "fbeta_unknown_width": (lambda: metrics.FBetaScore()._build((2, None), (2, None)),
                            r"with output_dim fully defined \(not None\)\. Received input "
                            r"shapes: y_pred\.shape=\(2, None\)"),
    "r2_aggregation": (lambda: metrics.R2Score(class_aggregation="wrong"),
                       r"Invalid value for argument `class_aggregation`. Expected one of "
                       r"\(None, 'uniform_average', 'variance_weighted_average'\). "
                       r"Received: class_aggregation=wrong"),
    "r2_regressors": (lambda: metrics.R2Score(num_regressors=-1),
                      r"Invalid value for argument `num_regressors`. Expected a value >= 0. "
                      r"Received: num_regressors=-1"),
    "r2_rank": (_update(metrics.R2Score(), [0.0, 1.0], [0.0, 1.0]),
                r"expects 2D inputs with shape"),
    "auc_curve": (lambda: metrics.AUC(curve="x"),
                  r'Invalid AUC curve value: "x". Expected values are \["PR", "ROC", "PRGAIN"\]'),
    "auc_summation": (lambda: metrics.AUC(summation_method="x"),
                      r'Invalid AUC summation method value: "x". Expected values are '
                      r'\["interpolation", "majoring", "minoring"\]'),
    "auc_thresholds": (lambda: metrics.AUC(num_thresholds=1),
                       r"Argument `num_thresholds` must be an integer > 1. "
                       r"Received: num_thresholds=1"),
    "at_specificity_thresholds": (
        lambda: metrics.SensitivityAtSpecificity(0.4, num_thresholds=-1),
        r"Argument `num_thresholds` must be an integer > 0"),
    "class_id_1d": (lambda: metrics.Precision(class_id=2)(np.array([1.0, 0.0, 1.0]),
                                                          np.array([1.0, 0.0, 1.0])),
                    r"When class_id is provided, y_pred must be a 2D array with shape "
                    r"\(num_samples, num_classes\), found shape:"),
    "orthogonal_mode": (lambda: regularizers.OrthogonalRegularizer(mode="invalid_mode"),
                        r'^Invalid value for argument `mode`. Expected one of \{"rows", '
                        r'"columns"\}. Received: mode=invalid_mode$'),
    "orthogonal_rank": (lambda: regularizers.OrthogonalRegularizer()(np.ones((4, 4, 4))),
                        r"^Inputs to OrthogonalRegularizer must have rank 2. Received: "
                        r"inputs.shape=\(4, 4, 4\)$"),
    "variance_scaling_mode": (lambda: initializers.VarianceScaling(mode="invalid_mode"),
                              r"Invalid `mode` argument:"),
    "variance_scaling_distribution": (
        lambda: initializers.VarianceScaling(distribution="invalid_dist"),
        r"Invalid `distribution` argument:"),
    "variance_scaling_scale": (lambda: initializers.VarianceScaling(scale=-1.0),
                               r"Argument `scale` must be positive float."),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_raise_keras_messages(case):
    make, message = BAD_ARGUMENTS[case]
    with pytest.raises(ValueError, match=message):
        make()


def test_mean_iou_warns_about_float_weights_with_keras_words():
    metric = metrics.MeanIoU(num_classes=2)
    with pytest.warns(Warning, match=r"weight.*float.*int.*casting"):
        metric.update_state([0, 1], [0, 1], sample_weight=np.array([0.5, 1.5]))


def test_relu_with_a_negative_threshold_and_a_cap_clips_from_zero():
    x = np.linspace(-3, 3, 13).astype("float32")
    # Keras 3.15.1 gives these (x between the threshold and 0 is clipped to 0 by the cap)
    expected_leaky = [-0.2, -0.15, -0.1, -0.05, 0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    expected = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    leaky = keras.activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=-1.0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(leaky), expected_leaky, atol=1e-6)
    plain = keras.activations.relu(x, max_value=2.0, threshold=-1.0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(plain), expected, atol=1e-6)


def test_relu_gradient_with_a_negative_threshold_and_a_cap():
    from kerasx.autodiff.tape import GradientTape

    x = np.array([-2.5, -0.5, 0.5, 2.5], "float32")
    v = keras.Variable(x)
    with GradientTape() as tape:
        y = keras.ops.sum(keras.activations.relu(v, negative_slope=0.1, max_value=2.0,
                                                 threshold=-1.0))
    # Keras 3.15.1 (JAX) gives 0.1, 0, 1, 0
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tape.gradient(y, v)),
                               [0.1, 0.0, 1.0, 0.0], atol=1e-7)


def test_an_activation_identifier_of_the_wrong_type_raises_a_value_error():
    # Keras 3.15.1 raises ValueError("Could not interpret activation function identifier: 3")
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 3"):
        keras.activations.get(3)
