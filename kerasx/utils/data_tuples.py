"""The `(x, y, sample_weight)` tuples that `fit` reads from a dataset or `train_step` receives."""


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """`x`, `(x, y)` or `(x, y, sample_weight)`, leaving out what is None. An `x` that
    is itself a tuple or list is wrapped as `(x,)`, so it is not read as `(x, y)`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`,
    with None for what is missing."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected as `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; "
                     f"received a tuple of {len(data)} entries.")
