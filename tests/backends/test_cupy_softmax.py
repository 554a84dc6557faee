"""The CuPy fused softmax and sparse cross-entropy: their CUDA bodies compiled as C on
the CPU, and the kernels themselves on a GPU, against NumPy references."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current  # noqa: F401 (read by the skipif condition)


def _reference(x, labels, g):
    shifted = x - x.max(axis=-1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    classes = x.shape[-1]
    valid = (labels >= 0) & (labels < classes)
    ids = np.where(valid, labels, 0).astype(np.int64)
    rows = np.arange(len(x))
    loss = np.where(valid, -np.log(probs[rows, ids]), 0.0)
    grad = probs.copy()
    grad[rows, ids] -= 1.0
    grad = np.where(valid[:, None], grad * g[:, None], 0.0)
    return probs, loss, grad


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_cuda_bodies_compiled_as_c_match_numpy(tmp_path):
    from kerasx.backends.cupy_softmax import _PICK_LOSS, _SOFTMAX_ROWS, _XENT_GRAD

    source = f"""
    #include <math.h>
    typedef double T; typedef long long I;
    void softmax_rows(const T* x, long long classes, T* probs, T* maxima, T* sums, long long n) {{
        for (long long i = 0; i < n; ++i) {{ {_SOFTMAX_ROWS[2]} }} }}
    void pick_loss(const T* x, const I* labels, const T* maxima, const T* sums, long long classes,
                   T* out, long long n) {{
        for (long long i = 0; i < n; ++i) {{ T loss; {_PICK_LOSS[2]} out[i] = loss; }} }}
    void xent_grad(const T* probs, const I* labels, const T* g, long long classes, T* out,
                   long long size) {{
        for (long long i = 0; i < size; ++i) {{ T grad; {_XENT_GRAD[2]} out[i] = grad; }} }}
    """
    (tmp_path / "k.c").write_text(source)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(tmp_path / "k.so"),
                    str(tmp_path / "k.c"), "-lm"], check=True)
    lib = ctypes.CDLL(str(tmp_path / "k.so"))
    rng = np.random.default_rng(0)
    n, classes = 9, 6
    x = rng.standard_normal((n, classes)) * 4
    x[2] += 700.0  # large logits: the shift by the row maximum keeps exp finite
    labels = np.array([0, 5, 3, -1, 6, 2, 2**40, 1, 4], dtype=np.int64)
    g = rng.standard_normal(n)

    def ptr(a):
        return a.ctypes.data_as(ctypes.c_void_p)

    ll = ctypes.c_longlong
    probs, maxima, sums = np.empty_like(x), np.empty(n), np.empty(n)
    lib.softmax_rows(ptr(x), ll(classes), ptr(probs), ptr(maxima), ptr(sums), ll(n))
    loss, grad = np.empty(n), np.empty_like(x)
    lib.pick_loss(ptr(x), ptr(labels), ptr(maxima), ptr(sums), ll(classes), ptr(loss), ll(n))
    lib.xent_grad(ptr(probs), ptr(labels), ptr(g), ll(classes), ptr(grad), ll(x.size))
    want_probs, want_loss, want_grad = _reference(x, labels, g)
    np.testing.assert_array_equal(maxima, x.max(axis=1))
    np.testing.assert_allclose(probs, want_probs, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-14)
    assert not grad[[3, 4, 6]].any() and not loss[[3, 4, 6]].any()


@pytest.mark.skipif("current().name != 'cupy'", reason="needs the cupy backend and a GPU")
@pytest.mark.parametrize("dtype,tol", [("float32", 2e-6), ("float64", 1e-13)])
def test_cupy_fused_softmax_and_cross_entropy(backend, dtype, tol):
    from kerasx.backends.cupy_softmax import MAX_CLASSES

    rng = np.random.default_rng(1)
    x = (rng.standard_normal((33, 10)) * 3).astype(dtype)
    labels = rng.integers(-1, 11, 33)
    g = rng.standard_normal(33).astype(dtype)
    probs, maxima, sums = backend.kernel("softmax_last_axis")(backend.asarray(x))
    want_probs, want_loss, want_grad = _reference(x.astype(np.float64), labels, g)
    np.testing.assert_allclose(backend.to_numpy(probs), want_probs, rtol=tol, atol=tol)
    np.testing.assert_array_equal(backend.to_numpy(maxima), x.max(axis=1, keepdims=True))
    want_sums = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True)).sum(1, keepdims=True)
    np.testing.assert_allclose(backend.to_numpy(sums), want_sums, rtol=tol)
    z = Variable(backend.asarray(x))
    with GradientTape() as tape:
        loss = ops.softmax_cross_entropy(backend.asarray(labels), z, sparse=True)
        weighted = ops.sum(ops.multiply(loss, backend.asarray(g)))
    np.testing.assert_allclose(ops.convert_to_numpy(loss), want_loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(ops.convert_to_numpy(tape.gradient(weighted, z)), want_grad,
                               rtol=tol, atol=tol)
    # a 3-D softmax is the same rows in its shape; integers and rows wider than
    # MAX_CLASSES decline
    probs3, _, _ = backend.kernel("softmax_last_axis")(backend.asarray(x.reshape(3, 11, 10)))
    np.testing.assert_array_equal(backend.to_numpy(probs3),
                                  backend.to_numpy(probs).reshape(3, 11, 10))
    assert backend.kernel("softmax_last_axis")(backend.asarray(np.arange(6).reshape(2, 3))) is None
    wide = backend.asarray(np.zeros((2, MAX_CLASSES + 1), dtype))
    assert backend.kernel("softmax_last_axis")(wide) is None
