"""`losses.Circle` / `losses.circle`: Keras 3 golden values and JAX gradients, float64
finite differences, the mask over samples without a loss, names and configs, and training
with `compile(loss="circle")`."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import losses
from kerasx.testing import check_gradients
from tests.golden.loader import GOLDEN_DIR, load_case, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "circle.cases.json")):
    pytest.skip("tests/golden/circle.* not generated yet", allow_module_level=True)

FN_CASES = [case for case in load_cases("circle") if case["kind"] == "fn"]
CLASS_CASE = load_case("circle", "Circle")


def _refs(arrays):
    if "ref_labels" not in arrays:
        return {}
    return {"ref_labels": arrays["ref_labels"], "ref_embeddings": arrays["ref_embeddings"]}


@pytest.mark.parametrize("case", FN_CASES, ids=lambda c: c["name"])
def test_function_matches_keras_values_and_gradients(case):
    a = case["arrays"]
    y_pred = kerasx.Variable(a["y_pred"])
    refs = _refs(a)
    if refs:
        refs["ref_embeddings"] = kerasx.Variable(refs["ref_embeddings"])
    with kerasx.GradientTape() as tape:
        values = losses.circle(a["y_true"], y_pred, **refs, **case["config"])
        total = kerasx.ops.sum(values)
    np.testing.assert_allclose(values.numpy(), a["values"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(values._keras_mask.numpy(), a["values"] > 0)
    wrt = [y_pred] + ([refs["ref_embeddings"]] if refs else [])
    grads = [kerasx.ops.convert_to_numpy(g) for g in tape.gradient(total, wrt)]
    for got, key in zip(grads, ["grad", "ref_grad"]):
        scale = np.abs(a[key]).max() + 1.0
        np.testing.assert_allclose(got, a[key], rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("case", FN_CASES, ids=lambda c: c["name"])
def test_gradients_match_finite_differences_in_float64(case):
    a = case["arrays"]
    refs = _refs(a)
    if refs:
        labels = refs["ref_labels"]
        check_gradients(
            lambda z, r: losses.circle(a["y_true"], z, ref_labels=labels, ref_embeddings=r,
                                       **case["config"]),
            [a["y_pred"].astype(np.float64), refs["ref_embeddings"].astype(np.float64)])
    else:
        check_gradients(lambda z: losses.circle(a["y_true"], z, **case["config"]),
                        [a["y_pred"].astype(np.float64)])


def test_reduced_loss_gradient_matches_finite_differences():
    a = CLASS_CASE["arrays"]
    # made inside: the loss computes in floatx, float64 during the check
    check_gradients(lambda z: losses.Circle(**CLASS_CASE["config"])(
        a["y_true"], z, sample_weight=a["sample_weight"]),
                    [a["y_pred"].astype(np.float64)])


@pytest.mark.parametrize("reduction", CLASS_CASE["reductions"])
@pytest.mark.parametrize("weighted", [False, True])
def test_class_matches_keras_for_every_reduction(reduction, weighted):
    a = CLASS_CASE["arrays"]
    key = f"loss__{reduction}" + ("__sw" if weighted else "")
    loss = losses.Circle(reduction=reduction, **CLASS_CASE["config"])
    got = loss(a["y_true"], a["y_pred"], sample_weight=a["sample_weight"] if weighted else None)
    assert got.shape == a[key].shape
    np.testing.assert_allclose(got.numpy(), a[key], rtol=1e-5, atol=1e-5)


def test_averaging_skips_samples_without_a_loss():
    case = load_case("circle", "defaults")
    values = case["arrays"]["values"]
    assert (values == 0).sum() == 2  # two labels with a single sample have no positive pair
    got = losses.Circle()(case["arrays"]["y_true"], case["arrays"]["y_pred"])
    np.testing.assert_allclose(got.numpy(), values.sum() / (values > 0).sum(), rtol=1e-5)


def test_float_and_column_labels_read_as_class_ids():
    a = CLASS_CASE["arrays"]
    loss = losses.Circle(reduction="sum", **CLASS_CASE["config"])
    np.testing.assert_allclose(loss(a["y_true"].astype(np.float32), a["y_pred"]).numpy(),
                               CLASS_CASE["float_labels_sum"], rtol=1e-5)
    np.testing.assert_allclose(loss(a["y_true"][:, None], a["y_pred"]).numpy(),
                               a["loss__sum"], rtol=1e-5)


def test_name_config_serialization_and_lookup():
    loss = losses.Circle()
    assert loss.name == CLASS_CASE["default_name"]
    assert loss.get_config() == CLASS_CASE["keras_config"]
    assert losses.serialize(loss) == CLASS_CASE["serialized"]
    again = losses.deserialize(losses.serialize(losses.Circle(gamma=4.0, margin=0.1,
                                                              remove_diagonal=False)))
    assert isinstance(again, losses.Circle)
    assert (again.gamma, again.margin, again.remove_diagonal) == (4.0, 0.1, False)
    assert losses.get(CLASS_CASE["get_circle"]) is losses.circle
    assert isinstance(losses.get("Circle"), losses.Circle)


@pytest.mark.parametrize("y_true, y_pred, match", [
    (np.zeros((4, 2)), np.ones((4, 3)), r"y_true of shape \(batch,\)"),
    (np.zeros(4), np.ones((4, 3, 2)), r"y_pred of shape \(batch, dim\)"),
    (np.zeros(5), np.ones((4, 3)), "5 labels for 4 embeddings"),
])
def test_bad_shapes_are_rejected(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        losses.circle(y_true, y_pred)


def test_compile_with_the_name_trains_embeddings_that_cluster_by_label():
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 1, (3, 6))
    labels = np.repeat(np.arange(3), 16)
    x = (centers[labels] + rng.normal(0, 0.6, (48, 6))).astype(np.float32)
    kerasx.utils.set_random_seed(1)
    model = kerasx.Sequential([kerasx.Input((6,)), kerasx.layers.Dense(4),
                               kerasx.layers.UnitNormalization()])
    model.compile(optimizer=kerasx.optimizers.Adam(0.02), loss="circle")
    history = model.fit(x, labels, epochs=20, batch_size=48, shuffle=False,
                        verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]
    z = model.predict(x, verbose=0)
    similarity = z @ z.T
    same = labels[:, None] == labels[None, :]
    assert similarity[same].mean() > similarity[~same].mean() + 0.5
