"""Routines of the OpenBLAS that NumPy's wheels ship, bound with `ctypes`: two level-1
routines for in-place optimizer updates of large variables, the matrix product
with accumulation for convolution gradients, and the thread count (`numpy_threads`).

`y = a x + b y` (`axpby`) and `y += a x` (`axpy`) are one pass each, run by the
BLAS's own threads (already awake from the step's products), where NumPy's ufuncs
need two or three single-threaded passes and a scratch array: Adam's running
moments and its final step over a 784 x 512 kernel took 630 us against 840 us
right after a product (`numpy_optim.adam_update`). `C += A B` (`gemm` with beta 1)
adds a product into a strided block of rows of a larger array in the same pass
that computes it, where NumPy's `matmul` needs a buffer and an add
(`numpy_conv.conv_input_grad`).

NumPy exposes no BLAS, so the library is bound when NumPy bundles one
(`numpy.libs` on Linux and Windows, `numpy/.dylibs` on macOS; the symbols have the
`scipy_` prefix and 64-bit integers there). `level1()` is None where no such library
is found, or with `KERASX_BLAS_UPDATES=0`, and `level3()` likewise (or with
`KERASX_BLAS_GEMM=0`); the callers then use NumPy.
"""

import contextlib
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


class Level3:
    """`gemm` for row-major float32 and float64 matrices of one dtype, given as NumPy
    arrays or views whose rows are contiguous (any row stride)."""

    def __init__(self, lib, prefix, suffix, integer):
        self._gemm = {}
        self._max_size = 2 ** (8 * ctypes.sizeof(integer) - 1) - 1
        for dtype, letter, real in ((np.float32, "s", ctypes.c_float),
                                    (np.float64, "d", ctypes.c_double)):
            gemm = getattr(lib, f"{prefix}{letter}gemm{suffix}")
            gemm.restype = None
            gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer,
                             real, ctypes.c_void_p, integer, ctypes.c_void_p, integer, real,
                             ctypes.c_void_p, integer]
            self._gemm[np.dtype(dtype)] = gemm

    def _leading(self, a):
        """The row stride of the 2-D `a` in elements, or None when BLAS cannot read it."""
        if a.ndim != 2 or a.size > self._max_size or a.dtype not in self._gemm:
            return None
        (rows, cols), (row_step, col_step), size = a.shape, a.strides, a.itemsize
        if cols > 1 and col_step != size:
            return None
        if rows <= 1:
            return max(cols, 1)
        if row_step % size or row_step // size < max(cols, 1):
            return None
        return row_step // size

    def _arguments(self, a, b, out, accumulate, trans_a, trans_b, whole_a=None, whole_b=None):
        """The `gemm` routine and its arguments for `out (+)= op(a) @ op(b)`, or None where
        the arrays do not fit; `whole_a` / `whole_b`: the larger arrays `a` and `b` are
        steps of, which `out` must not overlap either."""
        if a.ndim != 2 or b.ndim != 2:
            return None
        m, k = a.shape[::-1] if trans_a else a.shape
        kb, n = b.shape[::-1] if trans_b else b.shape
        if k != kb or out.shape != (m, n) or not out.flags.writeable \
                or not a.dtype == b.dtype == out.dtype \
                or np.may_share_memory(out, a if whole_a is None else whole_a) \
                or np.may_share_memory(out, b if whole_b is None else whole_b):
            return None
        lda, ldb, ldc = self._leading(a), self._leading(b), self._leading(out)
        if lda is None or ldb is None or ldc is None:
            return None
        return self._gemm[out.dtype], (
            _ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS,
            m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 1.0 if accumulate else 0.0,
            out.ctypes.data, ldc)

    def gemm(self, a, b, out, accumulate=False, trans_a=False, trans_b=False):
        """`out = op(a) @ op(b)` (`out += ...` with `accumulate`), `op` transposing where
        asked; `a` and `b` are passed as stored (`a` of shape `(k, m)` with `trans_a`).
        False, with nothing done, where the arrays do not fit (dtypes, shapes, layout,
        a read-only `out`, an `out` that may overlap `a` or `b`); the caller then uses
        NumPy."""
        found = self._arguments(a, b, out, accumulate, trans_a, trans_b)
        if found is None:
            return False
        routine, args = found
        if out.size:
            routine(*args)
        return True

    def step_products(self, a_steps, b_steps, out, accumulate=False, trans_a=False,
                      trans_b=False):
        """A function `run(t)` doing `gemm(a_steps[t], b_steps[t], out, ...)`, with the
        arguments checked once: the per-call checks and pointer lookups cost a recurrent
        layer's per-step weight-gradient product 5-7 us each (50 products of 128 x 64
        by 64 x 49: 0.92 against 0.63 ms). `a_steps` and `b_steps` are stacks of
        matrices along their first axis (a stride of 0 repeats one matrix); None where
        `gemm` would decline their first matrices, or `out` overlaps either stack."""
        if a_steps.ndim != 3 or b_steps.ndim != 3 or not len(a_steps) or not len(b_steps):
            return None
        found = self._arguments(a_steps[0], b_steps[0], out, accumulate, trans_a, trans_b,
                                a_steps, b_steps)
        if found is None or not out.size:
            return None
        routine, args = found
        head, lda, ldb, tail = args[:7], args[8], args[10], args[11:]
        a_at, a_step, b_at, b_step = args[7], a_steps.strides[0], args[9], b_steps.strides[0]
        last_a, last_b = len(a_steps) - 1, len(b_steps) - 1
        keep = (a_steps, b_steps, out)  # the pointers stay valid while `run` lives

        def run(t):
            if not 0 <= t <= last_a or not 0 <= t <= last_b:
                raise IndexError(f"step {t} is outside the stacks ({len(keep[0])}, "
                                 f"{len(keep[1])} matrices)")
            routine(*head, a_at + t * a_step, lda, b_at + t * b_step, ldb, *tail)

        return run


