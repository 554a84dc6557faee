"""The NumPy backend's `threshold_suffix_counts` kernel (AUC's confusion counts at
evenly spaced thresholds, by a histogram) against the portable sorted-key counts."""

import numpy as np
import pytest

from kerasx import metrics
from kerasx.backends import current
from kerasx.metrics import metrics_utils

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="a NumPy kernel")


def _portable(monkeypatch):
    monkeypatch.delitem(current().kernels, "threshold_suffix_counts")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("thresholds", [2, 3, 200])
def test_kernel_counts_what_the_sorted_keys_count(dtype, thresholds, monkeypatch):
    backend = current()
    kernel = backend.kernel("threshold_suffix_counts")
    assert kernel is not None
    rng = np.random.default_rng(thresholds)
    shift = rng.integers(0, thresholds, 300)
    shift[:4] = [-7, thresholds, thresholds + 3, np.iinfo(np.int64).min]  # a NaN score's
    weights = rng.random(300).astype(dtype)
    got = kernel(shift, weights, thresholds)
    _portable(monkeypatch)
    want = metrics_utils._suffix_counts(backend.xp, backend, shift, weights, thresholds)
    assert got.dtype == want.dtype == dtype and got.shape == (thresholds,)
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13)
    # by definition: weights of the samples whose shift lies in (i, T)
    inside = (shift >= 0) & (shift < thresholds)
    direct = [weights[inside & (shift > i)].astype(np.float64).sum() for i in range(thresholds)]
    np.testing.assert_allclose(got, direct, rtol=1e-6)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_auc_is_the_same_with_and_without_the_kernel(curve, monkeypatch):
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, (256, 1)).astype(np.float32)
    y_pred = np.clip(0.6 * y_true + 0.5 * rng.random((256, 1)), 0, 1).astype(np.float32)
    y_pred[:2] = [[0.0], [1.0]]
    weights = rng.random(256).astype(np.float32)

    def run():
        auc = metrics.AUC(curve=curve)
        auc.update_state(y_true[:128], y_pred[:128])
        auc.update_state(y_true[128:], y_pred[128:], sample_weight=weights[128:])
        return float(auc.result()), [np.asarray(v.value) for v in auc.variables]

    fast, fast_vars = run()
    _portable(monkeypatch)
    portable, portable_vars = run()
    assert 0.5 < fast < 1.0
    assert fast == pytest.approx(portable, rel=1e-6)
    for a, b in zip(fast_vars, portable_vars):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
