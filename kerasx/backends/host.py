"""The host side of every backend: user data lives here as NumPy arrays until a
batch is drawn and moved to the device. The trainer uses these helpers so that
it never imports an array library itself."""

import numpy as np

import array_api_compat.numpy as hxp  # noqa: F401  (the host namespace, re-exported)


def is_host_array(x):
    return isinstance(x, np.ndarray)


def to_host(x, dtype=None):
    """Any array-like (NumPy, lists, scalars) as a NumPy array."""
    return np.asarray(x, dtype=dtype)


def is_sparse(x):
    return type(x).__module__.startswith(("scipy.sparse", "cupyx.scipy.sparse"))


def take_rows(x, idx):
    return x[idx]


def has_nonfinite(x):
    """True when a float array holds NaN or inf."""
    if x.dtype.kind not in "fc":
        return False
    return not bool(np.isfinite(x).all())


def first_nonfinite(x):
    bad = np.argwhere(~np.isfinite(x))
    return tuple(int(i) for i in bad[0])


def arange(n):
    return np.arange(n)


def is_integer_dtype(x):
    return x.dtype.kind in "iub"


def is_float_dtype(x):
    return x.dtype.kind == "f"


def unique(x):
    return np.unique(x)


def concatenate(parts, axis=0):
    return np.concatenate(parts, axis=axis)


def isclose_all(a, b, rtol, atol):
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def empty_like_batch(x):
    return x[:0]
