"""IoU metrics and correlation metrics: NumPy references, Keras 3 golden values, training
with them, saving them, and their errors."""

import os
import warnings

import numpy as np
import pytest

import kerasx
from kerasx import metrics
from kerasx.backends import current
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

RNG = np.random.default_rng(29)


# -- NumPy references ------------------------------------------------------------------------
def np_confusion(y_true, y_pred, num_classes, weights=None, ignore_class=None):
    """The confusion matrix (rows: labels) of class ids, out-of-range entries left out."""
    t = np.asarray(y_true).reshape(-1).astype(np.int64)
    p = np.asarray(y_pred).reshape(-1).astype(np.int64)
    w = np.ones(t.shape) if weights is None else np.broadcast_to(
        np.asarray(weights, np.float64).reshape(-1), t.shape)
    keep = (t >= 0) & (t < num_classes) & (p >= 0) & (p < num_classes)
    if ignore_class is not None:
        keep &= t != ignore_class
    cm = np.zeros((num_classes, num_classes))
    np.add.at(cm, (t[keep], p[keep]), w[keep])
    return cm


def np_iou(cm, target_class_ids):
    """The mean IoU of the target classes that occur in labels or predictions (0 if none)."""
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    ids = np.asarray(target_class_ids)
    present = union[ids] > 0
    if not present.any():
        return 0.0
    return float(np.mean(tp[ids][present] / union[ids][present]))


def np_pearson(t, p, axis=-1):
    t = t - t.mean(axis=axis, keepdims=True)
    p = p - p.mean(axis=axis, keepdims=True)
    return (t * p).sum(axis=axis) / np.sqrt((t * t).sum(axis=axis) * (p * p).sum(axis=axis))


def np_concordance(t, p, axis=-1):
    cov = ((t - t.mean(axis=axis, keepdims=True)) * (p - p.mean(axis=axis, keepdims=True)))
    return 2 * cov.mean(axis=axis) / (t.var(axis=axis) + p.var(axis=axis)
                                      + (t.mean(axis=axis) - p.mean(axis=axis)) ** 2)


def results_over(metric, batches):
    """`metric.result()` after each batch of `(y_true, y_pred[, sample_weight])`."""
    out = []
    for batch in batches:
        metric.update_state(*batch)
        out.append(float(metric.result()))
    return out


def reference_over(batches, num_classes, target_class_ids, to_ids=lambda b: b, ignore_class=None):
    """The NumPy IoU after each batch, the confusion matrix accumulated over batches."""
    cm, out = np.zeros((num_classes, num_classes)), []
    for batch in batches:
        t, p, *w = to_ids(batch)
        cm += np_confusion(t, p, num_classes, w[0] if w else None, ignore_class)
        out.append(np_iou(cm, target_class_ids))
    return out


def seg_batches(n=3, shape=(2, 5, 5), classes=5, weights=None):
    """Segmentation-like batches: labels in [0, classes - 1) (the last class never occurs),
    predictions in [-1, classes] (some out of range)."""
    batches = []
    for _ in range(n):
        t = RNG.integers(0, classes - 1, shape)
        p = np.where(RNG.uniform(size=shape) < 0.5, t, RNG.integers(-1, classes + 1, shape))
        batch = (t.astype(np.int32), p.astype(np.int32))
        if weights == "int":
            batch += (RNG.integers(0, 4, shape).astype(np.int32),)
        elif weights == "float":
            batch += (RNG.uniform(0, 2, shape).astype(np.float32),)
        batches.append(batch)
    return batches


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- IoU against NumPy -----------------------------------------------------------------------
@pytest.mark.parametrize("make,ids,weights,ignore", [
    (lambda: metrics.MeanIoU(num_classes=5), range(5), None, None),
    (lambda: metrics.IoU(num_classes=5, target_class_ids=[1, 3]), [1, 3], None, None),
    (lambda: metrics.IoU(num_classes=5, target_class_ids=[2]), [2], "int", None),
    (lambda: metrics.MeanIoU(num_classes=5, dtype="float32"), range(5), "float", None),
    (lambda: metrics.MeanIoU(num_classes=5, ignore_class=2), range(5), None, 2),
    (lambda: metrics.IoU(num_classes=5, target_class_ids=[0, 1], ignore_class=1,
                         dtype="float32"), [0, 1], "float", 1),
], ids=["mean", "targets", "int_weights", "float_weights", "ignore_class", "ignore_weighted"])
def test_sparse_iou_matches_numpy_over_batches(make, ids, weights, ignore):
    batches = seg_batches(weights=weights)
    expected = reference_over(batches, 5, list(ids), ignore_class=ignore)
    np.testing.assert_allclose(results_over(make(), batches), expected, rtol=1e-5, atol=1e-7)


