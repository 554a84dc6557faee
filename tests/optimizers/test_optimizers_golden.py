"""Every optimizer against real Keras 3: weights after 5 steps from the same start and
gradients, with and without clipping, weight decay and a schedule."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.backends import current
from kerasx.optimizers import schedules
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "optimizers.cases.json")):
    pytest.skip("tests/golden/optimizers.* not generated yet", allow_module_level=True)

CASES = load_cases("optimizers")


def _build(value):
    if isinstance(value, dict) and "__class__" in value:
        return getattr(schedules, value["__class__"])(**value["config"])
    return value


def _run(case):
    a = case["arrays"]
    opt = getattr(optimizers, case["class"])(**{k: _build(v) for k, v in case["config"].items()})
    kernel = kerasx.Variable(a["w0_init"], name="kernel")
    bias = kerasx.Variable(a["w1_init"], name="bias")
    w0, w1, lrs = [], [], []
    for step in range(case["n_steps"]):
        lrs.append(float(opt.learning_rate))
        opt.apply_gradients([(a["grad0"][step], kernel), (a["grad1"][step], bias)])
        w0.append(kernel.numpy().copy())
        w1.append(bias.numpy().copy())
    return opt, np.stack(w0), np.stack(w1), np.array(lrs)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_optimizer_matches_keras(case):
    opt, w0, w1, lrs = _run(case)
    a = case["arrays"]
    np.testing.assert_allclose(w0, a["w0"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w1, a["w1"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lrs, a["learning_rate"], rtol=1e-6)
    assert int(opt.iterations) == case["iterations_after"]
    expected = dict(case["keras_config"], name=opt.name)
    assert opt.get_config() == expected


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_portable_path_matches_keras(case, monkeypatch):
    """With the backend's fused kernels switched off, the array-API update alone."""
    monkeypatch.setattr(current(), "kernels", {})
    _, w0, w1, _ = _run(case)
    np.testing.assert_allclose(w0, case["arrays"]["w0"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w1, case["arrays"]["w1"], rtol=1e-5, atol=1e-6)


def test_default_names():
    kerasx.utils.clear_session()
    names = [optimizers.SGD().name, optimizers.SGD().name, optimizers.RMSprop().name,
             optimizers.AdamW().name]
    assert names == ["sgd", "sgd_1", "rm_sprop", "adam_w"]
