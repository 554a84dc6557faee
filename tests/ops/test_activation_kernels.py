"""The NumPy backend's activation kernels against the portable rules in `kerasx.ops.nn`:
bit for bit where the arithmetic is the same (leaky ReLU, ELU, SELU), to rounding
elsewhere, and by finite differences in float64."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.testing import check_gradients

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
    x[0, :7] = [0.0, -0.0, np.nan, np.inf, 1e-40, -1e-40, -np.inf]
    g = rng.standard_normal(x.shape).astype(dtype)
    g[1, :2] = [np.nan, -np.inf]
    return x, g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", [s for s in SLOPES if s <= 1])  # above 1: no kernel
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
    # by definition: g where x >= 0, else g * slope (infinities included: x >= slope * x
    # holds at -inf, and fails at +inf for a slope of 0)
    want = np.where(x >= 0, g, g * dtype(slope))
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


EXTREMES = [-1000.0, -100.0, -88.5, -20.0, -0.0, 0.0, 1e-30, 3.0, 20.0, 100.0, np.inf, -np.inf,
            np.nan]
# float32: rounding of formulas whose terms cancel (the tanh GELU's gradient near -2)
TOLERANCE = {np.float32: dict(rtol=3e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def _long_inputs(dtype):
    """More values than one block (the last one ragged), extremes first; a transposed
    (non-contiguous) input and a broadcast output gradient."""
    from kerasx.backends.numpy_activations import _BLOCK

    rows = _BLOCK // 263 + 7
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((rows, 263)) * 4).astype(dtype)
    x.reshape(-1)[:len(EXTREMES)] = EXTREMES
    g = np.broadcast_to(rng.standard_normal((1, rows)).astype(dtype), (263, rows))
    return x.T, g


def _forward_and_grad(op, x, g):
    v = Variable(x)
    with GradientTape() as tape:
        out = op(v)
    return np.asarray(out.value), np.asarray(tape.gradient(out, v, output_gradients=g))


OPS = {"sigmoid": (ops.sigmoid, ("sigmoid",)),
       "silu": (ops.silu, ("sigmoid", "silu_grad")),
       "gelu_tanh": (lambda v: ops.gelu(v, approximate=True), ("gelu", "gelu_grad")),
       "gelu_erf": (lambda v: ops.gelu(v, approximate=False), ("gelu", "gelu_grad")),
       "softplus": (ops.softplus, ("sigmoid",))}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(OPS))
def test_activation_kernels_match_the_portable_rules(name, dtype, monkeypatch):
    op, kernels = OPS[name]
    x, g = _long_inputs(dtype)
    calls = []
    for k in kernels:
        real = current().kernel(k)
        monkeypatch.setitem(current().kernels, k,
                            lambda *a, _r=real, _k=k: calls.append(_k) or _r(*a))
    with np.errstate(all="ignore"):
        fast = _forward_and_grad(op, x, g)
        assert set(calls) == set(kernels)
        for k in kernels:
            monkeypatch.delitem(current().kernels, k)
        portable = _forward_and_grad(op, x, g)
    for a, b in zip(fast, portable):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", list(OPS))
def test_activation_kernel_gradients_match_finite_differences(name):
    op, _ = OPS[name]
    x = np.random.default_rng(5).standard_normal((3, 7)) * 2
    check_gradients(op, [x], rtol=1e-6)


def test_sigmoid_kernel_limits_and_declines():
    sig = current().kernel("sigmoid")
    with np.errstate(over="ignore"):
        got = sig(np.array([-1000.0, -88.0, 0.0, 50.0, np.nan], np.float32))
    np.testing.assert_allclose(got[:4], [0.0, 1 / (1 + np.exp(88.0)), 0.5, 1.0], rtol=1e-6)
    assert np.isnan(got[4])
    assert sig(np.arange(4)) is None
    x = np.ones((2, 3), np.float32)
    assert current().kernel("silu_grad")(x.astype(np.float64), x, x) is None
    assert current().kernel("gelu_grad")(x[:, :2], x, x, True) is None
    assert current().kernel("gelu_grad")(x, x, x.astype(np.float64), False) is None
    assert current().kernel("gelu")(np.arange(3), False) is None


ELUS = {"elu": lambda v: ops.elu(v), "elu_half": lambda v: ops.elu(v, alpha=0.5),
        "elu_3": lambda v: ops.elu(v, alpha=3.0), "selu": ops.selu}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ELUS))
def test_elu_kernels_are_the_portable_rules_bit_for_bit(name, dtype, monkeypatch):
    x, g = _long_inputs(dtype)
    calls = []
    for k in ("elu", "elu_grad"):
        real = current().kernel(k)
        monkeypatch.setitem(current().kernels, k,
                            lambda *a, _r=real, _k=k: calls.append(_k) or _r(*a))
    with np.errstate(all="ignore"):
        fast = _forward_and_grad(ELUS[name], x, g)
        assert calls == ["elu", "elu_grad"]
        for k in ("elu", "elu_grad"):
            monkeypatch.delitem(current().kernels, k)
        portable = _forward_and_grad(ELUS[name], x, g)
    for a, b in zip(fast, portable):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    check_gradients(ELUS[name], [np.random.default_rng(6).standard_normal((4, 5)) * 2],
                    rtol=1e-6)


def test_elu_kernels_decline_what_they_cannot_do_exactly():
    x = np.linspace(-2, 2, 12, dtype=np.float32)
    elu, grad = current().kernel("elu"), current().kernel("elu_grad")
    assert elu(x, -1.0) is None and grad(x, x, x, -1.0) is None
    assert elu(np.arange(3), 1.0) is None and grad(x, x.astype(np.float64), x, 1.0) is None
    alpha = 2.7360698e+07  # scale - scale * alpha + scale * alpha is not scale in float32
    assert np.float32(1) - np.float32(alpha) + np.float32(alpha) != np.float32(1)
    assert grad(x, x, elu(x, alpha), alpha) is None