def test_one_hot_iou_matches_numpy_and_logits_equal_probabilities():
    batches = []
    for _ in range(3):
        labels = RNG.integers(0, 4, 6)
        logits = RNG.normal(0, 2, (6, 4)).astype(np.float32)
        batches.append((np.eye(4, dtype=np.float32)[labels], logits))
    probs = [(t, softmax(z)) for t, z in batches]
    argmax = lambda b: (np.argmax(b[0], -1), np.argmax(b[1], -1))  # noqa: E731
    for make, ids in ((lambda: metrics.OneHotMeanIoU(num_classes=4), range(4)),
                      (lambda: metrics.OneHotIoU(num_classes=4, target_class_ids=[1, 2]), [1, 2])):
        expected = reference_over(batches, 4, list(ids), argmax)
        from_logits = results_over(make(), batches)
        np.testing.assert_allclose(from_logits, expected, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(results_over(make(), probs), from_logits, rtol=0, atol=0)


def test_dense_inputs_along_a_channels_first_axis():
    labels = RNG.integers(0, 3, (2, 4, 4))
    scores = RNG.uniform(size=(2, 3, 4, 4)).astype(np.float32)
    one_hot = np.moveaxis(np.eye(3, dtype=np.float32)[labels], -1, 1)
    expected = np_iou(np_confusion(labels, scores.argmax(1), 3), range(3))
    for metric, y_true in ((metrics.OneHotMeanIoU(num_classes=3, axis=1), one_hot),
                           (metrics.MeanIoU(num_classes=3, sparse_y_pred=False, axis=1), labels)):
        metric.update_state(y_true, scores)
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5)


def test_one_hot_iou_with_sparse_predictions():
    labels, preds = RNG.integers(0, 3, 8), RNG.integers(0, 3, 8)
    metric = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], sparse_y_pred=True)
    metric.update_state(np.eye(3)[labels], preds)
    np.testing.assert_allclose(float(metric.result()),
                               np_iou(np_confusion(labels, preds, 3), [0, 2]), rtol=1e-5)


def test_sparse_labels_with_score_predictions():
    labels = RNG.integers(0, 4, (10, 1))
    scores = RNG.uniform(size=(10, 4)).astype(np.float32)
    metric = metrics.MeanIoU(num_classes=4, sparse_y_pred=False)
    metric.update_state(labels, scores)
    np.testing.assert_allclose(float(metric.result()),
                               np_iou(np_confusion(labels, scores.argmax(-1), 4), range(4)),
                               rtol=1e-5)


def test_binary_iou_thresholds_scores_and_counts_the_threshold_as_class_1():
    y_true = np.array([0, 1, 0, 1, 1, 0])
    scores = np.array([0.1, 0.3, 0.3, 0.7, 0.29, 0.9], np.float32)
    for threshold, ids in ((0.3, [1]), (0.5, [0, 1]), (0.95, [0])):
        metric = metrics.BinaryIoU(target_class_ids=ids, threshold=threshold)
        metric.update_state(y_true, scores)
        cm = np_confusion(y_true, (scores >= np.float32(threshold)).astype(int), 2)
        np.testing.assert_allclose(float(metric.result()), np_iou(cm, ids), rtol=1e-5)
    # threshold 0.3: the two scores equal to it are class 1
    metric = metrics.BinaryIoU(target_class_ids=[1], threshold=0.3)
    metric.update_state([1, 1], [0.3, 0.3])
    assert float(metric.result()) == pytest.approx(1.0, abs=1e-6)


