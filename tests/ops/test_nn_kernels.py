"""The NumPy backend's sparse softmax cross-entropy kernel against the portable op."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current


def _loss_and_grad(labels, logits, g):
    z = Variable(current().asarray(logits))
    with GradientTape() as tape:
        out = ops.softmax_cross_entropy(labels, z, sparse=True)
        weighted = ops.sum(ops.multiply(out, g))
    return ops.convert_to_numpy(out), ops.convert_to_numpy(tape.gradient(weighted, z))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("labels", [
    np.array([0, 3, 1, 2, 3]),
    np.array([0., 3., 1., 2., 3.]),            # losses cast their labels to float
    np.array([0, 4, -1, 2, 3]),                # out of range: loss and gradient 0
], ids=["int", "float", "out_of_range"])
def test_fast_kernel_matches_portable_path(labels, dtype, monkeypatch):
    backend = current()
    if backend.name != "numpy":
        pytest.skip("the fast kernel is the NumPy backend's")
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((5, 4)) * 3).astype(dtype)
    g = rng.standard_normal(5).astype(dtype)
    assert backend.kernel("sparse_softmax_cross_entropy") is not None
    fast = _loss_and_grad(labels, logits, g)
    monkeypatch.setattr(backend, "kernels", {k: v for k, v in backend.kernels.items()
                                             if k != "sparse_softmax_cross_entropy"})
    portable = _loss_and_grad(labels, logits, g)
    tol = 1e-6 if dtype == "float32" else 1e-13
    for a, b in zip(fast, portable):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    valid = (labels >= 0) & (labels < 4)
    want = np.where(valid, -log_probs[np.arange(5), np.where(valid, labels, 0).astype(int)], 0)
    np.testing.assert_allclose(fast[0], want, rtol=tol, atol=tol)
    assert not fast[1][~valid].any()


def test_fast_kernel_declines_other_layouts():
    backend = current()
    if backend.name != "numpy":
        pytest.skip("the fast kernel is the NumPy backend's")
    kernel = backend.kernel("sparse_softmax_cross_entropy")
    assert kernel(np.zeros((2, 3, 4)), np.zeros((2, 3), int)) is None
    assert kernel(np.zeros((2, 4)), np.zeros((2, 1), int)) is None
