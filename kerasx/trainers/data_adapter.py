"""Turns user data (arrays, lists/dicts of arrays, generators) into device batches.

User arrays stay on the host; each batch is sliced there and moved to the
device as it is drawn. Arrays already on the device stay there and are
sliced in place.
"""

import math

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host


def map_structure(fn, structure):
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return None if structure is None else fn(structure)


def flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in flatten(s)]
    if isinstance(structure, dict):
        return [x for s in structure.values() for x in flatten(s)]
    return [] if structure is None else [structure]


def is_array_like(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") or isinstance(x, (list, tuple)) and _is_numeric_list(x)


def _is_numeric_list(x):
    return len(x) > 0 and all(isinstance(v, (int, float)) or _is_numeric_list(v) if isinstance(v, (list, tuple)) else isinstance(v, (int, float)) for v in x)


def standardize(x, name):
    """Arrays as host NumPy arrays (floats cast to floatx once), device arrays kept."""
    from kerasx.config import floatx

    backend = current()

    def convert(a):
        if isinstance(a, TensorOps):
            a = a.value
        if backend.is_native(a) or host.is_sparse(a):
            return a
        try:
            arr = host.to_host(a)
        except Exception as e:
            raise TypeError(
                f"`{name}` could not be converted to an array ({type(a).__name__}: {e}). "
                "Pass NumPy arrays, lists of numbers, or backend arrays."
            ) from None
        if arr.dtype.kind == "O":
            raise TypeError(
                f"`{name}` holds Python objects (dtype object), e.g. ragged lists. "
                "Pad the sequences to one length (kerasx expects rectangular numeric arrays)."
            )
        if arr.dtype.kind == "f" and arr.dtype.name != floatx():
            arr = arr.astype(floatx())
        if arr.ndim == 0:
            raise ValueError(f"`{name}` is a scalar; expected an array with one row per sample.")
        return arr

    return map_structure(convert, x)


def num_samples(structure):
    leaves = flatten(structure)
    return None if not leaves else int(leaves[0].shape[0])


def check_lengths(**named):
    """Raises when the arrays of x, y and sample_weight have different numbers of rows."""
    sizes = {}
    for name, struct in named.items():
        for leaf in flatten(struct):
            sizes.setdefault(name, set()).add(int(leaf.shape[0]))
    all_sizes = {n for s in sizes.values() for n in s}
    if len(all_sizes) > 1:
        detail = ", ".join(f"{k}: {sorted(v)}" for k, v in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: the arrays have different numbers of samples ({detail}). "
            "x, y and sample_weight must all have one row per sample."
        )


def check_finite(structure, name):
    for leaf in flatten(structure):
        if host.is_host_array(leaf) and host.has_nonfinite(leaf):
            where = host.first_nonfinite(leaf)
            raise ValueError(
                f"`{name}` contains NaN or inf (first at index {where}, value {leaf[where]}). "
                "Clean or impute the data before training (e.g. numpy.nan_to_num), "
                "since a single NaN makes every weight NaN."
            )


def take(structure, indices):
    backend = current()

    def pick(a):
        if host.is_host_array(a):
            return host.take_rows(a, indices)
        if host.is_sparse(a):
            return a[indices]
        return backend.xp.take(a, backend.asarray(indices), axis=0)

    return map_structure(pick, structure)


def slice_rows(structure, start, stop):
    return map_structure(lambda a: a[start:stop], structure)


def to_device(structure):
    backend = current()

    def move(a):
        if host.is_sparse(a):
            return a
        return Tensor(backend.asarray(a))

    return map_structure(move, structure)


def split_validation(x, y, sample_weight, validation_split):
    """Keras's rule: the last `validation_split` fraction, taken before shuffling."""
    n = num_samples(x)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves "
            f"{'no training' if split_at == 0 else 'no validation'} samples out of {n}. "
            "Use a value that keeps at least one sample on each side."
        )
    train = tuple(slice_rows(s, 0, split_at) for s in (x, y, sample_weight))
    val = tuple(slice_rows(s, split_at, n) for s in (x, y, sample_weight))
    return train, val


class ArrayBatches:
    """Batches of in-memory arrays for one pass, in order or shuffled."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n = num_samples(x)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.steps = steps if steps is not None else math.ceil(self.n / batch_size)

    def __len__(self):
        return self.steps

    def epoch(self):
        """Yields device batches `(x, y, sample_weight)` for one epoch."""
        order = None
        if self.shuffle == "batch":
            order = _batch_shuffle(self.n, self.batch_size)
        elif self.shuffle:
            order = current().rng.permutation(self.n)
        steps_done = 0
        while steps_done < self.steps:
            for start in range(0, self.n, self.batch_size):
                if steps_done >= self.steps:
                    return
                stop = min(start + self.batch_size, self.n)
                if order is None:
                    parts = tuple(slice_rows(s, start, stop) for s in (self.x, self.y, self.sample_weight))
                else:
                    idx = order[start:stop]
                    parts = tuple(take(s, idx) for s in (self.x, self.y, self.sample_weight))
                yield tuple(to_device(p) for p in parts)
                steps_done += 1


def _batch_shuffle(n, batch_size):
    rng = current().rng
    blocks = [host.arange(n)[i:i + batch_size] for i in range(0, n, batch_size)]
    order = rng.permutation(len(blocks))
    return host.concatenate([blocks[i] for i in order])