def test_binary_iou_over_batches_with_weights():
    batches = [(RNG.integers(0, 2, 7), RNG.uniform(size=7).astype(np.float32),
                RNG.integers(0, 3, 7)) for _ in range(3)]
    thresholded = lambda b: (b[0], (b[1] >= 0.6).astype(int), b[2])  # noqa: E731
    expected = reference_over(batches, 2, [0, 1], thresholded)
    np.testing.assert_allclose(results_over(metrics.BinaryIoU(threshold=0.6), batches), expected,
                               rtol=1e-5)


def test_a_class_absent_from_labels_and_predictions_is_left_out_of_the_mean():
    metric = metrics.MeanIoU(num_classes=4)
    metric.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    # IoU 1/3 for classes 0 and 1; classes 2 and 3 never occur: mean over two classes
    assert float(metric.result()) == pytest.approx(1 / 3, rel=1e-5)
    absent = metrics.IoU(num_classes=4, target_class_ids=[3])
    absent.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(absent.result()) == 0.0
    assert float(metrics.MeanIoU(num_classes=2).result()) == 0.0


def test_result_is_float32_whatever_the_state_dtype():
    for dtype in (None, "float32", "float64"):
        metric = metrics.MeanIoU(num_classes=2, dtype=dtype)
        metric.update_state([0, 1], [0, 0])
        assert metric.total_cm.value.dtype == current().dtype(dtype or "int32")
        assert metric.result().value.dtype == current().dtype("float32")


def test_float_weights_on_integer_counts_warn_and_truncate():
    t, p = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    w = np.array([0.3, 1.7, 2.5, 1.0], np.float32)
    metric = metrics.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match="truncated toward zero"):
        metric.update_state(t, p, sample_weight=w)
    expected = np_iou(np_confusion(t, p, 2, np.trunc(w)), [0, 1])
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5)
    exact = metrics.MeanIoU(num_classes=2, dtype="float32")
    exact.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(float(exact.result()), np_iou(np_confusion(t, p, 2, w), [0, 1]),
                               rtol=1e-5)


def test_scalar_sample_weight_scales_every_entry():
    metric = metrics.MeanIoU(num_classes=3)
    metric.update_state([0, 1, 2, 2], [0, 2, 2, 1], sample_weight=0)
    assert np.all(np.asarray(current().to_numpy(metric.total_cm.value)) == 0)
    metric.update_state([0, 1, 2, 2], [0, 2, 2, 1], sample_weight=3)
    np.testing.assert_array_equal(current().to_numpy(metric.total_cm.value),
                                  3 * np_confusion([0, 1, 2, 2], [0, 2, 2, 1], 3))


def test_reset_state_starts_over():
    batches = seg_batches(weights="int")
    metric = metrics.IoU(num_classes=5, target_class_ids=[0, 2])
    first = results_over(metric, batches)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert not np.any(current().to_numpy(metric.total_cm.value))
    assert results_over(metric, batches) == first


def test_updates_stay_on_the_device(monkeypatch):
    backend = current()
    metric = metrics.MeanIoU(num_classes=5, ignore_class=1)
    batches = [tuple(backend.asarray(a) for a in b) for b in seg_batches(weights="int")]

    def no_host_copy(x):
        raise AssertionError("update_state copied an array to the host")

    monkeypatch.setattr(backend, "to_numpy", no_host_copy)
    for batch in batches:
        metric.update_state(*batch)
    result = metric.result()
    monkeypatch.undo()
    assert backend.is_native(metric.total_cm.value) and backend.is_native(result.value)


