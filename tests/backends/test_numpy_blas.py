"""The level-1 BLAS routines and the matrix product bound from NumPy's bundled OpenBLAS
(`numpy_blas`)."""

import contextlib

import numpy as np
import pytest

from kerasx.backends import numpy_blas

RNG = np.random.default_rng(2)


_SWITCHES = {"level1": "KERASX_BLAS_UPDATES", "level3": "KERASX_BLAS_GEMM"}


def _bound(kind):
    routines = getattr(numpy_blas, kind)()
    if routines is None:
        pytest.skip(f"this NumPy bundles no OpenBLAS (or {_SWITCHES[kind]}=0)")
    return routines


def _routines():
    return _bound("level1")


def _level3():
    return _bound("level3")


@pytest.mark.parametrize("kind", sorted(_SWITCHES))
def test_found_where_numpy_bundles_openblas(kind, monkeypatch):
    find = getattr(numpy_blas, kind).__wrapped__
    if numpy_blas._bundled_libraries():
        assert find() is not None
    monkeypatch.setenv(_SWITCHES[kind], "0")
    assert find() is None


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-6), (np.float64, 1e-14)])
def test_axpby_and_axpy_compute_in_place(dtype, rtol):
    blas = _routines()
    x = RNG.normal(size=1001).astype(dtype)
    y = RNG.normal(size=1001).astype(dtype)
    want = 0.25 * x.astype(np.float64) + 0.75 * y
    assert blas.axpby(0.25, x, 0.75, y)
    np.testing.assert_allclose(y, want, rtol=rtol, atol=rtol)
    want = y + np.float64(-1.5) * x
    assert blas.axpy(np.float32(-1.5), x, y)  # NumPy scalars pass as well
    np.testing.assert_allclose(y, want, rtol=rtol, atol=rtol)


def test_declines_what_it_cannot_take():
    blas = _routines()
    x = np.ones(8, np.float32)
    y = np.ones(8, np.float32)
    frozen = np.ones(8, np.float32)
    frozen.flags.writeable = False
    for args in [(x[::2], y[:4]),                      # not contiguous
                 (x, y.astype(np.float64)),            # mixed dtypes
                 (x, y[:7]),                           # different sizes
                 (x.astype(np.int32), y.astype(np.int32)),
                 (x, frozen)]:
        before = args[1].copy()
        assert not blas.axpy(2.0, *args)
        assert not blas.axpby(2.0, args[0], 3.0, args[1])
        np.testing.assert_array_equal(args[1], before)


def test_a_32_bit_interface_declines_sizes_it_cannot_count(monkeypatch):
    blas = _routines()
    monkeypatch.setattr(blas, "_max_size", 7)
    x = np.ones(8, np.float32)
    y = np.ones(8, np.float32)
    assert not blas.axpy(2.0, x, y) and not blas.takes(x, y)
    assert blas.axpy(2.0, x[:7], y[:7])
    np.testing.assert_array_equal(y, [3.0] * 7 + [1.0])


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True),
                                             (True, True)])
def test_gemm_sets_or_adds_the_product_into_strided_rows(dtype, rtol, trans_a, trans_b):
    blas = _level3()
    a = RNG.normal(size=(7, 5)).astype(dtype)
    b = RNG.normal(size=(5, 3)).astype(dtype)
    a_arg = np.ascontiguousarray(a.T) if trans_a else a
    b_arg = np.ascontiguousarray(b.T) if trans_b else b
    want = a.astype(np.float64) @ b
    big = RNG.normal(size=(9, 6)).astype(dtype)    # rows of 6 of which `out` takes 3
    before = big.copy()
    out = big[1:8, 2:5]
    assert blas.gemm(a_arg, b_arg, out, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(out, want, rtol=rtol, atol=rtol)
    assert blas.gemm(a_arg, b_arg, out, accumulate=True, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(out, 2 * want, rtol=rtol, atol=rtol)
    untouched = np.ones(big.shape, bool)
    untouched[1:8, 2:5] = False
    np.testing.assert_array_equal(big[untouched], before[untouched])
    wide = RNG.normal(size=(7, 8)).astype(dtype)   # `a` read from a strided view too
    assert blas.gemm(wide[:, :5], b, out)
    np.testing.assert_allclose(out, wide[:, :5].astype(np.float64) @ b, rtol=rtol, atol=rtol)


def test_gemm_declines_what_it_cannot_take():
    blas = _level3()
    a = np.ones((4, 3), np.float32)
    b = np.ones((3, 2), np.float32)
    frozen = np.zeros((4, 2), np.float32)
    frozen.flags.writeable = False
    shared = np.zeros((4, 5), np.float32)
    for args in [(a, b, np.zeros((4, 2), np.float64)),      # mixed dtypes
                 (a, b, np.zeros((4, 3), np.float32)),      # wrong output shape
                 (a, b[:2], np.zeros((4, 2), np.float32)),  # inner sizes differ
                 (a[:, ::2], b[:2], np.zeros((4, 2), np.float32)),  # strided columns
                 (a.astype(np.int32), b.astype(np.int32), np.zeros((4, 2), np.int32)),
                 (a[0], b, np.zeros((1, 2), np.float32)),   # not a matrix
                 (a, b, frozen),
                 (shared[:, :3], b, shared[:, 3:])]:        # the output overlaps an input
        before = args[2].copy()
        assert not blas.gemm(*args)
        np.testing.assert_array_equal(args[2], before)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-5), (np.float64, 1e-13)])
