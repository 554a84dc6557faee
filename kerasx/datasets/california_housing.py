"""California housing: 20,640 districts of the 1990 U.S. census, 8 features each
(median income, house age, average rooms and bedrooms, population, average occupancy,
latitude, longitude), with the median house value in dollars as target."""

from kerasx.backends import host
from kerasx.datasets._files import ORIGIN, fetch
from kerasx.datasets._tabular import check_test_split, shuffle_and_split

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """`(x_train, y_train), (x_test, y_test)`: features `(n, 8)` and targets `(n,)`,
    shuffled with `seed` before the split.

    Args:
        version: `"large"` (all 20,640 samples) or `"small"` (the first 600, a
            stand-in for the Boston housing data).
        path: the file name in the cache (`~/.keras/datasets/`).
        test_split: the fraction of the samples in the test part, in [0, 1).
        seed: the seed of the shuffle.
    """
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    arrays = host.load_arrays(fetch(path, ORIGIN + "california_housing.npz", FILE_HASH))
    x, y = arrays["x"], arrays["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_and_split(x, y, test_split, seed)
