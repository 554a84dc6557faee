"""Metrics in random combinations, against Keras 3.15.1.

The golden family `fuzz_losses_metrics` holds seeded random metric recipes (every metric
class with its options, several `update_state` calls of varying batch sizes and sample
weights, `reset_state`, config round trips) and small compiled models evaluated with
string losses and metrics (per-output lists and dicts, weighted metrics, loss weights),
with Keras's outputs; each is replayed here.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from tests.golden.loader import load_cases
from tests.golden.losses_metrics_recipe import differences, run_recipe, split_case, uses_float16

HAS_FLOAT16 = hasattr(current().xp, "float16")

CASES = [c for c in load_cases("fuzz_losses_metrics") if c["config"]["kind"] != "loss"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_metric_recipe(case):
    recipe, inputs, expected, outputs = split_case(case)
    if uses_float16(recipe, inputs) and not HAS_FLOAT16:
        pytest.skip("float16 is not a dtype of this backend")
    keras.backend.clear_session(free_memory=False)  # Keras made each case after one too
    got = run_recipe(keras, recipe, inputs)
    assert differences(recipe, inputs, expected, outputs, got) == [], recipe


def _mean_abs(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


class MeanAbsMetric(keras.metrics.MeanMetricWrapper):
    def __init__(self, **kwargs):
        super().__init__(fn=_mean_abs, **kwargs)


def test_mean_metric_wrapper_is_named_after_its_class():
    # Keras 3.15.1 gives: mean_metric_wrapper mean_metric_wrapper_1 mean_abs_metric, then
    # the logs ['loss', 'mean_abs_metric_1', 'mean_metric_wrapper_2'] (sorted).
    keras.backend.clear_session(free_memory=False)
    names = [keras.metrics.MeanMetricWrapper(fn=_mean_abs).name,
             keras.metrics.MeanMetricWrapper(_mean_abs).name, MeanAbsMetric().name]
    assert names == ["mean_metric_wrapper", "mean_metric_wrapper_1", "mean_abs_metric"]
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[keras.metrics.MeanMetricWrapper(fn=_mean_abs),
                                         MeanAbsMetric()])
    logs = model.evaluate(np.ones((4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0,
                          return_dict=True)
    assert list(logs) == ["loss", "mean_abs_metric_1", "mean_metric_wrapper_2"]
    # kerasx's own `metrics.get(function)` keeps the function's name
    assert keras.metrics.get(_mean_abs).name == "_mean_abs"


@pytest.mark.skipif(not HAS_FLOAT16, reason="float16 is not a dtype of this backend")
def test_count_states_stay_floatx_under_a_half_precision_metric_dtype():
    # Keras 3.15.1: counts, AUC / R2 states are floatx (float32) whatever the metric's
    # dtype; Mean / Sum / F1Score / IoU states follow it (float16 here).
    tp = keras.metrics.TruePositives(dtype="float16")
    tp.update_state(np.ones(3000), np.ones(3000, "float16"))
    assert float(tp.result()) == 3000.0  # float16 counts stop at 2048
    expected = {"Mean": "float16", "Sum": "float16", "F1Score": "float16",
                "MeanIoU": "float16", "R2Score": "float32", "AUC": "float32",
                "Precision": "float32", "MeanSquaredError": "float16",
                "SensitivityAtSpecificity": "float32"}
    extra = {"MeanIoU": {"num_classes": 2}, "SensitivityAtSpecificity": {"specificity": 0.5}}
    for cls, dtype in expected.items():
        metric = getattr(keras.metrics, cls)(dtype="float16", **extra.get(cls, {}))
        if cls in ("F1Score", "R2Score"):
            metric.update_state(np.ones((2, 2), "float32"), np.ones((2, 2), "float32"))
        assert {str(v.dtype) for v in metric.variables} == {dtype}, cls
