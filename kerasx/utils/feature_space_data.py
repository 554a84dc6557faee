"""The data a `FeatureSpace` reads: the columns `adapt` learns from and the
features of one call, shaped as its preprocessing layers take them
(`(batch, 1)` for a scalar per sample)."""

from kerasx import ops
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host
from kerasx.utils.py_dataset import PyDataset


def adapt_columns(dataset, names):
    """`{name: [batch, ...]}` for the features `names`, read in one pass over `dataset`.

    `dataset` is a dict of arrays or lists (all the samples; each row is one
    sample), a `kerasx.utils.PyDataset` or any other iterable of dict batches
    (a batch `(x, y, ...)` contributes its dict `x`). Each batch is a host
    array: a batch of scalars becomes a column `(batch, 1)`, as Keras does.
    """
    columns = {name: [] for name in names}
    if isinstance(dataset, dict):
        _check_keys(dataset, names, "adapt()")
        for name in names:
            values = _host(dataset[name])
            # Keras reads a dict row by row: rows of scalars are batched, each row of a
            # 2-D feature is a batch of its own values
            if values.ndim == 2:
                values = values.reshape(-1, 1)
            columns[name].append(_as_column(values))
        return columns
    if isinstance(dataset, PyDataset):
        batches = (dataset[i] for i in range(len(dataset)))
    elif hasattr(dataset, "__iter__") and not isinstance(dataset, (str, bytes)) \
            and not hasattr(dataset, "shape"):
        batches = iter(dataset)
    else:
        raise ValueError(
            "`adapt()` can only be called on a dict of arrays/lists, a "
            "kerasx.utils.PyDataset or an iterable of dict batches. "
            f"Received instead: {dataset!r} (of type {type(dataset).__name__})")
    seen = 0
    for batch in batches:
        if isinstance(batch, tuple) and batch:
            batch = batch[0]
        if not isinstance(batch, dict):
            raise ValueError(
                "adapt(): each batch must be a dict mapping feature names to arrays (or a "
                f"tuple whose first element is such a dict), received a "
                f"{type(batch).__name__}.")
        _check_keys(batch, names, "adapt()")
        for name in names:
            columns[name].append(_as_column(_host(batch[name])))
        seen += 1
    if seen == 0:
        raise ValueError("adapt(): the dataset holds no batch. Pass at least one dict batch.")
    return columns


def call_features(data, names, dtypes):
    """`(features, rebatched)`: each feature of one call as a `(batch, 1)` column
    (rank-2 and higher values as they are), and whether the call was on a single
    sample (every value a scalar), whose output then loses its batch axis.

    Float features are cast to their `Input`'s float dtype, as a model built on
    `get_inputs()` would cast them.
    """
    if not isinstance(data, dict):
        raise ValueError(
            "A FeatureSpace can only be called with a dict. "
            f"Received: data={data!r} (of type {type(data).__name__})")
    _check_keys(data, names, "FeatureSpace call")
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise ValueError(
            f"FeatureSpace call: the data has the keys {unknown}, which are not features of "
            f"this FeatureSpace (its features: {sorted(names)}). Remove them from the dict "
            "(e.g. the labels) before calling it.")
    features, rebatched = {}, False
    for name in names:
        value, dtype = data[name], dtypes[name]
        if isinstance(value, TensorOps) or (not host.is_host_value(value)
                                            and current().is_native(value)):
            value = value if isinstance(value, TensorOps) else Tensor(value)
            rank = len(value.shape)
            if rank < 2:
                value = ops.reshape(value, (-1, 1))
            if dtype.startswith("float"):
                value = ops.cast(value, dtype)
        else:
            value = _host(value)
            rank = value.ndim
            if rank < 2:
                value = value.reshape(-1, 1)
            if dtype.startswith("float") and value.dtype.kind in "iufb":
                value = value.astype(dtype)
        rebatched = rebatched or rank == 0
        features[name] = value
    return features, rebatched


def _host(value):
    if isinstance(value, TensorOps):
        value = value.value
    backend = current()
    if not host.is_host_value(value) and backend.is_native(value):
        return host.to_host(backend.to_numpy(value))
    try:
        return host.to_host(value)
    except ValueError:
        raise ValueError(f"A feature's values must be rectangular, received a ragged "
                         f"{type(value).__name__}. Pad them to one length first.") from None


def _as_column(values):
    return values.reshape(-1, 1) if values.ndim < 2 else values


def _check_keys(data, names, where):
    missing = [n for n in names if n not in data]
    if missing:
        raise ValueError(
            f"{where}: the data is missing the features {missing}; the FeatureSpace has the "
            f"features {sorted(names)} and received the keys {sorted(map(str, data))}. "
            "Pass a dict with one entry per feature.")
