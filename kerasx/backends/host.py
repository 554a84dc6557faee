"""The host side of every backend: user data lives here as NumPy arrays until a
batch is drawn and moved to the device. The trainer uses these helpers so that
it never imports an array library itself."""

import os
import zipfile

import numpy as np

from kerasx.backends.numpy_trace_array import host_read
from kerasx.backends.requirements import check_numpy_version

check_numpy_version(np.__version__)


def is_host_array(x):
    return isinstance(x, np.ndarray)


def is_host_value(x):
    """A NumPy array or NumPy scalar."""
    return isinstance(x, (np.ndarray, np.generic))


def to_host(x, dtype=None):
    """Any array-like (NumPy, lists, scalars) as a NumPy array."""
    return np.asarray(host_read(x), dtype=dtype)


def is_string_array(x):
    """A NumPy array of str or bytes: text data, which stays on the host."""
    return isinstance(x, np.ndarray) and x.dtype.kind in "US"


def is_sparse(x):
    return type(x).__module__.startswith(("scipy.sparse", "cupyx.scipy.sparse"))


def take_rows(x, idx):
    """The rows `idx` of the NumPy array `x` (`x[idx]`)."""
    # `take` gathers the rows of a 2-D or larger array in 25-70% less time than fancy
    # indexing (0.40 against 1.33 us for 32 rows of 20 floats, 9.6 against 12.7 us for
    # 128 rows of 784); for 1-D labels indexing is the faster (0.15 against 0.24 us)
    return x.take(idx, axis=0) if x.ndim > 1 else x[idx]


# rows are checked in blocks of about this many elements, so that the check makes no
# boolean copy of the whole data set (47 MB for MNIST-sized float32 data) and runs in cache
_FINITE_BLOCK_ELEMENTS = 1 << 18


def has_nonfinite(x):
    """True when a float array holds NaN or inf."""
    if x.dtype.kind not in "fc":
        return False
    if x.ndim == 0 or x.size <= _FINITE_BLOCK_ELEMENTS:
        return not bool(np.isfinite(x).all())
    rows = max(1, _FINITE_BLOCK_ELEMENTS // (x.size // x.shape[0]))
    return any(not np.isfinite(x[i:i + rows]).all() for i in range(0, x.shape[0], rows))


def first_nonfinite(x):
    bad = np.argwhere(~np.isfinite(x))
    return tuple(int(i) for i in bad[0])


def arange(n):
    return np.arange(n)


def is_float_dtype(x):
    return x.dtype.kind == "f"


def concatenate(parts, axis=0):
    return np.concatenate(parts, axis=axis)


def save_arrays(path, arrays):
    """Writes a dict of name -> host array to `path` as an uncompressed `.npz`.

    The file is written exactly at `path` (no `.npz` suffix is added). Object
    arrays are refused, so the file never needs pickle to be read back.
    """
    arrays = {str(k): np.asarray(v) for k, v in arrays.items()}
    for name, value in arrays.items():
        if value.dtype.hasobject:
            raise TypeError(
                f"save_arrays: array {name!r} has dtype object, which cannot be stored without "
                "pickle. Pass numeric or boolean arrays.")
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load_arrays(path):
    """Reads a file written by `save_arrays` as a dict of name -> NumPy array.

    Pickled content is never loaded (`allow_pickle=False`): a file holding a
    pickle, or an object array, raises `ValueError` instead of running code.
    """
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an archive of named arrays")
        with data:
            return {name: data[name] for name in data.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise ValueError(f"{os.fspath(path)!r} is not a readable .npz archive of numeric "
                         f"arrays ({e}).") from None


def seed_numpy_global(seed):
    """Seeds NumPy's legacy global generator (`np.random.rand`, ...), as Keras's
    `set_random_seed` does."""
    np.random.seed(seed)


def full(shape, value, dtype):
    """A NumPy array of `shape` filled with `value`."""
    return np.full(shape, value, dtype=dtype)


def histogram_summary(values, buckets=30):
    """`(min, max, count, sum, sum of squares, right edges, counts)` of the values of a
    host array in `buckets` equal bins (one bin around a constant array)."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    if not flat.size:
        return 0.0, 0.0, 0.0, 0.0, 0.0, [0.0], [0.0]
    low, high = float(flat.min()), float(flat.max())
    if low == high:
        low, high, buckets = low - 0.5, high + 0.5, 1
    counts, edges = np.histogram(flat, bins=buckets, range=(low, high))
    return (float(flat.min()), float(flat.max()), float(flat.size), float(flat.sum()),
            float(np.dot(flat, flat)), edges[1:].tolist(), counts.astype(np.float64).tolist())