# -- correlation -----------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
def test_correlation_functions_match_numpy(name, axis):
    t = RNG.normal(size=(3, 4, 6)).astype(np.float32)
    p = (0.7 * t + RNG.normal(0, 0.5, t.shape) + 0.3).astype(np.float32)
    reference = {"pearson_correlation": np_pearson,
                 "concordance_correlation": np_concordance}[name]
    out = getattr(metrics, name)(t, p, axis=axis)
    expected = reference(t.astype(np.float64), p.astype(np.float64), axis)
    np.testing.assert_allclose(current().to_numpy(out.value), expected, rtol=1e-4, atol=1e-5)


def test_concordance_is_one_only_for_identical_predictions():
    t = RNG.normal(size=(2, 8)).astype(np.float32)
    np.testing.assert_allclose(current().to_numpy(metrics.concordance_correlation(t, t).value),
                               1.0, rtol=1e-5)
    shifted = current().to_numpy(metrics.concordance_correlation(t, t + 1.0).value)
    scaled = current().to_numpy(metrics.pearson_correlation(t, 2 * t + 1.0).value)
    assert np.all(shifted < 0.9)
    np.testing.assert_allclose(scaled, 1.0, rtol=1e-5)


def test_pearson_of_a_constant_slice_is_nan_as_in_keras():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = metrics.pearson_correlation(np.ones((1, 3), np.float32), [[0.1, 0.5, 0.2]])
    assert np.isnan(current().to_numpy(out.value)).all()


@pytest.mark.parametrize("cls,reference", [(metrics.PearsonCorrelation, np_pearson),
                                           (metrics.ConcordanceCorrelation, np_concordance)])
def test_correlation_metrics_average_per_sample_values_over_batches(cls, reference):
    rng = np.random.default_rng(5)  # its own draws: the averages do not depend on test order
    batches = [(rng.normal(size=(4, 5)).astype(np.float32),
                rng.normal(size=(4, 5)).astype(np.float32),
                rng.choice([0.0, 0.5, 2.0], 4).astype(np.float32)) for _ in range(3)]
    metric, values, weights = cls(), [], []
    for t, p, w in batches:
        metric.update_state(t, p, sample_weight=w)
        values.append(reference(t.astype(np.float64), p.astype(np.float64)))
        weights.append(w)
        v, ws = np.concatenate(values), np.concatenate(weights)
        np.testing.assert_allclose(float(metric.result()), (v * ws).sum() / ws.sum(), rtol=1e-4,
                                   atol=1e-6)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_correlation_axis_0_averages_one_value_per_column():
    t, p = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 3))
    metric = metrics.PearsonCorrelation(axis=0)
    metric.update_state(t.astype(np.float32), p.astype(np.float32))
    np.testing.assert_allclose(float(metric.result()), np_pearson(t, p, 0).mean(), rtol=1e-4)


# -- names, configs, serialization -----------------------------------------------------------
@pytest.mark.parametrize("name,cls", [
    ("binary_io_u", metrics.BinaryIoU), ("BinaryIoU", metrics.BinaryIoU),
    ("pearson_correlation", metrics.PearsonCorrelation),
    ("PearsonCorrelation", metrics.PearsonCorrelation),
    ("concordance_correlation", metrics.ConcordanceCorrelation),
    ("ConcordanceCorrelation", metrics.ConcordanceCorrelation),
])
def test_get_by_name(name, cls):
    assert type(metrics.get(name)) is cls


@pytest.mark.parametrize("name,cls,needed", [
    ("io_u", "IoU", "num_classes"), ("IoU", "IoU", "target_class_ids"),
    ("mean_io_u", "MeanIoU", "num_classes"), ("MeanIoU", "MeanIoU", "num_classes"),
    ("one_hot_io_u", "OneHotIoU", "target_class_ids"),
    ("one_hot_mean_io_u", "OneHotMeanIoU", "num_classes"),
])
def test_names_of_metrics_that_need_arguments_explain_how_to_pass_them(name, cls, needed):
    with pytest.raises(TypeError, match=rf"'{name}' stands for {cls}.*{needed}.*"
                                        rf"kerasx\.metrics\.{cls}\("):
        metrics.get(name)


