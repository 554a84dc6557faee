"""The NumPy backend's last-axis layer normalization kernels against the portable
`layer_normalization` and finite differences."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.ops.normalization import layer_normalization
from kerasx.testing.gradcheck import check_gradients

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernels")
NAMES = ("layer_norm_last_axis", "layer_norm_last_axis_grad")


def _run(x, gamma, beta, g, axis=-1, rms_scaling=False):
    """The output and the gradients of x, gamma and beta for the output gradient g."""
    xs = Variable(x)
    params = [None if p is None else Variable(p) for p in (gamma, beta)]
    with GradientTape() as tape:
        out = layer_normalization(xs, params[0], params[1], axis=axis, epsilon=1e-3,
                                  rms_scaling=rms_scaling)
    wrt = [xs] + [p for p in params if p is not None]
    grads = tape.gradient(out, wrt, output_gradients=g)
    return [np.asarray(out.value)] + [np.asarray(v) for v in grads]


def _portable(monkeypatch):
    for name in NAMES:
        monkeypatch.delitem(current().kernels, name)


def _spy(monkeypatch):
    calls = []
    for name in NAMES:
        kernel = current().kernel(name)
        monkeypatch.setitem(current().kernels, name,
                            lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    return calls


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 8), (1, 1), (4, 2, 3, 64)])
@pytest.mark.parametrize("params", ["both", "gamma", "beta", "none"])
def test_kernels_match_the_portable_expression(dtype, rtol, shape, params, monkeypatch):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    gamma = rng.standard_normal(shape[-1]).astype(dtype) if params in ("both", "gamma") else None
    beta = rng.standard_normal(shape[-1]).astype(dtype) if params in ("both", "beta") else None
    calls = _spy(monkeypatch)
    fast = _run(x, gamma, beta, g)
    assert calls == list(NAMES)
    _portable(monkeypatch)
    portable = _run(x, gamma, beta, g)
    for a, b in zip(fast, portable):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def test_kernel_gradients_match_finite_differences():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 5)) * 2
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    check_gradients(lambda a, b, c: layer_normalization(a, b, c, epsilon=1e-3), [x, gamma, beta])
    check_gradients(lambda a: layer_normalization(a, epsilon=1e-3), [x])


def test_output_without_parameters_is_not_the_saved_array():
    """Writing over the output (as in-place ops on fresh arrays may) leaves the gradient
    as it was."""
    rng = np.random.default_rng(3)
    x = Variable(rng.standard_normal((4, 6)))
    g = rng.standard_normal((4, 6))
    with GradientTape(persistent=True) as tape:
        out = layer_normalization(x)
    before = np.asarray(tape.gradient(out, x, output_gradients=g))
    out.value[...] = 0.0
    np.testing.assert_array_equal(np.asarray(tape.gradient(out, x, output_gradients=g)), before)


def test_other_calls_take_the_portable_path(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 5))
    kernel = current().kernel("layer_norm_last_axis")
    calls = _spy(monkeypatch)
    _run(x, rng.standard_normal((4, 5)), None, x, axis=(1, 2))  # two axes
    _run(x, rng.standard_normal(5), None, x, rms_scaling=True)
    assert calls == []
    # parameters of another dtype than the input: declined, the portable path promotes
    assert kernel(x, np.ones(5, np.float32), None, 1e-3) is None
    assert kernel(x.astype(np.int64), None, None, 1e-3) is None
    out = ops.convert_to_numpy(layer_normalization(x, np.ones(5, np.float32), None))
    assert out.dtype == np.float64
