"""`keras.datasets` loaders on small fake files in Keras's cache format, written in a
temporary `KERAS_HOME`: file names, shapes, dtypes, and the sequences and splits Keras 3.15.1
returns for the same files and arguments."""

import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

import kerasx as keras
from kerasx import datasets

RNG = np.random.default_rng(0)
MNIST = {"x_train": RNG.integers(0, 256, (7, 28, 28), dtype=np.uint8),
         "y_train": RNG.integers(0, 10, 7, dtype=np.uint8),
         "x_test": RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
         "y_test": RNG.integers(0, 10, 3, dtype=np.uint8)}
FASHION = {"train-labels-idx1-ubyte.gz": RNG.integers(0, 10, 5, dtype=np.uint8),
           "train-images-idx3-ubyte.gz": RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8),
           "t10k-labels-idx1-ubyte.gz": RNG.integers(0, 10, 2, dtype=np.uint8),
           "t10k-images-idx3-ubyte.gz": RNG.integers(0, 256, (2, 28, 28), dtype=np.uint8)}


def _cifar_batch(n, label_keys):
    batch = {b"batch_label": b"fake", b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8)}
    for key in label_keys:
        batch[key.encode()] = [int(v) for v in RNG.integers(0, 100, n)]
    return batch


CIFAR10 = {f"data_batch_{i}": _cifar_batch(3, ["labels"]) for i in range(1, 6)}
CIFAR10["test_batch"] = _cifar_batch(2, ["labels"])
CIFAR100 = {name: _cifar_batch(n, ["fine_labels", "coarse_labels"])
            for name, n in (("train", 4), ("test", 2))}


def _objects(sequences):
    out = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        out[i] = list(sequence)
    return out


