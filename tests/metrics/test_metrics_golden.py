"""Every metric against real Keras 3, accumulated over several batches."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import metrics
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "metrics.cases.json")):
    pytest.skip("tests/golden/metrics.* not generated yet", allow_module_level=True)

CASES = load_cases("metrics")


def _run(case, metric):
    arrays = case["arrays"]
    results = []
    for i in range(case["n_batches"]):
        metric.update_state(*[arrays[name][i] for name in case["update_args"]])
        results.append(np.asarray(metric.result()))
    return np.stack(results)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_metric_matches_keras(case):
    kerasx.utils.clear_session(free_memory=False)
    metric = getattr(metrics, case["class"])(**case["config"])
    assert metric.name == case["default_name"]
    assert metric.get_config() == case["keras_config"]
    np.testing.assert_allclose(_run(case, metric), case["arrays"]["result"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c["name"] in ("AUC_ROC", "Precision__sw",
                                                                     "F1Score_weighted__sw",
                                                                     "R2Score", "Mean__sw")],
                         ids=lambda c: c["name"])
def test_reset_state_starts_over(case):
    metric = getattr(metrics, case["class"])(**case["config"])
    _run(case, metric)
    metric.reset_state()
    np.testing.assert_allclose(_run(case, metric), case["arrays"]["result"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c["name"] in ("AUC_PR", "BinaryAccuracy")],
                         ids=lambda c: c["name"])
def test_config_round_trip_gives_same_results(case):
    metric = getattr(metrics, case["class"])(**case["config"])
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    np.testing.assert_allclose(_run(case, again), case["arrays"]["result"], rtol=1e-5, atol=1e-6)