class ThreadCount:
    """The BLAS's thread count, read and set (`openblas_get_num_threads` / `_set_`)."""

    def __init__(self, lib, prefix, suffix, integer):
        base = prefix.replace("cblas_", "openblas_")
        self._get = getattr(lib, f"{base}get_num_threads{suffix}")
        self._get.restype = ctypes.c_int
        self._get.argtypes = []
        self._set = getattr(lib, f"{base}set_num_threads{suffix}")
        self._set.restype = None
        self._set.argtypes = [ctypes.c_int]

    def get(self):
        return self._get()

    def set(self, count):
        self._set(count)


_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _bundled_libraries():
    root = os.path.dirname(np.__file__)
    return sorted(glob.glob(os.path.join(root, os.pardir, "numpy.libs", "*openblas*"))
                  + glob.glob(os.path.join(root, ".dylibs", "*openblas*")))


def _bind(kind):
    """`kind(lib, prefix, suffix, integer)` for the first bundled library and CBLAS
    interface that has its symbols, or None."""
    for path in _bundled_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _INTERFACES:
            try:
                return kind(lib, prefix, suffix, integer)
            except AttributeError:
                continue
    return None


@functools.cache
def level1():
    """The bundled BLAS's `Level1` routines, or None (none found, or disabled)."""
    if os.environ.get("KERASX_BLAS_UPDATES", "1") == "0":
        return None
    return _bind(Level1)


@functools.cache
def threads():
    """The bundled BLAS's `ThreadCount`, or None (none found)."""
    return _bind(ThreadCount)


@contextlib.contextmanager
def one_thread():
    """Runs the products inside on one BLAS thread, restoring the count after.

    For long, skinny products (a few thousand rows by a few dozen columns): OpenBLAS
    splits them over its threads, which then wait for each other once per block of
    their inner dimension, and on a busy machine each wait can cost a time slice.
    The MNIST convnet's first kernel gradient (43 products of 2,048 x 9 by 2,048 x
    32) took 20-75 ms on two threads against 5-6 ms on one while other processes
    kept both cores busy; on one thread its CPU time is the same (4-5 ms).
    """
    control = threads()
    count = control.get() if control is not None else 1
    if count > 1:
        control.set(1)
    try:
        yield
    finally:
        if count > 1:
            control.set(count)


@functools.cache
def level3():
    """The bundled BLAS's `Level3` product, or None (none found, or disabled)."""
    if os.environ.get("KERASX_BLAS_GEMM", "1") == "0":
        return None
    return _bind(Level3)
