"""The NumPy batch-normalization kernels against the portable
`fused_batch_normalization` (values, batch statistics and every gradient)."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.ops.normalization import fused_batch_normalization


def _run(x, scale, offset, g, relu=False):
    backend = current()
    xv = Variable(backend.asarray(x))
    sv = None if scale is None else Variable(backend.asarray(scale))
    ov = None if offset is None else Variable(backend.asarray(offset))
    with GradientTape() as tape:
        out, mean, var = fused_batch_normalization(xv, axis=-1, scale=sv, offset=ov,
                                                   epsilon=1e-3, relu=relu)
        total = ops.sum(ops.multiply(out, backend.asarray(g)))
    wrt = [xv] + [v for v in (sv, ov) if v is not None]
    grads = tape.gradient(total, wrt)
    return [ops.convert_to_numpy(t) for t in [out, mean, var] + grads]


@pytest.mark.parametrize("relu", [False, True], ids=["", "relu"])
@pytest.mark.parametrize("block_bytes", [64, 1 << 18], ids=["row_blocks", "one_block"])
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("shape", [(7, 5), (4, 6, 5, 3)])
@pytest.mark.parametrize("params", ["both", "scale_only", "none"])
def test_kernel_matches_portable_path(shape, params, dtype, tol, block_bytes, relu,
                                      monkeypatch):
    from kerasx.backends import numpy_normalization

    backend = current()
    if backend.name != "numpy":
        pytest.skip("the kernel is the NumPy backend's")
    monkeypatch.setattr(numpy_normalization, "_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    channels = shape[-1]
    scale = None if params == "none" else rng.uniform(0.5, 2, channels).astype(dtype)
    offset = rng.standard_normal(channels).astype(dtype) if params == "both" else None
    fast = _run(x, scale, offset, g, relu)
    monkeypatch.setattr(backend, "kernels", {k: v for k, v in backend.kernels.items()
                                             if not k.startswith("batch_norm")})
    portable = _run(x, scale, offset, g, relu)
    assert len(fast) == len(portable)
    for a, b in zip(fast, portable):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, float(np.abs(b).max())))


def test_kernel_is_used_for_the_last_axis_only(monkeypatch):
    backend = current()
    if backend.name != "numpy":
        pytest.skip("the kernel is the NumPy backend's")
    calls = []
    kernel = backend.kernels["batch_norm_train"]

    def spy(*args):
        calls.append(True)
        return kernel(*args)

    monkeypatch.setattr(backend, "kernels", {**backend.kernels, "batch_norm_train": spy})
    x = np.random.default_rng(1).standard_normal((4, 3, 5)).astype("float32")
    fused_batch_normalization(x, axis=-1)
    assert calls == [True]
    out, mean, _ = fused_batch_normalization(x, axis=1)
    assert calls == [True]
    np.testing.assert_allclose(ops.convert_to_numpy(mean), x.mean(axis=(0, 2)), rtol=1e-5)


@pytest.mark.parametrize("scale", [True, False])
def test_one_block_and_row_blocks_agree(scale, monkeypatch):
    from kerasx.backends import numpy_normalization as kernels

    if current().name != "numpy":
        pytest.skip("the kernel is the NumPy backend's")
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((2, 40, 6)), rng.standard_normal((2, 40, 6))
    gamma = rng.uniform(0.5, 2, 6) if scale else None
    results = []
    for block_bytes in (1 << 18, 6 * 8 * 7):  # one block; blocks of 7 rows
        monkeypatch.setattr(kernels, "_BLOCK_BYTES", block_bytes)
        out, mean, variance, saved = kernels.batch_norm_train(x, gamma, np.ones(6), 1e-3)
        results.append([out, mean, variance, *kernels.batch_norm_train_grad(g, saved, gamma,
                                                                           True)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def test_relu_in_the_normalization_node_by_finite_differences():
    from kerasx.testing import check_gradients

    rng = np.random.default_rng(3)
    x, scale, offset = rng.standard_normal((6, 4)), rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    check_gradients(lambda x, s, o: fused_batch_normalization(x, -1, s, o, 1e-3, relu=True)[0],
                    [x, scale, offset])
