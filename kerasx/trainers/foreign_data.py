"""Data from other libraries: framework tensors, pandas, and framework data loaders.

What `fit`, `evaluate`, `predict` and the `*_on_batch` methods take, and
what becomes of it (the rule `data_adapter.standardize` applies to every
array, also to each array a generator, `PyDataset` or loader yields):

- NumPy arrays are the host format of every backend and are taken as they are.
- Arrays of the active backend (CuPy arrays on the CuPy backend) stay on its
  device.
- Tensors of PyTorch, JAX and TensorFlow, and of any other library that
  exports DLPack, are converted once, where they enter, as Keras converts them
  on every backend (`kerasx.backends.base.framework_array_to_backend`): a
  CUDA tensor on the CuPy backend becomes a CuPy array through DLPack without
  a copy; everything else becomes a host NumPy array (a CPU tensor shares its
  memory where the library allows, a device tensor is copied to the host, as
  Keras's NumPy and JAX paths do). A tensor that records gradients is
  detached. No framework is imported: the tensor's own methods do the work.
- Arrays of the libraries kerasx has backends for (CuPy, array_api_strict),
  given to a different backend, are refused with an error that says how to
  fix it: they mean the data was prepared for another backend, and silently
  copying a CuPy array to the host every epoch would hide that.
- pandas `DataFrame` and `Series` are one array each (no dict by column
  names, as in Keras), floats cast to `floatx` when a frame mixes column
  types; columns of text or categories are refused, naming them.

Streams of batches (`generator_batches.GeneratorBatches`): a `PyDataset`
(indexed), a Python generator or iterator (read once, continuing across
epochs), and re-iterable sources, which start a new pass with `iter()` every
epoch: a `torch.utils.data.DataLoader` (batches per epoch: `len(loader)`,
unknown for an iterable dataset without a length), a `tf.data.Dataset` (its
cardinality; an infinite one needs `steps_per_epoch`), or any iterable with
`__iter__` and no `__next__`. A torch `Dataset` itself is refused (its items
are samples: wrap it in a DataLoader). As in Keras, such a source carries its own
targets and sample weights (`y=` and `sample_weight=` are refused), is
expected to be shuffled already (`shuffle=True` warns for a DataLoader or a
tf.data.Dataset), `class_weight` is refused for a DataLoader, and
`batch_size=` is ignored.
"""

import warnings

from kerasx.backends.base import array_library


def _has_base(x, names, module_part):
    return any(base.__name__ in names and module_part in base.__module__
               for base in type(x).__mro__)


def is_torch_dataloader(x):
    """True for a `torch.utils.data.DataLoader` (or a subclass), without importing torch."""
    return _has_base(x, ("DataLoader",), "torch.utils.data")


def is_torch_dataset(x):
    """True for a `torch.utils.data.Dataset`, whose items are samples, not batches."""
    return _has_base(x, ("Dataset", "IterableDataset"), "torch.utils.data")


def is_tf_dataset(x):
    """True for a `tf.data.Dataset`, without importing TensorFlow."""
    return _has_base(x, ("DatasetV2", "DistributedDataset"), "tensorflow.python")


def is_reiterable(x):
    """True for an iterable that is no iterator: `iter(x)` starts a new pass each time."""
    return hasattr(x, "__iter__") and not hasattr(x, "__next__")


def stream_kind(x):
    """How errors name a stream of batches: `"torch DataLoader"`, `"PyDataset"`, ..."""
    from kerasx.trainers.generator_batches import is_indexed

    if is_torch_dataloader(x):
        return "torch DataLoader"
    if is_tf_dataset(x):
        return "tf.data.Dataset"
    if is_torch_dataset(x):
        return "torch Dataset"
    if is_indexed(x):
        return "PyDataset"
    if is_reiterable(x):
        return f"{type(x).__name__} iterable"
    return "generator"


