"""Loss names and aliases, sample weights, masks, custom losses and bad input."""

import numpy as np
import pytest

import kerasx
from kerasx import losses, ops


@pytest.mark.parametrize("name,expected", [
    ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
    ("mean_squared_error", losses.mean_squared_error), ("mae", losses.mean_absolute_error),
    ("mape", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error),
    ("squared_hinge", losses.squared_hinge), ("hinge", losses.hinge),
    ("categorical_hinge", losses.categorical_hinge), ("log_cosh", losses.log_cosh),
    ("logcosh", losses.log_cosh), ("huber", losses.huber), ("huber_loss", losses.huber),
    ("categorical_crossentropy", losses.categorical_crossentropy),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ("binary_crossentropy", losses.binary_crossentropy), ("bce", losses.binary_crossentropy),
    ("binary_focal_crossentropy", losses.binary_focal_crossentropy),
    ("categorical_focal_crossentropy", losses.categorical_focal_crossentropy),
    ("kl_divergence", losses.kl_divergence), ("kld", losses.kl_divergence),
    ("kullback_leibler_divergence", losses.kl_divergence), ("poisson", losses.poisson),
    ("cosine_similarity", losses.cosine_similarity),
    ("cosine_proximity", losses.cosine_similarity),
])
def test_get_by_name(name, expected):
    assert losses.get(name) is expected


def test_get_class_names_configs_and_objects():
    assert isinstance(losses.get("Huber"), losses.Huber)
    loss = losses.get({"class_name": "Huber", "config": {"name": "h"}})
    assert isinstance(loss, losses.Huber) and loss.name == "h"
    obj = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.get(obj) is obj
    again = losses.deserialize(losses.serialize(obj))
    assert type(again) is losses.CategoricalCrossentropy and again.from_logits is True
    assert losses.get(None) is None


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match=r"Unknown loss: 'mean_sqared_error'.*Did you mean "
                                         r"'mean_squared_error'"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match=r"Did you mean 'categorical_crossentropy'"):
        losses.get("categorical_crossentropyy")


def test_bad_reduction():
    with pytest.raises(ValueError,
                       match=r"Invalid value for argument `reduction`.*reduction='average'"):
        losses.MeanSquaredError(reduction="average")


def test_one_hot_labels_to_sparse_loss():
    y_pred = np.full((4, 3), 1 / 3, np.float32)
    with pytest.raises(ValueError, match=r"expects integer class ids of shape \(4,\).*\(4, 3\).*"
                                         r"one-hot.*categorical_crossentropy"):
        losses.SparseCategoricalCrossentropy()(np.eye(3)[[0, 1, 2, 0]], y_pred)
    with pytest.raises(ValueError, match=r"look one-hot"):
        losses.sparse_categorical_crossentropy(ops.convert_to_tensor(np.eye(3, dtype=np.float32)),
                                               ops.convert_to_tensor(y_pred[:3]))


def test_one_hot_labels_to_generalized_cross_entropy():
    y_pred = np.full((4, 3), 1 / 3, np.float32)
    with pytest.raises(ValueError, match=r"generalized_cross_entropy expects integer class ids of "
                                         r"shape \(4,\).*\(4, 3\).*look one-hot"):
        losses.CategoricalGeneralizedCrossEntropy()(np.eye(3)[[0, 1, 2, 0]], y_pred)


def test_integer_labels_to_categorical_loss():
    with pytest.raises(ValueError, match=r"target.shape=\(4,\), output.shape=\(4, 3\)\. "
                                         r"categorical_crossentropy expects labels.*sparse"):
        losses.CategoricalCrossentropy()(np.array([0, 1, 2, 0]), np.full((4, 3), 1 / 3))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_sparse_loss_reads_integer_labels_as_they_are(dtype, monkeypatch):
    """Class ids are not turned into floats and back: the function gets the integer
    labels, with the loss and gradient of float labels."""
    from kerasx.losses import probabilistic

    rng = np.random.default_rng(3)
    probs = ops.softmax(ops.convert_to_tensor(rng.standard_normal((6, 4)).astype("float32")))
    labels = np.array([0, 3, 1, 2, 3, 0], dtype=dtype)
    seen = []
    original = probabilistic.sparse_categorical_crossentropy

    def spy(y_true, y_pred, **kwargs):
        seen.append(y_true.dtype)
        return original(y_true, y_pred, **kwargs)

    for name in ("_check_labels", "_takes_class_ids"):
        setattr(spy, name, getattr(original, name))
    loss = losses.SparseCategoricalCrossentropy()
    monkeypatch.setattr(loss, "fn", spy)
    as_ints = ops.convert_to_numpy(loss(labels, probs))
    as_floats = ops.convert_to_numpy(loss(labels.astype("float32"), probs))
    assert seen == [dtype, "float32"]
    np.testing.assert_allclose(as_ints, as_floats, rtol=1e-6)
    np.testing.assert_allclose(as_ints, -np.log(ops.convert_to_numpy(probs))[
        np.arange(6), labels.astype(int)].mean(), rtol=1e-5)


def test_sparse_labels_out_of_range():
    y_pred = np.full((3, 3), 1 / 3, np.float32)
    with pytest.raises(ValueError, match=r"label value of 5, outside the valid range \[0, 2\]"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 5, 1]), y_pred)
    # the padding label of ignore_class is fine
    out = losses.SparseCategoricalCrossentropy(ignore_class=-1)(np.array([0, -1, 1]), y_pred)
    np.testing.assert_allclose(out.numpy(), np.log(3.0), rtol=1e-6)


