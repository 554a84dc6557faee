"""Every loss against real Keras 3: each reduction, with and without sample_weight."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import losses, ops
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "losses.cases.json")):
    pytest.skip("tests/golden/losses.* not generated yet", allow_module_level=True)

CASES = load_cases("losses")


def _reference_broadcast(values, weight, reduction):
    """Keras rejects a (batch,) weight on (batch, steps) losses; kerasx broadcasts it
    over the steps, exactly as Keras does for a (batch, 1) weight."""
    w = weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
    weighted = values * w
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight":
        return weighted.sum() / w.sum()
    return weighted.sum() / weighted.size


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_loss_matches_keras(case):
    arrays = case["arrays"]
    raises = case.get("raises", {})
    cls = getattr(losses, case["class"])
    for reduction in case["reductions"]:
        loss = cls(**case["config"], reduction=reduction)
        for use_sw in (False, True) if "sample_weight" in arrays else (False,):
            key = f"loss__{reduction}" + ("__sw" if use_sw else "")
            weight = arrays["sample_weight"] if use_sw else None
            got = loss(arrays["y_true"], arrays["y_pred"], sample_weight=weight).numpy()
            if key in raises:
                expected = _reference_broadcast(arrays["fn_values"].astype(np.float64), weight,
                                                reduction)
            else:
                expected = arrays[key]
            assert got.shape == np.shape(expected), key
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_per_sample_values_config_and_name(case):
    arrays = case["arrays"]
    loss = getattr(losses, case["class"])(**case["config"])
    values = loss.call(ops.convert_to_tensor(arrays["y_true"]),
                       ops.convert_to_tensor(arrays["y_pred"]))
    np.testing.assert_allclose(values.numpy(), arrays["fn_values"], rtol=1e-5, atol=1e-6)
    assert loss.get_config() == case["keras_config"]
    assert loss.name == case["default_name"]
    again = type(loss).from_config(loss.get_config())
    assert again.get_config() == loss.get_config()


def test_sequence_weights_batch_and_batch_by_one_agree():
    case = next(c for c in CASES if c["name"] == "MSE_rank3_swB")
    a = case["arrays"]
    loss = losses.MeanSquaredError()
    flat = loss(a["y_true"], a["y_pred"], sample_weight=a["sample_weight"])
    column = loss(a["y_true"], a["y_pred"], sample_weight=a["sample_weight"][:, None])
    np.testing.assert_allclose(flat.numpy(), column.numpy(), rtol=1e-6)


def test_function_forms_equal_class_forms():
    case = next(c for c in CASES if c["name"] == "BCE_logits_ls")
    a = case["arrays"]
    fn = losses.binary_crossentropy(ops.convert_to_tensor(a["y_true"]),
                                    ops.convert_to_tensor(a["y_pred"]), from_logits=True,
                                    label_smoothing=0.2)
    np.testing.assert_allclose(fn.numpy(), a["fn_values"], rtol=1e-5, atol=1e-6)
    assert kerasx.losses.get("binary_crossentropy") is losses.binary_crossentropy