def test_names_keras_does_not_accept_are_unknown():
    for name in ("iou", "mean_iou"):
        with pytest.raises(ValueError, match="Unknown metric"):
            metrics.get(name)


ALL = [
    lambda: metrics.IoU(num_classes=4, target_class_ids=[0, 3], ignore_class=255,
                        sparse_y_pred=False, axis=1),
    lambda: metrics.MeanIoU(num_classes=3, dtype="float32", sparse_y_true=False),
    lambda: metrics.BinaryIoU(target_class_ids=[1], threshold=0.25),
    lambda: metrics.OneHotIoU(num_classes=3, target_class_ids=(2,), ignore_class=0),
    lambda: metrics.OneHotMeanIoU(num_classes=5, sparse_y_pred=True, name="miou"),
    lambda: metrics.PearsonCorrelation(axis=0),
    lambda: metrics.ConcordanceCorrelation(name="ccc"),
]


@pytest.mark.parametrize("make", ALL, ids=lambda f: "")
def test_config_round_trip(make):
    metric = make()
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    config = kerasx.saving.serialize_keras_object(metric)
    assert config["module"] == "keras.metrics" and config["registered_name"] is None
    rebuilt = kerasx.saving.deserialize_keras_object(config)
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()


def test_direction_is_up_for_monitoring():
    from kerasx.callbacks.monitor_callback import metric_direction

    model = kerasx.Sequential([kerasx.Input((2,)), kerasx.layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy",
                  metrics=[metrics.OneHotMeanIoU(num_classes=3), "pearson_correlation"])
    model.evaluate(RNG.normal(size=(2, 2)).astype(np.float32), np.eye(3)[[0, 1]], verbose=0)
    assert metric_direction(model, "one_hot_mean_io_u") == "up"
    assert metric_direction(model, "pearson_correlation") == "up"


# -- in training -----------------------------------------------------------------------------
def _classifier(units=3, activation="softmax"):
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(8, activation="relu"),
                               kerasx.layers.Dense(units, activation=activation)])
    return model


def _direct(metric, y_true, y_pred, sample_weight=None):
    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    return float(metric.result())


def test_compiled_iou_metrics_equal_the_metric_on_the_predictions():
    x = RNG.normal(size=(40, 4)).astype(np.float32)
    y = RNG.integers(0, 3, 40)
    model = _classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=[metrics.MeanIoU(num_classes=3, sparse_y_pred=False),
                           metrics.IoU(num_classes=3, target_class_ids=[2], sparse_y_pred=False)])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert {"mean_io_u", "io_u"} <= set(history.history)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["mean_io_u"], _direct(
        metrics.MeanIoU(num_classes=3, sparse_y_pred=False), y, pred), rtol=1e-5)
    np.testing.assert_allclose(logs["io_u"], _direct(
        metrics.IoU(num_classes=3, target_class_ids=[2], sparse_y_pred=False), y, pred),
        rtol=1e-5)


def test_compiled_one_hot_and_weighted_iou():
    x = RNG.normal(size=(30, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 30)]
    w = RNG.integers(0, 3, 30).astype(np.float32)
    model = _classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  metrics=[metrics.OneHotMeanIoU(num_classes=3)],
                  weighted_metrics=[metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 1],
                                                      dtype="float32")])
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    logs = model.evaluate(x, y, sample_weight=w, batch_size=7, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["one_hot_mean_io_u"], _direct(
        metrics.OneHotMeanIoU(num_classes=3), y, pred), rtol=1e-5)
    np.testing.assert_allclose(logs["one_hot_io_u"], _direct(
        metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 1], dtype="float32"), y, pred,
        sample_weight=w), rtol=1e-5)


