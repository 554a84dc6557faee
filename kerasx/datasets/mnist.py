"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels."""

from kerasx.backends import host
from kerasx.datasets._files import ORIGIN, fetch

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)` with values
    0-255 and uint8 labels `(n,)` with values 0-9.

    Args:
        path: the file name in the cache (`~/.keras/datasets/`).
    """
    arrays = host.load_arrays(fetch(path, ORIGIN + "mnist.npz", FILE_HASH))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
