"""Muon, ScheduleFreeAdamW and MultiOptimizer against real Keras 3: the variables after
each of 4 steps (a tall and a wide kernel, a bias, an embedding-like table, a scalar),
the optimizer state after the last step, the configs, and the same through `fit`."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.backends import current
from kerasx.optimizers import schedules
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "optimizers_more.cases.json")):
    pytest.skip("tests/golden/optimizers_more.* not generated yet", allow_module_level=True)

CASES = load_cases("optimizers_more")
STEPS = [c for c in CASES if c["kind"] == "steps"]
FITS = [c for c in CASES if c["kind"] == "fit"]
TOL = dict(rtol=2e-5, atol=2e-6)


def _build(value):
    if isinstance(value, dict) and "__class__" in value:
        return getattr(schedules, value["__class__"])(**value["config"])
    return value


def _make(case):
    if case["class"] == "MultiOptimizer":
        return optimizers.deserialize(case["keras_serialized"])
    return getattr(optimizers, case["class"])(
        **{k: _build(v) for k, v in case["config"].items()})


def _run(case):
    a = case["arrays"]
    opt = _make(case)
    if case.get("exclude_from_weight_decay"):
        opt.exclude_from_weight_decay(var_names=case["exclude_from_weight_decay"])
    names = case["variable_names"]
    variables = [kerasx.Variable(a[f"init{i}"], name=n) for i, n in enumerate(names)]
    ws, lrs = [[] for _ in names], []
    for step in range(case["n_steps"]):
        if "learning_rate" in a:
            lrs.append(float(opt.learning_rate))
        opt.apply_gradients([(a[f"grad{i}"][step], v) for i, v in enumerate(variables)])
        for w, v in zip(ws, variables):
            w.append(v.numpy().copy())
    return opt, [np.stack(w) for w in ws], lrs


def _suffixes(paths):
    return [p.split("/", 1)[1] for p in paths]


def _check_state(opt, case):
    variables = opt.variables
    assert _suffixes([v.path for v in variables]) == _suffixes(case["state_names"])
    for j, v in enumerate(variables):
        expected = case["arrays"][f"state{j}"]
        assert tuple(v.shape) == expected.shape, v.path
        np.testing.assert_allclose(v.numpy(), expected, **TOL, err_msg=v.path)


@pytest.mark.parametrize("case", STEPS, ids=case_ids(STEPS))
def test_steps_match_keras(case):
    opt, ws, lrs = _run(case)
    for i, w in enumerate(ws):
        np.testing.assert_allclose(w, case["arrays"][f"w{i}"], **TOL,
                                   err_msg=case["variable_names"][i])
    if lrs:
        np.testing.assert_allclose(lrs, case["arrays"]["learning_rate"], rtol=1e-6)
    assert int(opt.iterations) == case["iterations_after"]
    _check_state(opt, case)


@pytest.mark.parametrize("case", STEPS, ids=case_ids(STEPS))
def test_portable_path_matches_keras(case, monkeypatch):
    """With the backend's fused kernels switched off, the array-API update alone."""
    monkeypatch.setattr(current(), "kernels", {})
    _, ws, _ = _run(case)
    for i, w in enumerate(ws):
        np.testing.assert_allclose(w, case["arrays"][f"w{i}"], **TOL)


@pytest.mark.parametrize("case", STEPS, ids=case_ids(STEPS))
def test_config_and_serialization_match_keras(case):
    opt = _make(case)
    if case["class"] != "MultiOptimizer":
        assert opt.get_config() == dict(case["keras_config"], name=opt.name)
    keras_dict = case["keras_serialized"]
    again = optimizers.deserialize(keras_dict)
    assert type(again) is type(opt)
    assert optimizers.serialize(again) == keras_dict


@pytest.mark.parametrize("case", FITS, ids=case_ids(FITS))
def test_fit_matches_keras(case):
    a = case["arrays"]
    kerasx.utils.clear_session(free_memory=False)
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(3, name="hidden"),
                               kerasx.layers.Dense(2, name="output_dense")], name="net")
    model.set_weights([a[f"weights{k}"] for k in range(4)])
    opt = optimizers.deserialize(case["keras_serialized"])
    model.compile(optimizer=opt, loss="mse")
    history = model.fit(a["x"], a["y"], batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], a["loss"], rtol=1e-5)
    for k, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, a[f"final{k}"], **TOL)
    assert int(opt.iterations) == case["iterations_after"]
    _check_state(opt, case)
