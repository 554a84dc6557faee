"""The shuffled train / test split of the housing datasets."""

from kerasx.backends import host, host_datasets


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")


def shuffle_and_split(x, y, test_split, seed):
    """`(x_train, y_train), (x_test, y_test)` after Keras's shuffle of the rows."""
    (order,) = host_datasets.shuffled_orders(seed, len(x))
    x, y = host.take_rows(x, order), host.take_rows(y, order)
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
