"""Two level-1 BLAS routines of the OpenBLAS that NumPy's wheels ship, for in-place
optimizer updates of large variables.

`y = a x + b y` (`axpby`) and `y += a x` (`axpy`) are one pass each, run by the
BLAS's own threads (already awake from the step's products), where NumPy's ufuncs
need two or three single-threaded passes and a scratch array: Adam's running
moments and its final step over a 784 x 512 kernel took 630 us against 840 us
right after a product (`numpy_optim.adam_update`). NumPy exposes no level-1 BLAS,
so the library is bound with `ctypes` when NumPy bundles one (`numpy.libs` on
Linux and Windows, `numpy/.dylibs` on macOS; the symbols have the `scipy_`
prefix and 64-bit integers there). `level1()` is None where no such library is
found, or with `KERASX_BLAS_UPDATES=0`; the updates then use NumPy's ufuncs.
"""

import ctypes
import functools
import glob
import os

import numpy as np

# (symbol prefix, suffix, integer type) of the CBLAS interfaces tried, in order
_INTERFACES = (("scipy_cblas_", "64_", ctypes.c_int64), ("cblas_", "64_", ctypes.c_int64),
               ("scipy_cblas_", "", ctypes.c_int), ("cblas_", "", ctypes.c_int))


class Level1:
    """`axpby` and `axpy` for C-contiguous float32 and float64 arrays of one dtype.

    Each returns False, doing nothing, for arrays it does not take (another dtype,
    not contiguous, different sizes); the caller then uses NumPy.
    """

    def __init__(self, lib, prefix, suffix, integer):
        self._axpby, self._axpy = {}, {}
        # a 32-bit interface cannot count past this (ctypes would wrap the size silently)
        self._max_size = 2 ** (8 * ctypes.sizeof(integer) - 1) - 1
        for dtype, letter, real in ((np.float32, "s", ctypes.c_float),
                                    (np.float64, "d", ctypes.c_double)):
            axpby = getattr(lib, f"{prefix}{letter}axpby{suffix}")
            axpby.restype = None
            axpby.argtypes = [integer, real, ctypes.c_void_p, integer, real, ctypes.c_void_p,
                              integer]
            axpy = getattr(lib, f"{prefix}{letter}axpy{suffix}")
            axpy.restype = None
            axpy.argtypes = [integer, real, ctypes.c_void_p, integer, ctypes.c_void_p, integer]
            self._axpby[np.dtype(dtype)], self._axpy[np.dtype(dtype)] = axpby, axpy

    def takes(self, *arrays):
        """True when every array is C-contiguous, of one float dtype and one size that the
        BLAS's integers can count."""
        first = arrays[0]
        if first.dtype not in self._axpy or first.size > self._max_size:
            return False
        for a in arrays:
            if a.dtype != first.dtype or a.size != first.size or not a.flags.c_contiguous:
                return False
        return True

    def axpby(self, a, x, b, y):
        """`y = a x + b y` in place; False (nothing done) where `takes` is False."""
        if not self.takes(x, y) or not y.flags.writeable:
            return False
        self._axpby[y.dtype](y.size, a, x.ctypes.data, 1, b, y.ctypes.data, 1)
        return True

    def axpy(self, a, x, y):
        """`y += a x` in place; False (nothing done) where `takes` is False."""
        if not self.takes(x, y) or not y.flags.writeable:
            return False
        self._axpy[y.dtype](y.size, a, x.ctypes.data, 1, y.ctypes.data, 1)
        return True


def _bundled_libraries():
    root = os.path.dirname(np.__file__)
    return sorted(glob.glob(os.path.join(root, os.pardir, "numpy.libs", "*openblas*"))
                  + glob.glob(os.path.join(root, ".dylibs", "*openblas*")))


@functools.cache
def level1():
    """The bundled BLAS's `Level1` routines, or None (none found, or disabled)."""
    if os.environ.get("KERASX_BLAS_UPDATES", "1") == "0":
        return None
    for path in _bundled_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _INTERFACES:
            try:
                return Level1(lib, prefix, suffix, integer)
            except AttributeError:
                continue
    return None
