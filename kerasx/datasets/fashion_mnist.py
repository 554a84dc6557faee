"""Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 kinds of
clothing (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
7 sneaker, 8 bag, 9 ankle boot)."""

import os

from kerasx.backends import host_datasets
from kerasx.datasets._files import ORIGIN, fetch

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)` and uint8
    labels `(n,)`, read from the four gzipped IDX files in
    `~/.keras/datasets/fashion-mnist/`."""
    subdir = os.path.join("datasets", "fashion-mnist")
    y_train, x_train, y_test, x_test = (
        host_datasets.read_idx_gz(fetch(name, ORIGIN + name, cache_subdir=subdir))
        for name in FILES)
    return (x_train, y_train), (x_test, y_test)
