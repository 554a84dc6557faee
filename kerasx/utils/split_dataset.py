"""`split_dataset`: a left and a right part of arrays (train / test), optionally shuffled."""

import random

from kerasx.backends import host


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Splits the samples of `dataset` into a left and a right part.

    `dataset` is an array, or a tuple, list or dict of arrays (nested too) whose
    first axes have the same length. Each part has the same structure with host
    (NumPy) arrays, lists turned into tuples, so it can be passed on to
    `fit(x, y)` or split again. (Keras returns `tf.data` datasets, which need
    TensorFlow.)

    Args:
        left_size: the number of samples (an int) or the fraction of them (a
            float in (0, 1)) in the left part; None: those `right_size` leaves.
        right_size: the same for the right part, taken from the end; None: the
            rest. When both are given and sum to less than the whole, the
            samples in between are in neither part.
        shuffle: whether to shuffle the samples before splitting.
        seed: the shuffling seed. For a given seed the split is the one Keras
            makes (Python's `random.shuffle` after `random.seed(seed)`).
        preferred_backend: None, or the name of a kerasx backend: the parts are
            host arrays either way. Keras's `"tensorflow"` and `"torch"` (which
            ask for `tf.data` / `torch` datasets) are refused.

    Returns:
        `(left, right)`.
    """
    from kerasx import tree
    from kerasx.backends import available_backends

    if preferred_backend is not None and preferred_backend not in available_backends():
        raise ValueError(f"split_dataset: preferred_backend={preferred_backend!r} is not a kerasx "
                         f"backend; kerasx returns host arrays (any backend's `fit` takes them). "
                         f"Pass None or one of {sorted(available_backends())}.")
    if not tree.is_nested(dataset) and not hasattr(dataset, "shape"):
        raise TypeError(f"split_dataset expects an array or a tuple, list or dict of arrays, "
                        f"received {type(dataset).__name__}.")
    leaves = [host.to_host(leaf) for leaf in tree.flatten(dataset)]
    if not leaves:
        raise ValueError("split_dataset received an empty structure: pass at least one array.")
    lengths = {leaf.shape[0] if leaf.ndim else None for leaf in leaves}
    if len(lengths) != 1 or None in lengths:
        shapes = [tuple(leaf.shape) for leaf in leaves]
        raise ValueError(f"split_dataset expects arrays with the same number of samples (first "
                         f"axis); received arrays of shapes {shapes}.")
    total = lengths.pop()
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    parts = []
    for rows in (order[:left], order[total - right:]):
        index = host.to_host(rows, dtype="int64")
        parts.append(tree.lists_to_tuples(tree.pack_sequence_as(
            dataset, [host.take_rows(leaf, index) for leaf in leaves])))
    return tuple(parts)


def _check_size(name, size, total):
    if size is None:
        return
    if type(size) not in (int, float):
        raise TypeError(f"`{name}` must be an int, a float or None, received {size!r} of type "
                        f"{type(size).__name__}.")
    if (type(size) is int and not 0 < size < total) or (type(size) is float
                                                        and not 0 < size < 1):
        raise ValueError(f"`{name}` must be a positive integer smaller than {total}, or a float "
                         f"in the range (0, 1). Received: {name}={size}")


def _split_sizes(left_size, right_size, total):
    """The sizes of both parts as ints, with Keras's rules and errors."""
    if left_size is None and right_size is None:
        raise ValueError("At least one of `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    _check_size("left_size", left_size, total)
    _check_size("right_size", right_size, total)
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(f"The sum of `left_size` and `right_size` is {left_size + right_size}, "
                         "greater than 1. It must be at most 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"`left_size` + `right_size` = {left + right} samples, more than the "
                         f"{total} of the dataset.")
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(f"With a dataset of {total} samples, left_size={left_size} and "
                             f"right_size={right_size}, the {side} part would be empty. "
                             "Adjust either size.")
    return int(left), int(right)
