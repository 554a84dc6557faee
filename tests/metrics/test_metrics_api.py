"""Metric names, every loss as a metric, confusion counts, the confusion matrix, bad input."""

import numpy as np
import pytest

import kerasx
from kerasx import losses, metrics, ops
from kerasx.backends import current
from kerasx.metrics import metrics_utils

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("name,cls", [
    ("accuracy", metrics.Accuracy), ("acc", metrics.Accuracy),
    ("binary_accuracy", metrics.BinaryAccuracy),
    ("categorical_accuracy", metrics.CategoricalAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("cosine_similarity", metrics.CosineSimilarity), ("cosine_proximity", metrics.CosineSimilarity),
    ("mse", metrics.MeanSquaredError), ("mae", metrics.MeanAbsoluteError),
    ("mape", metrics.MeanAbsolutePercentageError), ("msle", metrics.MeanSquaredLogarithmicError),
    ("rmse", metrics.RootMeanSquaredError),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("logcosh", metrics.LogCoshError), ("r2_score", metrics.R2Score), ("R2Score", metrics.R2Score),
    ("precision", metrics.Precision), ("recall", metrics.Recall), ("auc", metrics.AUC),
    ("AUC", metrics.AUC), ("f1_score", metrics.F1Score), ("fbeta_score", metrics.FBetaScore),
    ("true_positives", metrics.TruePositives), ("false_negatives", metrics.FalseNegatives),
    ("binary_crossentropy", metrics.BinaryCrossentropy), ("kld", metrics.KLDivergence),
    ("poisson", metrics.Poisson), ("hinge", metrics.Hinge),
    ("categorical_hinge", metrics.CategoricalHinge),
])
def test_get_by_name(name, cls):
    assert type(metrics.get(name)) is cls


LOSS_NAMES = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "squared_hinge", "hinge", "categorical_hinge",
              "log_cosh", "huber", "categorical_crossentropy", "binary_crossentropy",
              "binary_focal_crossentropy", "categorical_focal_crossentropy", "kl_divergence",
              "poisson", "Huber", "LogCosh", "CategoricalFocalCrossentropy"]


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_every_loss_is_a_metric(name):
    y_true = np.eye(4, dtype=np.float32)[[0, 1, 3, 2, 1]]
    y_pred = RNG.uniform(0.1, 0.9, (5, 4)).astype(np.float32)
    metric = metrics.get(name)
    loss = losses.get(name)
    loss = loss if isinstance(loss, losses.Loss) else losses.LossFunctionWrapper(loss)
    metric.update_state(y_true[:2], y_pred[:2])
    metric.update_state(y_true[2:], y_pred[2:])
    np.testing.assert_allclose(float(metric.result()), float(loss(y_true, y_pred)), rtol=1e-5)


def test_sparse_loss_as_metric_and_function_metric():
    y, p = np.array([0, 2, 1]), np.array([[.7, .2, .1], [.1, .1, .8], [.3, .4, .3]], np.float32)
    metric = metrics.get("sparse_categorical_crossentropy")
    metric.update_state(y, p)
    np.testing.assert_allclose(float(metric.result()), -np.log(p[[0, 1, 2], y]).mean(), rtol=1e-6)
    wrapped = metrics.get(losses.huber)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "huber"


def test_unknown_metric_suggests():
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'.*Did you mean 'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match=r"Did you mean 'precision'"):
        metrics.get("precison")


def test_call_accumulates_like_keras_3():
    m = metrics.Mean()
    assert float(m([1.0, 3.0])) == 2.0
    assert float(m([5.0])) == 3.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_default_names_are_unique_like_keras():
    kerasx.utils.clear_session(free_memory=False)
    assert [metrics.Precision().name, metrics.Precision().name, metrics.AUC().name] == \
        ["precision", "precision_1", "auc"]
    assert metrics.Precision(name="p").name == "p"


def test_state_stays_on_the_device():
    m = metrics.AUC()
    m.update_state(np.array([0, 1, 1, 0]), np.array([0.1, 0.8, 0.4, 0.3], np.float32))
    backend = current()
    assert all(backend.is_native(v.value) for v in m.variables)
    result = m.result()
    assert isinstance(result, kerasx.autodiff.Tensor)
    # the result is an array of the backend's library (on NumPy a 0-d result may be a NumPy scalar)
    library = type(m.variables[0].value).__module__.split(".")[0]
    assert type(result.value).__module__.split(".")[0] == library


@pytest.mark.parametrize("cls,sparse", [(metrics.TopKCategoricalAccuracy, False),
                                        (metrics.SparseTopKCategoricalAccuracy, True)])
def test_k_larger_than_classes(cls, sparse):
    # as Keras (checked with Keras 3.15.1): every prediction counts when k >= classes
    y_pred = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]], np.float32)
    y_true = np.array([0, 1]) if sparse else np.eye(3, dtype=np.float32)[[0, 1]]
    assert float(cls()(y_true, y_pred)) == 1.0
    assert float(cls(k=4)(y_true, y_pred)) == 1.0
    with pytest.raises(ValueError, match=r"k must be a positive integer, received k=0"):
        cls(k=0)(y_true, y_pred)
    assert float(cls(k=3)(y_true, y_pred)) == 1.0


