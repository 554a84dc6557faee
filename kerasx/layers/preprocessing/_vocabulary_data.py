"""Where a vocabulary comes from: the documents `adapt` reads, and vocabulary files."""

import os

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current, host
from kerasx.layers.preprocessing._host_values import flat_values, ragged_rows
from kerasx.utils.py_dataset import PyDataset


def _is_one_array(data):
    return (isinstance(data, (list, tuple, str, bytes, int, float, TensorOps))
            or host.is_host_value(data) or current().is_native(data))


def rows_of(values, shape):
    """The rows of one batch of flat `values` (a 0-D or 1-D batch is one row)."""
    if len(shape) <= 1:
        return [values]
    width = len(values) // shape[0] if shape[0] else 0
    return [values[i * width:(i + 1) * width] for i in range(shape[0])]


def adapt_documents(data, batch_size, steps, caller, to_documents):
    """The documents (lists of tokens) in `data`, as Keras's `adapt` reads them.

    `data` is an array or (nested) list (one batch), or a `PyDataset` or any
    other iterable of batches (a batch `(x, y, ...)` contributes `x`).
    `to_documents(values, shape, kind, whole)` turns the flat values of one
    batch into documents; `whole` is True when the batch is all of `data`.
    """
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ValueError(f"{caller}: {name} must be a positive integer or None, received "
                             f"{name}={value!r}.")
    if ragged_rows(data):  # rows of different lengths: each row is one document
        return [doc for row in data for doc in to_documents(*flat_values(row, caller), False)]
    if _is_one_array(data):
        return to_documents(*flat_values(data, caller), True)
    if isinstance(data, PyDataset):
        batches = (data[i] for i in range(len(data)))
    elif hasattr(data, "__iter__") and not isinstance(data, dict):
        batches = iter(data)
    else:
        raise TypeError(f"{caller}: expected an array, a list of tokens, a "
                        f"kerasx.utils.PyDataset or an iterable of batches, received "
                        f"{type(data).__name__}.")
    documents, seen = [], 0
    for batch in batches:
        if steps is not None and seen >= steps:
            break
        batch = batch[0] if isinstance(batch, tuple) else batch
        documents.extend(to_documents(*flat_values(batch, caller), False))
        seen += 1
    if seen == 0:
        raise ValueError(f"{caller}: the data holds no batch. Pass at least one batch, e.g. "
                         "layer.adapt(tokens) or layer.adapt([batch1, batch2]).")
    return documents


def read_vocabulary_file(path, kind, who, check_safe_mode=True):
    """The terms of a vocabulary file, one per line (integers for `kind="int"`).

    A file named in a config is refused while a model loads in safe mode
    (`check_safe_mode=False` for the assets inside the model file itself)."""
    from kerasx.saving.serialization import in_safe_mode

    if check_safe_mode and in_safe_mode():
        raise ValueError(
            f"{who}: loading the vocabulary file {path!r}, which lies outside the model file, "
            "is refused in safe mode (it could read any file). If you trust the source of the "
            "model, load it with safe_mode=False.")
    if not os.path.isfile(path):
        raise ValueError(f"{who}: the vocabulary file {path!r} does not exist. Pass the path "
                         "of a text file with one term per line, or a list of terms.")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if kind == "int":
        try:
            return [int(line) for line in lines]
        except ValueError as e:
            raise ValueError(f"{who}: the vocabulary file {path!r} must hold one integer per "
                             f"line ({e}).") from None
    return lines
