"""The NumPy backend's activation gradient kernels against the portable rules in
`kerasx.ops.nn`, bit for bit."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current

pytestmark = [pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernels"),
              # inf * 0 in both rules' `x * slope`
              pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")]

SLOPES = [0.2, 0.01, 0.3, 0.0, 1.0, 2.0, 7.5, -0.5]


def _leaky_grad(x, g, slope):
    v = Variable(x)
    with GradientTape() as tape:
        y = ops.leaky_relu(v, slope)
    return np.asarray(tape.gradient(y, v, output_gradients=g))


def _inputs(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((37, 129)).astype(dtype)
    x[0, :6] = [0.0, -0.0, np.nan, np.inf, 1e-40, -1e-40]
    g = rng.standard_normal(x.shape).astype(dtype)
    g[1, :2] = [np.nan, -np.inf]
    return x, g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", SLOPES)
def test_leaky_relu_gradient_is_the_portable_rule_bit_for_bit(dtype, slope, monkeypatch):
    x, g = _inputs(dtype)
    calls = []
    kernel = current().kernel("leaky_relu_grad")
    monkeypatch.setitem(current().kernels, "leaky_relu_grad",
                        lambda *a: calls.append(1) or kernel(*a))
    fast = _leaky_grad(x, g, slope)
    assert calls and fast.dtype == dtype
    monkeypatch.delitem(current().kernels, "leaky_relu_grad")
    portable = _leaky_grad(x, g, slope)
    np.testing.assert_array_equal(fast, portable)
    # by definition: g where x >= slope * x, else g * slope
    with np.errstate(invalid="ignore"):
        want = np.where(x >= x * dtype(slope), g, g * dtype(slope))
    np.testing.assert_array_equal(fast, want)


def test_leaky_relu_kernel_declines_what_it_cannot_do_exactly():
    kernel = current().kernel("leaky_relu_grad")
    x, g = _inputs(np.float32)
    assert kernel(g, x.astype(np.int32), 0.2) is None
    assert kernel(g.astype(np.float64), x, 0.2) is None
    assert kernel(g[:, :5], x, 0.2) is None
    slope = -1.9164661  # (1 - slope) + slope is not 1 in float32
    assert np.float32(1) - np.float32(slope) + np.float32(slope) != np.float32(1)
    assert kernel(g, x, slope) is None
    np.testing.assert_array_equal(_leaky_grad(x, g, slope),
                                  np.where(x >= x * np.float32(slope), g, g * np.float32(slope)))