def test_top_k_ties_count_for_the_label():
    y_pred = np.array([[0.3, 0.3, 0.2, 0.2], [0.1, 0.2, 0.3, 0.4]], np.float32)
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state(np.array([1, 2]), y_pred)
    assert float(m.result()) == 0.5


def test_confusion_matrix():
    labels = np.array([0, 1, 2, 2, 1, 0, 2])
    preds = np.array([0, 2, 2, 1, 1, 0, 2])
    cm = metrics.confusion_matrix(labels, preds, num_classes=3)
    expected = np.zeros((3, 3), np.int32)
    np.add.at(expected, (labels, preds), 1)
    assert cm.dtype == "int32"
    np.testing.assert_array_equal(cm.numpy(), expected)
    w = np.linspace(0.5, 2.0, 7).astype(np.float32)
    weighted = metrics.confusion_matrix(labels, preds, 3, weights=w, dtype="float32")
    expected_w = np.zeros((3, 3), np.float32)
    np.add.at(expected_w, (labels, preds), w)
    np.testing.assert_allclose(weighted.numpy(), expected_w, rtol=1e-6)
    with pytest.raises(ValueError, match=r"same number of entries.*\(7,\) and \(21,\).*argmax"):
        metrics.confusion_matrix(labels, np.zeros((7, 3)), 3)


@pytest.mark.parametrize("multi_label", [False, True])
def test_bucket_counting_equals_threshold_comparison(multi_label):
    """The sort-based count for evenly spaced thresholds gives the same counts as
    comparing every score with every threshold."""
    backend = current()
    xp = backend.xp
    n_thr = 11
    thresholds = [i / (n_thr - 1) for i in range(n_thr)]
    y_true = RNG.integers(0, 2, (50, 3)).astype(np.float32)
    y_pred = (RNG.uniform(0, 1, (50, 3)) * 0.999 + 0.0003).astype(np.float32)
    sw = RNG.uniform(0, 2, (50, 1)).astype(np.float32)
    args = [backend.asarray(a) for a in (y_true, y_pred, sw)]
    fast = metrics_utils._bucket_counts(xp, backend, args[0], args[1], n_thr, multi_label, args[2],
                                        None, False)
    slow = metrics_utils._threshold_counts(xp, backend, args[0], args[1], thresholds, multi_label,
                                           args[2], None, ("tp", "fp", "tn", "fn"))
    assert set(metrics_utils._threshold_counts(xp, backend, args[0], args[1], thresholds,
                                               multi_label, args[2], None, ("fn",))) == {"fn"}
    for key in ("tp", "fp", "tn", "fn"):
        np.testing.assert_allclose(backend.to_numpy(fast[key]), backend.to_numpy(slow[key]),
                                   rtol=1e-5, atol=1e-4, err_msg=key)


def test_threshold_metrics_against_brute_force():
    y = RNG.integers(0, 2, 200).astype(np.float32)
    p = np.clip(y * 0.3 + RNG.uniform(0, 0.7, 200), 0, 1).astype(np.float32)
    tp = lambda t: ((p > t) & (y == 1)).sum()  # noqa: E731
    fp = lambda t: ((p > t) & (y == 0)).sum()  # noqa: E731
    fn = lambda t: ((p <= t) & (y == 1)).sum()  # noqa: E731
    prec = metrics.Precision(thresholds=[0.3, 0.6])
    prec.update_state(y, p)
    np.testing.assert_allclose(prec.result().numpy(), [tp(t) / (tp(t) + fp(t)) for t in (0.3, 0.6)],
                               rtol=1e-6)
    rec = metrics.Recall(thresholds=0.45)
    rec.update_state(y, p)
    np.testing.assert_allclose(float(rec.result()), tp(0.45) / (tp(0.45) + fn(0.45)), rtol=1e-6)
    at = metrics.PrecisionAtRecall(recall=0.8, num_thresholds=101)
    at.update_state(y, p)
    grid = np.linspace(0, 1, 101)
    recalls = np.array([tp(t) / (tp(t) + fn(t)) for t in grid])
    precisions = np.array([tp(t) / max(tp(t) + fp(t), 1) for t in grid])
    np.testing.assert_allclose(float(at.result()), precisions[recalls >= 0.8].max(), rtol=1e-5)
    roc = metrics.AUC(num_thresholds=1000)
    roc.update_state(y, p)
    pos, neg = p[y == 1], p[y == 0]
    exact = ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    assert abs(float(roc.result()) - exact) < 5e-3