def _idx(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return gzip.compress(header + array.tobytes())


def _tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, batch in members.items():
            data = pickle.dumps(batch, protocol=3)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A KERAS_HOME with every dataset file under Keras's cache names, and the loaders'
    expected hashes set to those of the fake files."""
    folder = tmp_path / "datasets"
    (folder / "fashion-mnist").mkdir(parents=True)
    np.savez(folder / "mnist.npz", **MNIST)
    for name, array in FASHION.items():
        (folder / "fashion-mnist" / name).write_bytes(_idx(array))
    _tar(folder / "cifar-10-batches-py-target_archive",
         {f"cifar-10-batches-py/{name}": batch for name, batch in CIFAR10.items()})
    _tar(folder / "cifar-100-python-target_archive",
         {f"cifar-100-python/{name}": batch for name, batch in CIFAR100.items()})
    np.savez(folder / "imdb.npz", x_train=_objects([[1, 2, 3], [4, 5], [6, 7, 8, 9], [1, 9]]),
             y_train=np.array([0, 1, 0, 1]), x_test=_objects([[10, 1], [2, 2, 2, 2, 2], [3]]),
             y_test=np.array([1, 0, 1]))
    np.savez(folder / "reuters.npz",
             x=_objects([[1, 2], [3, 4, 5], [6], [7, 8, 9, 10], [2, 11], [5, 5, 5]]),
             y=np.array([3, 1, 4, 1, 5, 9]))
    np.savez(folder / "boston_housing.npz", x=np.arange(20 * 13, dtype="float64").reshape(20, 13),
             y=np.arange(20, dtype="float64"))
    np.savez(folder / "california_housing.npz",
             x=np.arange(650 * 8, dtype="float32").reshape(650, 8),
             y=np.arange(650, dtype="float32"))
    (folder / "imdb_word_index.json").write_text(json.dumps({"the": 1, "movie": 2}))
    monkeypatch.setenv("KERAS_HOME", os.fspath(tmp_path))
    for module, name in ((datasets.mnist, "mnist.npz"),
                         (datasets.cifar10, "cifar-10-batches-py-target_archive"),
                         (datasets.cifar100, "cifar-100-python-target_archive"),
                         (datasets.imdb, "imdb.npz"), (datasets.reuters, "reuters.npz"),
                         (datasets.boston_housing, "boston_housing.npz"),
                         (datasets.california_housing, "california_housing.npz")):
        monkeypatch.setattr(module, "FILE_HASH", _sha256(folder / name))
    monkeypatch.setattr(datasets.imdb, "WORD_INDEX_HASH",
                        hashlib.md5(open(folder / "imdb_word_index.json", "rb").read()).hexdigest())
    return tmp_path


def _lists(sequences):
    assert sequences.dtype == object and sequences.ndim == 1
    return [list(s) for s in sequences]


def test_the_module_names_of_keras():
    assert keras.datasets is datasets
    assert set(datasets.__all__) == {"boston_housing", "california_housing", "cifar10",
                                     "cifar100", "fashion_mnist", "imdb", "mnist", "reuters"}


def test_mnist(home):
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"),
                     (y_test, "y_test")):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, MNIST[key])


def test_fashion_mnist_reads_the_idx_files(home):
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28) and y_train.shape == (5,) and x_test.shape == (2, 28, 28)
    assert x_train.dtype == y_test.dtype == np.uint8
    np.testing.assert_array_equal(x_train, FASHION["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, FASHION["t10k-labels-idx1-ubyte.gz"])


def _cifar_images(batches):
    data = np.concatenate([b[b"data"] for b in batches])
    return data.reshape(-1, 3, 32, 32)


def test_cifar10_in_both_image_layouts(home):
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    assert x_test.shape == (2, 32, 32, 3) and y_test.shape == (2, 1)
    assert x_train.dtype == y_train.dtype == y_test.dtype == np.uint8
    train_batches = [CIFAR10[f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(x_train, _cifar_images(train_batches).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:, 0], sum((b[b"labels"] for b in train_batches), []))
    assert os.path.isdir(home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py")
    keras.config.set_image_data_format("channels_first")
    try:
        (x_first, _), _ = datasets.cifar10.load_data()
    finally:
        keras.config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(x_first, _cifar_images(train_batches))


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_label_modes(home, label_mode):
    (x_train, y_train), (x_test, y_test) = datasets.cifar100.load_data(label_mode)
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (4, 1) and y_train.dtype == np.int64  # as Keras returns them
    key = f"{label_mode}_labels".encode()
    np.testing.assert_array_equal(y_test[:, 0], CIFAR100["test"][key])


def test_cifar100_rejects_an_unknown_label_mode():
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data("medium")


# expected values: Keras 3.15.1's imdb.load_data on the same file
IMDB_CASES = [
    ({}, [[1, 4, 12], [1, 9, 10, 11, 12], [1, 4, 5, 6], [1, 7, 8]], [1, 0, 0, 1],
     [[1, 5, 5, 5, 5, 5], [1, 2, 4], [1, 6]], [0, 1, 1]),
    ({"num_words": 6}, [[1, 4, 2], [1, 2, 2, 2, 2], [1, 4, 5, 2], [1, 2, 2]], [1, 0, 0, 1],
     [[1, 5, 5, 5, 5, 5], [1, 2, 4], [1, 2]], [0, 1, 1]),
    ({"skip_top": 5, "num_words": 10, "oov_char": None}, [[], [9], [5, 6], [7, 8]],
     [1, 0, 0, 1], [[5, 5, 5, 5, 5], [], [6]], [0, 1, 1]),
    ({"maxlen": 4, "start_char": None, "index_from": 0, "seed": 1}, [[1, 9], [1, 2, 3], [4, 5]],
     [1, 0, 1], [[2, 1], [3]], [1, 1]),
    ({"start_char": 7, "oov_char": 8, "index_from": 10, "num_words": 15},
     [[7, 11, 8], [7, 8, 8, 8, 8], [7, 11, 12, 13], [7, 14, 8]], [1, 0, 0, 1],
     [[7, 12, 12, 12, 12, 12], [7, 8, 11], [7, 13]], [0, 1, 1]),
]


@pytest.mark.parametrize("kwargs, x_train, y_train, x_test, y_test", IMDB_CASES)
def test_imdb_arguments_follow_keras(home, kwargs, x_train, y_train, x_test, y_test):
    (a, b), (c, d) = datasets.imdb.load_data(**kwargs)
    assert _lists(a) == x_train and b.tolist() == y_train
    assert _lists(c) == x_test and d.tolist() == y_test


def test_imdb_maxlen_that_keeps_nothing_and_word_index(home):
    with pytest.raises(ValueError, match="maxlen=2, no sequence was kept"):
        datasets.imdb.load_data(maxlen=2)
    assert datasets.imdb.get_word_index() == {"the": 1, "movie": 2}


@pytest.mark.parametrize("kwargs, x_train, y_train, x_test, y_test", [
    ({}, [[1, 6, 7, 8], [1, 4, 5], [1, 10, 11, 12, 13], [1, 9]], [1, 3, 1, 4],
     [[1, 5, 2], [1, 8, 8, 8]], [5, 9]),
    ({"num_words": 9, "skip_top": 2, "maxlen": 4, "test_split": 0.5, "seed": 2,
      "start_char": None, "oov_char": 0, "index_from": 1},
     [[3, 0], [4, 5, 6]], [5, 1], [[7], [6, 6, 6], [2, 3]], [4, 9, 3]),
])
def test_reuters_arguments_follow_keras(home, kwargs, x_train, y_train, x_test, y_test):
    (a, b), (c, d) = datasets.reuters.load_data(**kwargs)
    assert _lists(a) == x_train and b.tolist() == y_train
    assert _lists(c) == x_test and d.tolist() == y_test


def test_reuters_label_names():
    names = datasets.reuters.get_label_names()
    assert len(names) == 46 and names[:3] == ("cocoa", "grain", "veg-oil")


def test_boston_housing_shuffles_and_splits_as_keras(home):
    (x_train, y_train), (x_test, y_test) = datasets.boston_housing.load_data()
    assert x_train.shape == (16, 13) and x_test.shape == (4, 13) and x_train.dtype == np.float64
    assert y_train.tolist() == [14, 11, 19, 17, 1, 4, 8, 3, 13, 15, 16, 9, 0, 7, 6, 18]
    assert y_test.tolist() == [12, 10, 2, 5]
    np.testing.assert_array_equal(x_train[:, 0], y_train * 13)
    (_, y_train), (_, y_test) = datasets.boston_housing.load_data(test_split=0.25, seed=3)
    assert y_test.tolist() == [5, 0, 8, 3, 10] and len(y_train) == 15


def test_california_housing_versions(home):
    (x_train, y_train), (x_test, y_test) = datasets.california_housing.load_data(
        version="small", test_split=0.5, seed=4)
    assert x_train.shape == x_test.shape == (300, 8) and x_train.dtype == np.float32
    assert y_train[:5].tolist() == [405, 530, 306, 390, 146]
    assert y_test[:5].tolist() == [12, 475, 287, 479, 430]
    assert max(y_train.max(), y_test.max()) == 599
    (x_train, y_train), (x_test, _) = datasets.california_housing.load_data()
    assert x_train.shape == (520, 8) and x_test.shape == (130, 8)
    assert y_train[:5].tolist() == [23, 227, 103, 386, 79]


@pytest.mark.parametrize("load", [
    lambda: datasets.boston_housing.load_data(test_split=1.0),
    lambda: datasets.california_housing.load_data(test_split=-0.1),
    lambda: datasets.california_housing.load_data(version="medium"),
])
def test_housing_argument_errors(load):
    with pytest.raises(ValueError, match="test_split|version"):
        load()


def test_a_cached_file_with_the_wrong_hash_is_downloaded_again(home, monkeypatch):
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", "0" * 64)
    monkeypatch.setattr(datasets.mnist, "ORIGIN", "file:///nonexistent-origin/")
    with pytest.raises(Exception, match="URL fetch failure on file:///nonexistent-origin/"):
        datasets.mnist.load_data()
    assert os.path.exists(home / "datasets" / "mnist.npz")  # the cached file is kept


def test_pickles_other_than_arrays_are_refused(home, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))

    archive = home / "datasets" / "cifar-100-python-target_archive"
    _tar(archive, {"cifar-100-python/train": {b"data": Evil()}, "cifar-100-python/test": {}})
    monkeypatch.setattr(datasets.cifar100, "FILE_HASH", _sha256(archive))
    with pytest.raises(pickle.UnpicklingError, match="only NumPy arrays"):
        datasets.cifar100.load_data()
