"""CIFAR-100: 50,000 training and 10,000 test 32x32 color images of 100 fine classes
grouped in 20 coarse ones."""

import os

from kerasx.datasets._cifar import load_batches
from kerasx.datasets._files import fetch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` and int64
    labels `(n, 1)` (as Keras returns them, though its documentation says uint8).

    Args:
        label_mode: `"fine"` (100 classes, 0-99) or `"coarse"` (20 superclasses).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         f"label_mode={label_mode}.")
    folder = os.path.join(fetch("cifar-100-python-target", ORIGIN, FILE_HASH, extract=True),
                          "cifar-100-python")
    key = f"{label_mode}_labels"
    return load_batches(folder, ["train"], key), load_batches(folder, ["test"], key)
