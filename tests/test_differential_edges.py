"""Losses, activations, metrics and normalization layers at extreme values, against Keras.

Replays the `fuzz_edges` golden family (tests/golden/family_fuzz_edges.py): cases of
tests/golden/edges_recipe.py (exact 0 / 1 probabilities, logits of +-1e4 and +-inf, NaN,
subnormals, -0.0, softmax rows all -inf, constant and overflowing inputs, zero and huge
sample weights, float16 / bfloat16) that Keras 3.15.1 on JAX ran. kerasx must give the
same values with NaN and infinities in the same places, the same dtypes, and the same
gradients (a tape here, JAX's autodiff there).
"""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current
from tests.backend_dtypes import has_dtype
from tests.golden.edges_recipe import run_case
from tests.golden.loader import case_ids, load_cases

GOLDEN = load_cases("fuzz_edges")
HAS_HALF = hasattr(current().xp, "float16")
HALF = ("float16", "bfloat16")


def _gradient(f, x):
    x = ops.convert_to_tensor(x)
    with kerasx.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def _half(config):
    """The case's half-precision dtype name, or None."""
    for dtype in (config.get("dtype"), config.get("config", {}).get("dtype")):
        if dtype in HALF:
            return dtype
    return None


def _assert_same(got, want, half, name):
    got = np.asarray(got).astype(np.float32).astype(np.float64)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape, name
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}: NaN")
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)],
                                  want[~finite & ~np.isnan(want)], err_msg=f"{name}: inf")
    rtol, atol = (2e-2, 1e-3) if half else (1e-5, 1e-6)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_golden_case(case):
    config, arrays = case["config"], case["arrays"]
    half = _half(config)
    if half and not HAS_HALF:
        pytest.skip("the backend has no float16 / bfloat16 (not array API dtypes)")
    if half and not has_dtype(half):
        pytest.skip(f"{half} is not available here (bfloat16 needs ml_dtypes)")
    inputs = {k: v for k, v in arrays.items() if not k.startswith("out_")}
    out, dtypes = run_case(kerasx, config, inputs, _gradient)
    want = sorted(k[4:] for k in arrays if k.startswith("out_"))
    assert sorted(out) == want
    for name in want:
        _assert_same(out[name], arrays[f"out_{name}"], half, name)
    assert dtypes == case["dtypes"]
