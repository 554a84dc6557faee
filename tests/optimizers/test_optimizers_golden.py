"""Every optimizer against real Keras 3: weights after 5 steps from the same start and
gradients, with and without clipping, weight decay and a schedule; Adafactor on other
ranks and Lamb's zero-norm trust ratio against float64 NumPy."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.backends import current
from kerasx.optimizers import schedules
from kerasx.testing import float64
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
    kerasx.utils.clear_session(free_memory=False)
    names = [optimizers.SGD().name, optimizers.SGD().name, optimizers.RMSprop().name,
             optimizers.AdamW().name]
    assert names == ["sgd", "sgd_1", "rm_sprop", "adam_w"]


# -- Lamb and Adafactor beyond the two golden variables ------------------------------------
def _np_adafactor(w, grads, lr, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    """Adafactor written out in float64 NumPy (Keras's update rule)."""
    w = np.array(w, dtype=np.float64)
    r = np.zeros(w.shape[:-1]) if w.ndim >= 2 else None
    c = np.zeros(w.shape[:-2] + w.shape[-1:]) if w.ndim >= 2 else None
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(eps2, np.sqrt(np.mean(w ** 2))) * rho
        sq, beta = g ** 2 + eps1, 1 - t ** decay
        if w.ndim >= 2:
            r = beta * r + (1 - beta) * sq.mean(-1)
            c = beta * c + (1 - beta) * sq.mean(-2)
            v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v = beta * v + (1 - beta) * sq
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, np.sqrt(np.mean(u ** 2)) / clip)
    return w, r, c, v


def test_adafactor_factors_the_last_two_axes_of_any_rank():
    """A rank-3 variable keeps r (last axis reduced) and c (second-last reduced); a scalar
    and a vector keep a full velocity and two integer placeholders, in Keras's order."""
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal(s) for s in [(2, 3, 4), (), (5,)]]
    grads = [[rng.standard_normal(w.shape) for w in inits] for _ in range(4)]
    with float64():
        variables = [kerasx.Variable(w) for w in inits]
        opt = optimizers.Adafactor(learning_rate=0.3)
        for step in grads:
            opt.apply_gradients(zip(step, variables))
    assert [(tuple(v.shape), str(v.dtype)) for v in opt.variables[2:]] == [
        ((2, 3), "float64"), ((2, 4), "float64"), ((2, 3, 4), "float64"),
        ((), "int32"), ((), "int32"), ((), "float64"),
        ((), "int32"), ((), "int32"), ((5,), "float64")]
    for i, (var, init) in enumerate(zip(variables, inits)):
        w, r, c, v = _np_adafactor(init, [step[i] for step in grads], 0.3)
        np.testing.assert_allclose(var.numpy(), w, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(opt._v[i].numpy(), v, rtol=1e-12)
        if r is not None:
            np.testing.assert_allclose(opt._r[i].numpy(), r, rtol=1e-12)
            np.testing.assert_allclose(opt._c[i].numpy(), c, rtol=1e-12)


def test_lamb_trust_ratio_is_one_for_zero_norms():
    """Zero weights (first step from zeros) and a zero update take the plain step, not NaN."""
    grad = np.array([[0.5, -2.0], [0.0, 1.0]], dtype="float32")
    variable = kerasx.Variable(np.zeros((2, 2), "float32"))
    opt = optimizers.Lamb(learning_rate=0.1)
    opt.apply_gradients([(grad, variable)])
    m, v = 0.1 * grad, 0.001 * grad ** 2
    update = (m / 0.1) / (np.sqrt(v / 0.001) + 1e-7)
    np.testing.assert_allclose(variable.numpy(), -0.1 * update, rtol=1e-5)
    still = kerasx.Variable(np.ones((3,), "float32"))
    opt = optimizers.Lamb(learning_rate=0.1)
    opt.apply_gradients([(np.zeros(3, "float32"), still)])
    np.testing.assert_array_equal(still.numpy(), np.ones(3, "float32"))
