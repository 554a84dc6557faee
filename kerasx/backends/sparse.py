"""Sparse input matrices (`Input(sparse=True)`): recognising and densifying them.

User data may be a `scipy.sparse` matrix (NumPy and `array_api_strict`
backends) or a `cupyx.scipy.sparse` matrix (CuPy). The data pipeline slices
such matrices by rows untouched; a layer densifies one batch at a time when
the batch enters the model, so the whole dataset never exists densely.
"""

import numpy as np


def is_sparse(x):
    """True for a `scipy.sparse` or `cupyx.scipy.sparse` matrix or array."""
    return type(x).__module__.startswith(("scipy.sparse", "cupyx.scipy.sparse"))


def check_sparse_support(backend):
    """Raises a clear ImportError when `backend` cannot take sparse inputs.

    Sparse inputs on the NumPy (and array_api_strict) backend are SciPy
    matrices; on CuPy they are `cupyx.scipy.sparse` matrices (shipped with CuPy).
    """
    if backend.name == "cupy":
        module, package = "cupyx.scipy.sparse", "cupy"
    else:
        module, package = "scipy.sparse", "scipy"
    try:
        __import__(module)
    except ImportError:
        raise ImportError(
            f"Input(sparse=True) on the {backend.name!r} backend needs {module}, but it could not "
            f"be imported. Install it with `pip install {package}`, or pass dense arrays and "
            "use Input(sparse=False).") from None


def to_dense(x, backend, dtype=None):
    """A batch of sparse rows as a dense array on `backend`'s device.

    Args:
        x: a `scipy.sparse` or `cupyx.scipy.sparse` matrix.
        backend: the target backend.
        dtype: optional dtype name for the result (e.g. `"float32"`).
    """
    if not is_sparse(x):
        raise TypeError(f"to_dense expects a scipy or cupyx sparse matrix, received "
                        f"{type(x).__module__}.{type(x).__name__}.")
    if type(x).__module__.startswith("cupyx"):
        if backend.name != "cupy":
            raise TypeError(
                f"Received a cupyx.scipy.sparse matrix while the active backend is "
                f"{backend.name!r}. Convert it with `.get()` to a scipy.sparse matrix first.")
        dense = x.toarray()
    else:
        dense = np.asarray(x.toarray())
    return backend.asarray(dense, dtype=dtype)
