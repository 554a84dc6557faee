"""`LogitsDistillation` and `FeatureDistillation`: Keras 3 golden values and JAX
gradients for every temperature and loss option, gradients against float64 finite
differences, argument checks and configs."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import distillation
from kerasx.testing import check_gradients
from kerasx.testing.gradcheck import float64
from tests.distillation.specs import distillation_loss, outputs
from tests.golden.loader import GOLDEN_DIR, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "distillation.cases.json")):
    pytest.skip("tests/golden/distillation.* not generated yet", allow_module_level=True)

LOSS_CASES = [case for case in load_cases("distillation") if case["kind"] == "loss"]


def _leaves(structure):
    return kerasx.tree.flatten(structure)


@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c["name"])
def test_loss_matches_keras_value_and_gradient(case):
    a = case["arrays"]
    loss = distillation_loss(case["class"], case["config"])
    teacher = outputs(a, case["structure"], "teacher")
    student = kerasx.tree.map_structure(kerasx.Variable,
                                        outputs(a, case["structure"], "student"))
    with kerasx.GradientTape() as tape:
        value = loss.compute_loss(teacher, student)
    assert tuple(value.shape) == ()
    np.testing.assert_allclose(value.numpy(), a["loss"], rtol=2e-5, atol=1e-6)
    grads = tape.gradient(value, _leaves(student))
    for i, grad in enumerate(grads):
        expected = a[f"grad_{i}"]
        got = np.zeros_like(expected) if grad is None else kerasx.ops.convert_to_numpy(grad)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6 * (np.abs(expected).max() + 1))


@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c["name"])
def test_config_matches_keras(case):
    loss = distillation_loss(case["class"], case["config"])
    assert loss.get_config() == case["keras_config"]
    again = type(loss).from_config(loss.get_config())
    assert again.get_config() == case["keras_config"]


# Float64 finite differences: one case per way the losses reach their inputs.
FD_CASES = [c for c in LOSS_CASES if c["name"] in (
    "logits_T2_kl_name", "logits_T3_KLDivergence", "logits_T5_cce_name",
    "logits_T2_cce_from_logits", "logits_T1_mse", "logits_dict_outputs",
    "logits_two_outputs_one_skipped", "feature_mse", "feature_mae", "feature_cosine",
    "feature_huber", "feature_CosineSimilarity_axis0", "feature_two_outputs")]


@pytest.mark.parametrize("case", FD_CASES, ids=lambda c: c["name"])
def test_gradients_match_finite_differences_in_float64(case):
    a = case["arrays"]
    with float64():  # a Loss instance computes in the floatx of its construction
        loss = distillation_loss(case["class"], case["config"])
    structure = case["structure"]
    teacher = outputs(a, structure, "teacher", np.float64)
    student_leaves = _leaves(outputs(a, structure, "student", np.float64))
    template = outputs(a, structure, "student")

    def fn(*leaves):
        return loss.compute_loss(teacher, kerasx.tree.pack_sequence_as(template, list(leaves)))

    check_gradients(fn, student_leaves, rtol=1e-5, atol=1e-7)


def test_kl_divergence_instance_scales_softmax_kl_by_temperature_squared():
    rng = np.random.default_rng(3)
    t, s = rng.normal(0, 2, (2, 4, 6))
    temperature = 2.5
    p = np.exp(t / temperature) / np.exp(t / temperature).sum(-1, keepdims=True)
    q = np.exp(s / temperature) / np.exp(s / temperature).sum(-1, keepdims=True)
    expected = np.mean(np.sum(p * np.log(p / q), axis=-1)) * temperature ** 2
    loss = distillation.LogitsDistillation(temperature, loss=kerasx.losses.KLDivergence())
    got = loss.compute_loss(t.astype(np.float32), s.astype(np.float32))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


def test_defaults_and_names_resolve_to_keras_loss_functions():
    logits = distillation.LogitsDistillation()
    assert logits.temperature == 3.0
    assert logits.loss is kerasx.losses.kl_divergence
    feature = distillation.FeatureDistillation()
    assert feature.loss is kerasx.losses.mean_squared_error
    assert feature.teacher_layer_name is None and feature.student_layer_name is None
    assert distillation.FeatureDistillation(["mae", None]).loss == [
        kerasx.losses.mean_absolute_error, None]


@pytest.mark.parametrize("kwargs, match", [
    ({"temperature": 0.0}, "temperature must be positive"),
    ({"temperature": -1}, "temperature must be positive"),
    ({"temperature": "3"}, "temperature must be a number"),
    ({"temperature": None}, "temperature must be a number"),
    ({"loss": None}, "at least one loss"),
    ({"loss": [None, None]}, "at least one loss"),
    ({"loss": "not_a_loss"}, "Unknown loss"),
])
def test_logits_distillation_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        distillation.LogitsDistillation(**kwargs)


@pytest.mark.parametrize("loss, match", [
    (None, "at least one loss"), ({"a": None}, "at least one loss"),
    ("not_a_loss", "Unknown loss")])
def test_feature_distillation_rejects_bad_losses(loss, match):
    with pytest.raises(ValueError, match=match):
        distillation.FeatureDistillation(loss=loss)


def test_mismatched_output_structures_are_explained():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="same structure"):
        distillation.LogitsDistillation().validate_outputs([x, x], x)
    with pytest.raises(ValueError, match="loss structure"):
        distillation.FeatureDistillation(["mse", "mae"]).validate_outputs(x, x)


def test_base_class_requires_compute_loss():
    with pytest.raises(NotImplementedError, match="compute_loss"):
        distillation.DistillationLoss().compute_loss(1.0, 1.0)
    distillation.DistillationLoss().validate_model_compatibility(None, None)


def test_feature_distillation_checks_layer_names_and_model_kinds():
    from tests.distillation.specs import functional

    teacher, student = functional("t", [6, 4]), functional("s", [6, 4])
    distillation.FeatureDistillation(teacher_layer_name="dense_0",
                                     student_layer_name="dense_0"
                                     ).validate_model_compatibility(teacher, student)
    with pytest.raises(ValueError, match="In teacher model: No such layer: 'nope'"):
        distillation.FeatureDistillation(teacher_layer_name="nope"
                                         ).validate_model_compatibility(teacher, student)
    with pytest.raises(ValueError, match="In student model: No such layer: 'nope'"):
        distillation.FeatureDistillation(student_layer_name="nope"
                                         ).validate_model_compatibility(teacher, student)

    class Subclassed(kerasx.Model):
        def __init__(self):
            super().__init__()
            self.dense = kerasx.layers.Dense(4)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="the student model"):
        distillation.FeatureDistillation(teacher_layer_name="dense_0"
                                         ).validate_model_compatibility(teacher, Subclassed())
    # without layer names a subclassed model is fine (final outputs)
    distillation.FeatureDistillation().validate_model_compatibility(teacher, Subclassed())
