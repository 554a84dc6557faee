"""On NumPy, `Mean` adds each update into its variables' own arrays
(`add_to_variable`); the totals must be those of the portable assignments, and an
array someone else holds must never change."""

import numpy as np
import pytest

from kerasx.backends import current
from kerasx.metrics.reduction_metrics import Mean


@pytest.fixture
def kernel():
    backend = current()
    backend.xp  # registers the kernels
    add = backend.kernel("add_to_variable")
    if add is None:
        pytest.skip("the in-place accumulation is the NumPy backend's")
    return backend, add


def _updates():
    gen = np.random.default_rng(3)
    for _ in range(40):
        yield np.float32(gen.standard_normal() * 10), 32
        yield gen.standard_normal(32).astype(np.float32), None


def _run(metric):
    for value, weight in _updates():
        metric.update_state(np.asarray(value), sample_weight=weight)
    return float(metric.total.numpy()), float(metric.count.numpy()), float(metric.result())


def test_in_place_totals_equal_the_portable_ones(kernel, monkeypatch):
    backend, _ = kernel
    fast = _run(Mean())
    monkeypatch.delitem(backend.kernels, "add_to_variable")
    assert backend.kernel("add_to_variable") is None
    assert _run(Mean()) == fast   # bit for bit: the same float32 additions


def test_an_array_held_elsewhere_is_not_written(kernel):
    _, add = kernel
    metric = Mean()
    metric.update_state(np.asarray(np.float32(2.0)), sample_weight=3)
    held = metric.total.value          # a reference from outside the metric
    before = held.copy()
    metric.update_state(np.asarray(np.float32(5.0)), sample_weight=1)
    np.testing.assert_array_equal(held, before)
    assert float(metric.total.numpy()) == 11.0
    assert metric.total.value is not held
    shared = np.zeros((), np.float32)
    a, b = Mean(), Mean()
    a.total.assign(shared)
    b.total.assign(shared)
    add(a.total, np.float32(1.5))
    assert float(shared) == 0.0 and float(b.total.numpy()) == 0.0
    assert float(a.total.numpy()) == 1.5
