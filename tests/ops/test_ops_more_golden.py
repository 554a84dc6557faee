"""The control-flow, segment and remaining `keras.ops.nn` ops against values and JAX
gradients computed by Keras 3.15.1 (tests/golden/family_ops_more.py)."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from tests.conftest import to_numpy
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("ops_more")

# the step functions of tests/golden/family_ops_more.py
STEP_FUNCTIONS = {
    "rnn": lambda h, x: (ops.tanh(h * 0.5 + x), ops.tanh(h * 0.5 + x) * 2.0),
    "add": lambda a, b: a + b,
    "sumsq": lambda r: ops.sum(r * r) * r,
}


def _args(case):
    arrays = case["arrays"]
    return [arrays[f"arg{i}"] for i in range(sum(k.startswith("arg") for k in arrays))]


def _call(case, args):
    op = getattr(ops, case["class"])
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in case["config"].items()}
    if case["fn"]:
        return op(STEP_FUNCTIONS[case["fn"]], *args, **config)
    return op(*args, **config)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras(case):
    arrays = case["arrays"]
    out = _call(case, _args(case))
    outs = out if isinstance(out, (list, tuple)) else [out]
    expected = [arrays["out"]] if "out" in arrays else \
        [arrays[f"out{i}"] for i in range(len(outs))]
    for got, want in zip(outs, expected):
        got = to_numpy(got)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=case["name"])
    if not case["wrt"]:
        return
    args = _args(case)
    variables = {i: Variable(args[i]) for i in case["wrt"]}
    with GradientTape() as tape:
        total = ops.sum(_call(case, [variables.get(i, a) for i, a in enumerate(args)]) *
                        arrays["proj"])
    grads = tape.gradient(total, [variables[i] for i in case["wrt"]])
    for i, grad in zip(case["wrt"], grads):
        np.testing.assert_allclose(to_numpy(grad), arrays[f"grad{i}"], rtol=2e-4, atol=2e-5,
                                   err_msg=f"{case['name']}: gradient of argument {i}")
