"""Host (NumPy) readers of the built-in datasets' files, for `kerasx.datasets`.

The IMDB and Reuters `.npz` files hold ragged sequences as object arrays, and the
CIFAR batches are pickles: both are read with an unpickler that rebuilds NumPy
arrays and nothing else, so a tampered file cannot run code.
"""

import gzip
import io
import pickle
import zipfile

import numpy as np

_ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
})


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a dataset file: only NumPy arrays are "
            "allowed. The file may be corrupted or malicious; delete it to download it again.")


def _read_npy(raw):
    buffer = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        else:
            np.lib.format.read_array_header_2_0(buffer)
        return _ArraysOnlyUnpickler(buffer).load()


def load_npz(path):
    """The arrays of a `.npz` file by name; object arrays (ragged sequences) included."""
    with zipfile.ZipFile(path) as archive:
        return {name[:-4]: _read_npy(archive.read(name)) for name in archive.namelist()
                if name.endswith(".npy")}


def read_idx_gz(path):
    """The array of a gzipped IDX file (the MNIST format): its header gives the type
    (uint8 here) and the shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise ValueError(f"{path!r} is not a gzipped IDX file of unsigned bytes (it starts "
                         f"with {raw[:4]!r}). Delete it so that it is downloaded again.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_cifar_batch(path, label_key):
    """`(uint8 images of shape (n, 3, 32, 32), labels of shape (n,))` of one pickled CIFAR
    batch (the labels are a list there: they come back as int64)."""
    with open(path, "rb") as f:
        batch = _ArraysOnlyUnpickler(f, encoding="bytes").load()
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value
             for key, value in batch.items()}
    data = np.asarray(batch["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), np.asarray(batch[label_key])


def shuffled_orders(seed, *sizes):
    """One permutation of `range(n)` per size, drawn in turn from one
    `np.random.RandomState(seed)` by `shuffle`, as Keras's loaders draw them."""
    rng = np.random.RandomState(seed)
    orders = []
    for n in sizes:
        order = np.arange(n)
        rng.shuffle(order)
        orders.append(order)
    return orders


def object_array(sequences):
    """A 1-D object array of the Python lists `sequences` (one entry per sequence, even
    when they all have the same length)."""
    out = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        out[i] = sequence
    return out


def channels_last(images):
    """`(n, c, h, w)` images as `(n, h, w, c)`."""
    return images.transpose(0, 2, 3, 1)


def as_column(labels):
    """Labels of shape `(n,)` as `(n, 1)`."""
    return np.reshape(labels, (len(labels), 1))


def to_array(values, dtype=None):
    """A NumPy array of `values` (a list of numbers or an array)."""
    return np.array(values, dtype=dtype)
