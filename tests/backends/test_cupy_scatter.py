"""The CuPy embedding-gradient kernel sums each row's updates in index order: bit for bit
`numpy.add.at`, the same on every run (atomic adds would not be)."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from kerasx.backends import current  # noqa: F401 (read by the skipif condition)


def _cases(rng):
    hot = np.where(rng.random(3000) < 0.6, 2, rng.integers(0, 50, 3000))  # one frequent row
    yield hot, rng.standard_normal((3000, 7)).astype(np.float32), 50
    yield rng.integers(0, 6, (4, 10)).astype(np.int32), rng.standard_normal((4, 10, 5)), 6
    yield np.array([3, -1, 9, 3, 0]), rng.standard_normal((5, 2)).astype(np.float32), 4


def _add_at(indices, updates, n_rows):
    """numpy.add.at over the rows inside the table (the portable path adds nothing for
    the others)."""
    flat = indices.reshape(-1)
    values = updates.reshape(flat.size, -1)
    keep = (flat >= 0) & (flat < n_rows)
    out = np.zeros((n_rows, values.shape[1]), values.dtype)
    np.add.at(out, flat[keep], values[keep])
    return out


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_sum_sorted_runs_body_compiled_as_c_is_add_at(tmp_path):
    from kerasx.backends.cupy_kernels import _SUM_SORTED_RUNS

    libs = {}
    for t in ("float", "double"):
        for ind in ("int", "long long"):
            name = f"k_{t[0]}_{ind[0]}"
            source = f"""
            typedef {t} T; typedef {ind} I;
            void run(const long long* starts, const long long* order, const I* rows,
                     const T* updates, long long n, long long runs, long long d,
                     long long table_rows, T* out) {{
                for (long long i = 0; i < runs * d; ++i) {{ {_SUM_SORTED_RUNS[2]} }} }}
            """
            (tmp_path / f"{name}.c").write_text(source)
            subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(tmp_path / f"{name}.so"),
                            str(tmp_path / f"{name}.c")], check=True)
            libs[(t, ind)] = ctypes.CDLL(str(tmp_path / f"{name}.so"))

    def ptr(a):
        return a.ctypes.data_as(ctypes.c_void_p)

    for indices, updates, n_rows in _cases(np.random.default_rng(0)):
        rows = indices.reshape(-1)
        values = np.ascontiguousarray(updates.reshape(rows.size, -1))
        order = np.argsort(rows, kind="stable").astype(np.int64)
        ranked = rows[order]
        starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]]))
        starts = starts.astype(np.int64)
        d = values.shape[1]
        out = np.zeros((n_rows, d), values.dtype)
        lib = libs[("float" if values.dtype == np.float32 else "double",
                    "int" if rows.dtype == np.int32 else "long long")]
        ll = ctypes.c_longlong
        lib.run(ptr(starts), ptr(order), ptr(rows), ptr(values), ll(rows.size), ll(starts.size),
                ll(d), ll(n_rows), ptr(out))
        np.testing.assert_array_equal(out, _add_at(indices, updates, n_rows))


@pytest.mark.skipif("current().name != 'cupy'", reason="needs the cupy backend and a GPU")
def test_cupy_scatter_add_is_add_at_bit_for_bit(backend):
    fast = backend.kernel("scatter_add_rows")
    for indices, updates, n_rows in _cases(np.random.default_rng(1)):
        got = fast((n_rows, updates.shape[-1]), backend.asarray(indices),
                   backend.asarray(updates), None)
        again = fast((n_rows, updates.shape[-1]), backend.asarray(indices),
                     backend.asarray(updates), None)
        np.testing.assert_array_equal(backend.to_numpy(got), _add_at(indices, updates, n_rows))
        np.testing.assert_array_equal(backend.to_numpy(again), backend.to_numpy(got))