@pytest.mark.parametrize("cls", [losses.BinaryCrossentropy, losses.BinaryFocalCrossentropy])
def test_binary_labels_outside_unit_interval(cls):
    with pytest.raises(ValueError, match=r"expects labels in \[0, 1\], but received values from "
                                         r"0.0 to 3.0.*sparse_categorical_crossentropy"):
        cls()(np.array([[0.0], [3.0]]), np.array([[0.2], [0.7]]))


def test_binary_shape_mismatch():
    with pytest.raises(ValueError, match=r"binary_crossentropy expects labels of the same shape"):
        losses.binary_crossentropy(ops.convert_to_tensor(np.zeros((4, 2), np.float32)),
                                   ops.convert_to_tensor(np.zeros((4, 3), np.float32)))


def test_bad_sample_weight_shape():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) cannot be applied to "
                                         r"loss values of shape \(4,\)"):
        losses.MeanSquaredError()(np.zeros((4, 2)), np.ones((4, 2)), sample_weight=np.ones(3))


def test_sample_weight_shapes():
    y_true = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]], np.float32)
    y_pred = np.zeros_like(y_true)
    per_sample = ((y_true - y_pred) ** 2).mean(-1)
    w = np.array([1.0, 0.0, 2.0], np.float32)
    loss = losses.MeanSquaredError()
    expected = (per_sample * w).sum() / 3
    for weight in (w, w[:, None], w.tolist()):
        np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=weight).numpy(), expected,
                                   rtol=1e-6)
    np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=2.0).numpy(),
                               2 * per_sample.mean(), rtol=1e-6)
    mwsw = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    np.testing.assert_allclose(mwsw(y_true, y_pred, sample_weight=w).numpy(),
                               (per_sample * w).sum() / w.sum(), rtol=1e-6)
    none = losses.MeanSquaredError(reduction=None)(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(none.numpy(), per_sample * w, rtol=1e-6)


def test_class_weighting_by_sample_weight():
    """The module docstring's recipe: a weight per class is a weight per sample."""
    y = np.array([0, 0, 0, 1])
    y_pred = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6]], np.float32)
    class_weight = {0: 0.5, 1: 3.0}
    weights = np.array([class_weight[c] for c in y], np.float32)
    got = losses.SparseCategoricalCrossentropy()(y, y_pred, sample_weight=weights)
    expected = -(weights * np.log(y_pred[np.arange(4), y])).sum() / 4
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_ignore_class_averages_over_kept_entries_only():
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0], [1.0, 2.0, 0.0]], np.float32)
    y = np.array([0, 1, 1])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_allclose(loss(y, logits).numpy(), -logp[0, 0], rtol=1e-6)
    none = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1, reduction="none")
    np.testing.assert_allclose(none(y, logits).numpy(), [-logp[0, 0], 0.0, 0.0], rtol=1e-6)


def test_fused_softmax_matches_probability_path():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], np.float32)
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    fused = losses.CategoricalCrossentropy()(y, ops.softmax(ops.convert_to_tensor(logits)))
    plain = losses.CategoricalCrossentropy()(y, ops.softmax(ops.convert_to_tensor(logits)).numpy())
    np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-6)


def test_keras_mask_on_predictions_is_respected():
    y_pred = ops.convert_to_tensor(np.array([[1.0], [2.0], [5.0]], np.float32))
    y_pred._keras_mask = ops.convert_to_tensor(np.array([True, True, False]))
    out = losses.MeanAbsoluteError()(np.zeros((3, 1), np.float32), y_pred)
    np.testing.assert_allclose(out.numpy(), 1.5, rtol=1e-6)


def test_loss_object_on_symbolic_tensors_is_a_clear_error():
    x_in, y_in = kerasx.Input((4,)), kerasx.Input((3,))
    probs = kerasx.layers.Dense(3, activation="softmax")(x_in)
    with pytest.raises(TypeError, match="symbolic tensors.*compile\\(loss=...\\)"):
        losses.CategoricalCrossentropy()(y_in, probs)
    with pytest.raises(TypeError, match="categorical_crossentropy"):
        losses.CategoricalCrossentropy()(np.eye(3, dtype="float32")[:2], probs)
    # the function form gives per-sample values as a node of the graph
    model = kerasx.Model([x_in, y_in], losses.categorical_crossentropy(y_in, probs))
    x = np.ones((2, 4), np.float32)
    y = np.eye(3, dtype="float32")[:2]
    expected = losses.categorical_crossentropy(y, kerasx.Model(x_in, probs)(x))
    np.testing.assert_allclose(ops.convert_to_numpy(model([x, y])),
                               ops.convert_to_numpy(expected), rtol=1e-6)


def test_custom_loss_written_with_ops_trains(digits):
    x, y, _, _ = digits
    x, y = x[:256], y[:256]

    def smoothed_sparse_ce(y_true, y_pred):
        one_hot = ops.one_hot(ops.cast(y_true, "int64"), 10)
        target = one_hot * 0.9 + 0.01
        return -ops.sum(target * ops.log(ops.clip(y_pred, 1e-7, 1.0)), axis=-1)

    model = kerasx.Sequential([kerasx.Input((64,)), kerasx.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=kerasx.optimizers.SGD(0.5), loss=smoothed_sparse_ce)
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]


def test_default_names_are_unique_like_keras():
    kerasx.utils.clear_session(free_memory=False)
    base = losses.Loss()
    again = losses.Loss()
    assert (base.name, again.name) == ("loss", "loss_1")
    assert losses.LossFunctionWrapper(losses.huber).name == "loss_function_wrapper"
    assert losses.LossFunctionWrapper(losses.huber, name="huber").name == "huber"
