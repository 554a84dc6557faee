"""CIFAR-10: 50,000 training and 10,000 test 32x32 color images of 10 classes
(0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
9 truck)."""

import os

from kerasx.datasets._cifar import load_batches
from kerasx.datasets._files import fetch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` (`(n, 3, 32,
    32)` with `image_data_format() == "channels_first"`) and uint8 labels `(n, 1)`."""
    folder = os.path.join(fetch("cifar-10-batches-py-target", ORIGIN, FILE_HASH, extract=True),
                          "cifar-10-batches-py")
    train = load_batches(folder, [f"data_batch_{i}" for i in range(1, 6)], "labels", "uint8")
    return train, load_batches(folder, ["test_batch"], "labels", "uint8")