def test_bad_arguments():
    with pytest.raises(ValueError, match=r'Invalid AUC curve value: "ROCK"'):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match=r'summation method value: "trapezoid"'):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError,
                       match=r"Invalid `average` argument value.*Received: average=mean"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs.*y.reshape\(-1, 1\)"):
        metrics.R2Score().update_state(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"It should be > 0. Received: beta=-1.0"):
        metrics.FBetaScore(beta=-1.0)


def test_metrics_in_compile_and_fit(digits):
    x, y, _, _ = digits
    model = kerasx.Sequential([kerasx.Input((64,)), kerasx.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", metrics.SparseTopKCategoricalAccuracy(k=3)])
    history = model.fit(x[:128], y[:128], epochs=1, batch_size=64, verbose=0)
    assert {"accuracy", "sparse_top_k_categorical_accuracy", "loss"} <= set(history.history)
    top3 = history.history["sparse_top_k_categorical_accuracy"][0]
    assert history.history["accuracy"][0] <= top3 <= 1.0


def test_mask_of_predictions_is_respected():
    y_pred = ops.convert_to_tensor(np.array([[1.0], [2.0], [9.0]], np.float32))
    y_pred._keras_mask = ops.convert_to_tensor(np.array([True, True, False]))
    m = metrics.MeanAbsoluteError()
    m.update_state(np.zeros((3, 1), np.float32), y_pred)
    assert float(m.result()) == 1.5


@pytest.mark.parametrize("make", [lambda: metrics.Mean(dtype="float64"),
                                  lambda: metrics.AUC(num_thresholds=7),
                                  lambda: metrics.F1Score(average="macro"),
                                  lambda: metrics.R2Score()])
def test_reset_state_zeroes_every_variable_keeping_its_shape_and_dtype(make):
    m = make()
    if isinstance(m, metrics.Mean):
        m.update_state([2.0, 4.0])
    else:
        m.update_state(np.array([[1.0, 0.0], [0.0, 1.0]], "float32"),
                       np.array([[0.8, 0.3], [0.4, 0.9]], "float32"))
    before = [(tuple(v.shape), v.value.dtype) for v in m.variables]
    assert any(np.any(current().to_numpy(v.value) != 0) for v in m.variables)
    m.reset_state()
    assert [(tuple(v.shape), v.value.dtype) for v in m.variables] == before
    for v in m.variables:
        np.testing.assert_array_equal(current().to_numpy(v.value), 0)


@pytest.mark.parametrize("make", [lambda: metrics.AUC(num_thresholds=5),
                                  lambda: metrics.AUC(num_thresholds=5, multi_label=True),
                                  lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=5)])
def test_a_nan_score_counts_at_no_threshold_without_a_warning(make):
    """Bucketed counts (evenly spaced thresholds, with and without the moved end points):
    the NaN sample adds to no tp / fp, so its label counts as a false negative or a true
    negative everywhere; the cast of its bucket no longer warns."""
    import warnings

    y_true = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]], "float32")
    y_pred = np.array([[0.9], [0.3], [0.6], [0.1], [np.nan]], "float32")
    keep = slice(0, 4)
    with_nan, without = make(), make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with_nan.update_state(y_true, y_pred)
    without.update_state(y_true[keep], y_pred[keep])
    counts = {v.name: current().to_numpy(v.value) for v in with_nan.variables}
    reference = {v.name: current().to_numpy(v.value) for v in without.variables}
    np.testing.assert_array_equal(counts["true_positives"], reference["true_positives"])
    np.testing.assert_array_equal(counts["false_positives"], reference["false_positives"])
    np.testing.assert_array_equal(counts["true_negatives"], reference["true_negatives"])
    np.testing.assert_array_equal(counts["false_negatives"], reference["false_negatives"] + 1)


def test_threshold_arrays_are_kept_per_thresholds_and_dtype():
    y_true = np.array([1.0, 0.0, 1.0, 1.0], "float32")
    y_pred = np.array([0.6, 0.4, 0.2, 0.8], "float32")
    low, high = metrics.Precision(thresholds=[0.3, 0.7]), metrics.Precision(thresholds=[0.1, 0.5])
    wide = metrics.Precision(thresholds=[0.3, 0.7], dtype="float64")
    for m in (low, high, wide, low):
        m.update_state(y_true, y_pred)
    np.testing.assert_allclose(current().to_numpy(low.result()), [2 / 3, 1.0], rtol=1e-6)
    np.testing.assert_allclose(current().to_numpy(high.result()), [0.75, 1.0], rtol=1e-6)
    # Keras 3.15.1 (NumPy backend too) keeps the counts in floatx whatever the metric's dtype
    assert current().to_numpy(wide.result()).dtype == np.float32
    np.testing.assert_allclose(current().to_numpy(wide.result()), [2 / 3, 1.0], rtol=1e-6)
    a = metrics_utils._threshold_array(current(), (0.3, 0.7), "float32")
    assert a is metrics_utils._threshold_array(current(), (0.3, 0.7), "float32")
    assert current().to_numpy(metrics_utils._threshold_array(current(), (0.3, 0.7),
                                                             "float64")).dtype == np.float64
