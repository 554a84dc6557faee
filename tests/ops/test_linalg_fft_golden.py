"""The linear-algebra and Fourier ops against Keras 3 (JAX backend) golden values: the
outputs, and the gradients of a fixed projection of them (JAX's own VJPs, so the
conventions agree: symmetric inputs read as `(x + x^T) / 2`, `(real, imag)` pairs)."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import ops
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "linalg_fft.cases.json")):
    pytest.skip("tests/golden/linalg_fft.* not generated yet", allow_module_level=True)

CASES = load_cases("linalg_fft")
VIEWS = {
    "eigh": lambda w, v: (w, ops.square(v)),
    "svd": lambda u, s, vh: (ops.square(u), s, ops.square(vh)),
    "qr": lambda q, r: (ops.abs(q), ops.abs(r)),
}


def _outputs(case, xs):
    config = dict(case["config"])
    if isinstance(config.get("window"), list):
        config["window"] = np.asarray(config["window"], np.float32)
    args = [(xs[0], xs[1]), *xs[2:]] if case["pair"] else list(xs)
    out = getattr(ops, case["class"])(*args, **config)
    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return VIEWS[case["view"]](*out) if case["view"] else out


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras(case):
    arrays = case["arrays"]
    inputs = [arrays[f"x{j}"] for j in range(case["n_inputs"])]
    for i, got in enumerate(_outputs(case, inputs)):
        want = arrays[f"out{i}"]
        got = ops.convert_to_numpy(got)
        assert got.dtype == want.dtype, f"out{i}"
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5, err_msg=f"out{i}")
    if "grad0" not in arrays:
        return
    variables = [kerasx.Variable(x) for x in inputs]
    with kerasx.GradientTape() as tape:
        outs = _outputs(case, variables)
        loss = sum(ops.sum(o * arrays[f"proj{i}"]) for i, o in enumerate(outs)
                   if f"proj{i}" in arrays)
    grads = tape.gradient(loss, variables)
    for j, grad in enumerate(grads):
        np.testing.assert_allclose(ops.convert_to_numpy(grad), arrays[f"grad{j}"], rtol=1e-3,
                                   atol=1e-4, err_msg=f"grad{j}")