def pass_length(source):
    """`(batches per pass or None when unknown, whether the source is infinite)` of a
    re-iterable source."""
    cardinality = getattr(source, "cardinality", None)
    if is_tf_dataset(source) and callable(cardinality):
        n = int(cardinality())
        return (n, False) if n >= 0 else (None, n == -1)  # -1 INFINITE, -2 UNKNOWN
    try:
        n = len(source)
    except TypeError:  # e.g. a DataLoader over an IterableDataset without a length
        return None, False
    if not isinstance(n, int) or n < 0:
        raise ValueError(
            f"len() of the {stream_kind(source)} must be the number of batches per pass as a "
            f"non-negative integer, returned {n!r}.")
    return n, False


def check_stream_options(source, shuffle=False, class_weight=None):
    """Keras's refusals and warnings for the options a DataLoader or a tf.data.Dataset
    cannot honour (`y` and `sample_weight` are checked by the trainer)."""
    if is_torch_dataset(source) and not is_torch_dataloader(source):
        raise TypeError(
            f"x is a torch Dataset ({type(source).__name__}), whose items are single samples, "
            "but kerasx reads batches. Wrap it in a DataLoader: "
            "`torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)`.")
    kind = stream_kind(source)
    if class_weight is not None and is_torch_dataloader(source):
        raise ValueError(
            f"class_weight is not supported for a torch DataLoader, received "
            f"class_weight={class_weight!r}. Return (inputs, targets, sample_weights) from the "
            "Dataset's __getitem__ instead, with each sample's weight taken from its class.")
    if shuffle and (is_torch_dataloader(source) or is_tf_dataset(source)):
        how = "DataLoader(..., shuffle=True)" if kind == "torch DataLoader" else \
            "dataset.shuffle(buffer_size)"
        warnings.warn(
            f"`shuffle=True` was passed, but will be ignored since the data `x` was provided "
            f"as a {kind}. The {kind} is expected to already be shuffled (via {how}).",
            stacklevel=4)


def is_pandas(x):
    """True for a pandas `DataFrame` or `Series`."""
    return array_library(x) == "pandas" and hasattr(x, "to_numpy") and hasattr(x, "shape")


_NUMERIC_KINDS = "biuf"


def pandas_to_numpy(x, name, floatx):
    """A `DataFrame` or `Series` as one NumPy array: a frame of one column type keeps
    it, a frame mixing floats with other numbers becomes `floatx`, one mixing ints and
    bools int64; text becomes a string array for `x` (string layers) only."""
    frame = hasattr(x, "columns")
    dtypes = list(x.dtypes) if frame else [x.dtype]
    kinds = [getattr(d, "kind", "O") for d in dtypes]
    what = "DataFrame" if frame else "Series"
    if all(k not in _NUMERIC_KINDS for k in kinds) and name == "x" and \
            all(str(d) in ("str", "string", "object") for d in dtypes):
        return x.to_numpy(dtype=str)
    bad = [i for i, k in enumerate(kinds) if k not in _NUMERIC_KINDS]
    if bad:
        if frame:
            detail = "columns " + ", ".join(f"{x.columns[i]!r} ({dtypes[i]})" for i in bad)
        else:
            detail = f"dtype {dtypes[0]}"
        raise TypeError(
            f"`{name}` is a pandas {what} with non-numeric {detail}. kerasx trains on numbers: "
            "encode categories or text as integers first (e.g. "
            "`df[col].astype('category').cat.codes`), or drop those columns.")
    if len(set(kinds)) == 1:
        dtype = None
    else:
        dtype = floatx if "f" in kinds else "int64"
    array = x.to_numpy(dtype=dtype)
    if array.dtype.kind == "O":
        raise TypeError(
            f"`{name}` is a pandas {what} with missing values (pd.NA) in a nullable column. "
            "Fill or drop them first (`df.fillna(...)`, `df.dropna()`), or cast the column to "
            "float so that they become NaN.")
    return array