def test_compiled_by_name_binary_iou_and_correlations():
    x = RNG.normal(size=(24, 4)).astype(np.float32)
    y_bin = RNG.integers(0, 2, (24, 1)).astype(np.float32)
    binary = _classifier(1, "sigmoid")
    binary.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["binary_io_u"])
    binary.fit(x, y_bin, batch_size=6, epochs=1, verbose=0)
    logs = binary.evaluate(x, y_bin, batch_size=5, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["binary_io_u"], _direct(
        metrics.BinaryIoU(), y_bin, binary.predict(x, verbose=0)), rtol=1e-5)

    y_reg = RNG.normal(size=(24, 3)).astype(np.float32)
    reg = _classifier(3, None)
    reg.compile(optimizer="sgd", loss="mse",
                metrics=["pearson_correlation", "concordance_correlation"])
    history = reg.fit(x, y_reg, batch_size=6, epochs=1, verbose=0)
    assert {"pearson_correlation", "concordance_correlation"} <= set(history.history)
    logs = reg.evaluate(x, y_reg, batch_size=5, verbose=0, return_dict=True)
    pred = np.asarray(reg.predict(x, verbose=0), np.float64)
    np.testing.assert_allclose(logs["pearson_correlation"], np_pearson(y_reg, pred).mean(),
                               rtol=1e-4)
    np.testing.assert_allclose(logs["concordance_correlation"],
                               np_concordance(y_reg, pred).mean(), rtol=1e-4)


def test_names_that_need_arguments_fail_in_compile_with_the_fix():
    with pytest.raises(TypeError, match=r"MeanIoU\(num_classes=\.\.\.\)"):
        _classifier().compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                              metrics=["mean_io_u"])


def test_save_and_load_keep_the_compiled_metrics(tmp_path):
    x = RNG.normal(size=(20, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 20)]
    model = _classifier()
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=[metrics.MeanIoU(num_classes=3, sparse_y_true=False,
                                           sparse_y_pred=False, ignore_class=1),
                           "pearson_correlation", metrics.ConcordanceCorrelation(axis=-1)])
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    loaded = kerasx.models.load_model(tmp_path / "m.keras")
    got = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, equal_nan=True)
    restored = {type(m).__name__: m for m in loaded._compile_metrics.flat_metrics}
    assert restored["MeanIoU"].get_config() == model._compile_metrics.flat_metrics[0].get_config()
    assert "PearsonCorrelation" in restored and "ConcordanceCorrelation" in restored


# -- bad input -------------------------------------------------------------------------------
def test_bad_constructor_arguments_are_explained():
    with pytest.raises(ValueError, match=r"target class id 3 is out of range.*\[0, 3\)"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 3])
    with pytest.raises(ValueError, match="target class id -1 is out of range"):
        metrics.OneHotIoU(num_classes=3, target_class_ids=[-1])
    with pytest.raises(ValueError, match="target_class_ids is empty"):
        metrics.IoU(num_classes=3, target_class_ids=[])
    with pytest.raises(ValueError, match=r"a list of one id: target_class_ids=\[1\]"):
        metrics.IoU(num_classes=3, target_class_ids=1)
    with pytest.raises(ValueError, match=r"integer class ids, received \[0\.5\]"):
        metrics.IoU(num_classes=3, target_class_ids=[0.5])
    with pytest.raises(ValueError, match=r"target class id 2 is out of range.*\[0, 2\)"):
        metrics.BinaryIoU(target_class_ids=[2])
    for bad in (None, 0, 2.5, True):
        with pytest.raises(ValueError, match=rf"num_classes must be a positive integer.*"
                                             rf"num_classes={bad!r}"):
            metrics.MeanIoU(num_classes=bad)
    with pytest.raises(TypeError, match="num_classes"):
        metrics.MeanIoU()


def test_class_ids_against_scores_point_to_sparse_y_pred():
    metric = metrics.MeanIoU(num_classes=3)
    with pytest.raises(ValueError, match=r"y_true holds 4 class ids but y_pred holds 12.*"
                                         r"sparse_y_pred=False"):
        metric.update_state([0, 1, 2, 1], RNG.uniform(size=(4, 3)))