def test_step_products_run_gemm_on_each_step_of_two_stacks(dtype, rtol):
    blas = _level3()
    a = RNG.normal(size=(3, 6, 4)).astype(dtype)
    b = RNG.normal(size=(4, 5, 5)).astype(dtype)[:, :, 1:]   # (n, k) steps of strided rows
    out = np.zeros((6, 5), dtype)
    run = blas.step_products(a, b, out, accumulate=True, trans_b=True)
    want = np.zeros((6, 5))
    for t in (1, 2, 0):
        run(t)
        want += a[t].astype(np.float64) @ b[t].T.astype(np.float64)
        np.testing.assert_allclose(out, want, rtol=rtol, atol=rtol)
    for t in (-1, 3):  # outside the shorter stack: no pointer past its end
        with pytest.raises(IndexError, match="outside the stacks"):
            run(t)
    np.testing.assert_allclose(out, want, rtol=rtol, atol=rtol)
    set_run = blas.step_products(a, np.broadcast_to(b[0], (3, 5, 4)), out, trans_b=True)
    set_run(2)
    np.testing.assert_allclose(out, a[2].astype(np.float64) @ b[0].T, rtol=rtol, atol=rtol)


def test_step_products_decline_what_gemm_declines():
    blas = _level3()
    a = np.ones((3, 4, 2), np.float32)
    b = np.ones((3, 5, 2), np.float32)
    stacked = np.zeros((3, 4, 5), np.float32)
    for args in [(a[0], b, np.zeros((4, 5), np.float32)),        # not a stack
                 (a, b, np.zeros((4, 5), np.float64)),           # mixed dtypes
                 (a, b[:, :4], np.zeros((4, 5), np.float32)),    # wrong output shape
                 (a[:0], b, np.zeros((4, 5), np.float32)),       # no steps
                 (a, stacked, stacked[2, :, :2])]:               # the output is in a stack
        assert blas.step_products(*args, trans_b=True) is None
    # the output overlapping a later step of a stack than the first is declined too
    holder = np.zeros((3, 4, 2), np.float32)
    assert blas.step_products(holder, np.ones((3, 2, 2), np.float32), holder[2, :, :]) is None


def test_one_thread_runs_products_on_one_thread_and_restores_the_count():
    control = numpy_blas.threads()
    if control is None:
        pytest.skip("this NumPy bundles no OpenBLAS")
    before = control.get()
    control.set(2)
    try:
        with numpy_blas.one_thread():
            assert control.get() == 1
        assert control.get() == 2
        with pytest.raises(ValueError):
            with numpy_blas.one_thread():
                raise ValueError("inside")
        assert control.get() == 2
    finally:
        control.set(before)



@pytest.mark.parametrize("module", ["numpy_conv", "numpy_conv_pool"])
def test_skinny_kernel_gradient_products_run_on_one_thread(module, monkeypatch):
    import importlib

    from kerasx.backends.numpy_conv import conv_kernel_grad
    from kerasx.backends.numpy_conv_pool import _add_kernel_grad

    control = numpy_blas.threads()
    if control is None:
        pytest.skip("this NumPy bundles no OpenBLAS")
    seen = []

    @contextlib.contextmanager
    def watched():
        with numpy_blas.one_thread():
            seen.append(control.get())
            yield

    monkeypatch.setattr(importlib.import_module(f"kerasx.backends.{module}"), "one_thread",
                        watched)
    cols = RNG.standard_normal((10_000, 9)).astype(np.float32)
    dy = RNG.standard_normal((10_000, 16)).astype(np.float32)
    before = control.get()
    control.set(2)
    try:
        if module == "numpy_conv":
            got = conv_kernel_grad(cols, dy, (3, 3, 1, 16), 1).reshape(9, 16)
        else:
            got = np.zeros((9, 16), np.float32)
            _add_kernel_grad(got, cols, dy)
        assert control.get() == 2
    finally:
        control.set(before)
    assert seen == [1]
    want = cols.astype(np.float64).T @ dy.astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
