"""The batches an `adapt()` call reads, whatever form the data comes in."""

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current, get_backend
from kerasx.backends.host import is_host_value
from kerasx.utils.py_dataset import PyDataset


def is_array(data):
    """True for a host (NumPy) array or a backend array or tensor."""
    return is_host_value(data) or isinstance(data, TensorOps) or current().is_native(data)


def adapt_batches(data, batch_size=None, steps=None, caller="adapt"):
    """Yields the input part of each batch of `data`, at most `steps` of them.

    `data` is an array (one batch, or batches of `batch_size` rows), a
    `kerasx.utils.PyDataset`, or any iterable of batches; a batch that is a
    tuple `(x, y, ...)` contributes its `x`.
    """
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(f"{caller}: steps must be a positive integer or None, received "
                         f"steps={steps!r}.")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"{caller}: batch_size must be a positive integer or None, received "
                         f"batch_size={batch_size!r}.")
    if is_array(data):
        batches = _array_batches(data, batch_size)
    elif batch_size is not None:
        raise ValueError(
            f"{caller}: batch_size only splits an array into batches, but the data is a "
            f"{type(data).__name__} that yields its own batches. Leave batch_size=None.")
    elif isinstance(data, PyDataset):
        batches = (data[i] for i in range(len(data)))
    elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        batches = iter(data)
    else:
        raise TypeError(
            f"{caller}: expected a NumPy or backend array, a kerasx.utils.PyDataset or an "
            f"iterable of batches, received {type(data).__name__}.")
    seen = 0
    for batch in batches:
        batch = batch[0] if isinstance(batch, tuple) else batch
        if not hasattr(batch, "shape"):
            raise TypeError(
                f"{caller}: each batch must be an array with a `.shape`, received a "
                f"{type(batch).__name__}. Pass one array for the whole data (e.g. "
                "np.asarray(values)) or an iterable of arrays.")
        yield batch
        seen += 1
        if seen == steps:
            return
    if seen == 0:
        raise ValueError(f"{caller}: the data holds no batch (an empty iterable). Pass "
                         "at least one batch, e.g. layer.adapt(x) or layer.adapt([x1, x2]).")


def _array_batches(data, batch_size):
    if isinstance(data, TensorOps):
        data = data.value
    n = data.shape[0] if len(data.shape) else 1
    if batch_size is None or batch_size >= n:
        yield data
        return
    for start in range(0, n, batch_size):
        yield data[start:min(start + batch_size, n), ...]


def float64_values(batch):
    """`(backend, batch as a float64 array of it)`: host data stays on the host (the
    NumPy backend computes with it), backend arrays stay on their device."""
    if isinstance(batch, TensorOps):
        batch = batch.value
    backend = current()
    if not backend.is_native(batch):
        backend = get_backend("numpy")
    return backend, backend.asarray(batch, dtype="float64")