def test_sample_weight_of_the_wrong_size_is_explained():
    metric = metrics.MeanIoU(num_classes=3)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(2,\) does not fit y_true of "
                                         r"shape \(2, 3\).*one weight per entry"):
        metric.update_state(np.zeros((2, 3), np.int32), np.zeros((2, 3), np.int32),
                            sample_weight=np.array([1, 2], np.int32))


# -- Keras 3 golden values -------------------------------------------------------------------
GOLDEN = os.path.exists(os.path.join(GOLDEN_DIR, "metrics_iou.cases.json"))
CASES = load_cases("metrics_iou") if GOLDEN else []
METRIC_CASES = [c for c in CASES if c["kind"] == "metric"]
FUNCTION_CASES = [c for c in CASES if c["kind"] == "function"]


@pytest.mark.skipif(not GOLDEN, reason="tests/golden/metrics_iou.* not generated")
@pytest.mark.parametrize("case", METRIC_CASES, ids=case_ids(METRIC_CASES))
def test_metric_matches_keras(case):
    kerasx.utils.clear_session(free_memory=False)
    metric = getattr(metrics, case["class"])(**case["config"])
    assert metric.name == case["default_name"]
    assert metric.get_config() == case["keras_config"]
    arrays = case["arrays"]
    results = []
    for i in range(case["n_batches"]):
        metric.update_state(*[arrays[name][i] for name in case["update_args"]])
        results.append(float(metric.result()))
    np.testing.assert_allclose(results, arrays["result"], rtol=1e-5, atol=1e-6)
    if "confusion_matrix" in arrays:
        np.testing.assert_allclose(current().to_numpy(metric.total_cm.value),
                                   arrays["confusion_matrix"], rtol=1e-6)


@pytest.mark.skipif(not GOLDEN, reason="tests/golden/metrics_iou.* not generated")
@pytest.mark.parametrize("case", FUNCTION_CASES, ids=case_ids(FUNCTION_CASES))
def test_function_matches_keras(case):
    arrays = case["arrays"]
    out = getattr(metrics, case["class"])(arrays["y_true"], arrays["y_pred"], **case["config"])
    np.testing.assert_allclose(current().to_numpy(out.value), arrays["result"], rtol=1e-5,
                               atol=1e-6)


def test_scatter_add_path_equals_the_portable_one_hot_path(monkeypatch):
    from kerasx.metrics.iou_metrics import batch_confusion_matrix

    backend = current()
    labels = backend.asarray(RNG.integers(-1, 6, 300))
    preds = backend.asarray(RNG.integers(-2, 7, 300))
    weights = backend.asarray(RNG.uniform(0, 3, 300).astype(np.float32))
    results = []
    for portable in (False, True):
        if portable:
            monkeypatch.setattr(type(backend), "kernel", lambda self, name: None)
        results.append([backend.to_numpy(batch_confusion_matrix(labels, preds, w, 5, dtype))
                        for w, dtype in ((None, "int32"), (weights, "int32"),
                                         (weights, "float32"))])
    for fast, portable in zip(*results):
        assert fast.dtype == portable.dtype
        np.testing.assert_allclose(fast, portable, rtol=1e-6)
    np.testing.assert_allclose(results[1][2], np_confusion(backend.to_numpy(labels),
                                                           backend.to_numpy(preds), 5,
                                                           backend.to_numpy(weights)), rtol=1e-5)


def test_fit_passes_on_the_iou_metrics_own_hint_for_scores_against_class_ids():
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[metrics.MeanIoU(3)])
    with pytest.raises(ValueError, match="sparse_y_pred=False") as caught:
        model.fit(np.ones((8, 4), "float32"), np.zeros(8), verbose=0)
    assert "sparse_categorical_accuracy" not in str(caught.value)
