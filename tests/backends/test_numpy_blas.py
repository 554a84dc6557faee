"""The level-1 BLAS routines bound from NumPy's bundled OpenBLAS (`numpy_blas`)."""

import numpy as np
import pytest

from kerasx.backends import numpy_blas

RNG = np.random.default_rng(2)


def _routines():
    routines = numpy_blas.level1()
    if routines is None:
        pytest.skip("this NumPy bundles no OpenBLAS (or KERASX_BLAS_UPDATES=0)")
    return routines


def test_found_where_numpy_bundles_openblas(monkeypatch):
    if numpy_blas._bundled_libraries():
        assert numpy_blas.level1.__wrapped__() is not None
    monkeypatch.setenv("KERASX_BLAS_UPDATES", "0")
    assert numpy_blas.level1.__wrapped__() is None


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
