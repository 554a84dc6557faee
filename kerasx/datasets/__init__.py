"""Small classic datasets as NumPy arrays, downloaded once into `~/.keras/datasets`.

    (x_train, y_train), (x_test, y_test) = kerasx.datasets.mnist.load_data()

Each loader reads the files Keras caches, under the same names (`$KERAS_HOME/datasets`
when `KERAS_HOME` is set), so a machine that has them works offline.
"""

from kerasx.datasets import (boston_housing, california_housing, cifar10, cifar100,
                             fashion_mnist, imdb, mnist, reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
           "imdb", "mnist", "reuters"]
