"""Boston housing prices: 506 samples of 13 features, the median home value as target."""

from kerasx.backends import host
from kerasx.datasets._files import ORIGIN, fetch
from kerasx.datasets._tabular import check_test_split, shuffle_and_split

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """`(x_train, y_train), (x_test, y_test)`: float64 features `(n, 13)` and targets
    `(n,)` (in thousands of dollars), shuffled with `seed` before the split.

    Args:
        path: the file name in the cache (`~/.keras/datasets/`).
        test_split: the fraction of the samples in the test part, in [0, 1).
        seed: the seed of the shuffle.
    """
    check_test_split(test_split)
    arrays = host.load_arrays(fetch(path, ORIGIN + "boston_housing.npz", FILE_HASH))
    return shuffle_and_split(arrays["x"], arrays["y"], test_split, seed)
