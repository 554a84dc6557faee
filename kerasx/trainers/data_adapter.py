"""Turns user data (arrays, lists/dicts of arrays) into device batches.

User arrays stay on the host; each batch is sliced there and moved to the
device as it is drawn. Large batches are prepared one ahead in a background
thread, so slicing and the host-to-device copy of batch k+1 overlap with the
step on batch k (NumPy releases the GIL while copying). On an asynchronous
device (CuPy) the host already runs ahead of the device between
synchronisations (see `steps_per_execution`). Arrays already on the device
stay there and are sliced in place.

Tensors of other frameworks (PyTorch, JAX, TensorFlow) and pandas objects are
converted where they enter, and arrays of another kerasx backend's library
refused, by the rule `kerasx.trainers.foreign_data` states.
"""

import contextlib
import contextvars
import math
import queue
import threading
import warnings

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host
from kerasx.backends.base import (framework_array_to_backend, is_foreign_array,
                                  is_framework_array)
from kerasx.trainers.foreign_data import is_pandas, pandas_to_numpy
from kerasx.trainers.step_limits import capped_steps, drawn_per_epoch


def map_structure(fn, structure):
    if isinstance(structure, (list, tuple)):
        items = [map_structure(fn, s) for s in structure]
        if hasattr(structure, "_fields"):  # a namedtuple takes its fields as arguments
            return type(structure)(*items)
        return type(structure)(items)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return None if structure is None else fn(structure)


def flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in flatten(s)]
    if isinstance(structure, dict):
        return [x for s in structure.values() for x in flatten(s)]
    return [] if structure is None else [structure]


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) or hasattr(v, "dtype") \
        and getattr(v, "ndim", 1) == 0


def is_numeric_nested_list(x):
    """True for a (nested) list of numbers such as `[[1, 2], [3, 4]]`."""
    if not isinstance(x, (list, tuple)) or not x:
        return False
    first = x[0]
    if isinstance(first, (list, tuple)):
        return all(is_numeric_nested_list(v) for v in x)
    return all(_is_number(v) for v in x)


def standardize(x, name):
    """Arrays as host NumPy arrays (floats cast to floatx once), device arrays kept.

    A list of numbers (`[[0.1, 0.2], ...]`) is one array; any other list or
    tuple is a structure of arrays (one per model input or output). Tensors of
    other frameworks and pandas objects are converted, arrays of another
    backend's library refused, by the rule in `kerasx.trainers.foreign_data`.
    """
    from kerasx.config import floatx

    backend = current()

    def convert(a):
        if isinstance(a, TensorOps):
            a = a.value
        if host.is_sparse(a) or (not host.is_host_array(a) and backend.is_native(a)):
            return a
        if is_framework_array(a):
            a = _framework_array(a, name, backend)
            if backend.is_native(a):  # a device tensor imported through DLPack
                return _floatx_on_device(a, backend, floatx())
        elif is_pandas(a):
            a = pandas_to_numpy(a, name, floatx())
        if is_foreign_array(a):
            raise TypeError(
                f"`{name}` is an array of {type(a).__module__.split('.')[0]} but the active backend is "
                f"{backend.name!r}; arrays of different libraries cannot be mixed (it is the "
                "array type of another kerasx backend, so the data was likely prepared for that "
                "one). Select the matching backend with KERASX_BACKEND (or "
                "kerasx.backends.use_backend), or convert the data to NumPy arrays first "
                "(e.g. `x.get()` for CuPy)."
            )
        # Unusable data is a ValueError, as Keras's "Unrecognized data type".
        if isinstance(a, (str, bytes)):
            raise ValueError(
                f"`{name}` holds a string ({a!r:.50}), but kerasx trains on numbers. Encode "
                "text or categories as integers first (e.g. with a vocabulary lookup)."
            )
        try:
            arr = host.to_host(a)
        except Exception as e:
            raise ValueError(
                f"`{name}` could not be converted to an array ({type(a).__name__}: {e}). "
                "Pass NumPy arrays, rectangular lists of numbers, or backend arrays; pad "
                "sequences of different lengths to one length first."
            ) from None
        if arr.dtype.kind == "O" and name == "x" and arr.size and all(
                isinstance(v, str) for v in arr.flat):
            arr = arr.astype(str)  # text as Python strings (a pandas text column's values)
        if arr.dtype.kind in "US" and name == "x":
            return arr  # text for a string layer (StringLookup, TextVectorization)
        if _is_ml_dtypes_float(arr.dtype):
            arr = arr.astype(floatx())  # Keras casts every float input to floatx
        if arr.dtype.kind in "OUSV":
            if arr.dtype.kind == "O":
                what = "Python objects (e.g. ragged lists of different lengths)"
            else:
                what = f"strings or bytes (dtype {arr.dtype})"
            raise ValueError(
                f"`{name}` holds {what}. kerasx expects rectangular numeric arrays: pad sequences "
                "to one length (kerasx.utils.pad_sequences or numpy) and encode text as integers."
            )
        if arr.dtype.kind == "f" and arr.dtype.name != floatx():
            arr = arr.astype(floatx())
        if arr.ndim == 0:
            raise ValueError(
                f"`{name}` is a scalar ({arr!r}); expected an array with one row per sample."
            )
        return arr

    if is_numeric_nested_list(x):
        return convert(x)
    return map_structure(convert, x)


def _is_ml_dtypes_float(dtype):
    """Whether `dtype` is one of ml_dtypes' floats (bfloat16, float8_*), which NumPy
    files under kind "V" beside structured and raw-bytes dtypes."""
    return dtype.kind == "V" and (dtype.name == "bfloat16" or dtype.name.startswith("float8"))


def _framework_array(a, name, backend):
    try:
        return framework_array_to_backend(a, backend)
    except Exception as e:
        raise TypeError(
            f"`{name}` is a {type(a).__module__}.{type(a).__name__} that could not be read as an "
            f"array ({type(e).__name__}: {e}). Pass dense tensors or NumPy arrays (e.g. "
            "`t.to_dense()` for a sparse PyTorch tensor, `t.detach().cpu().numpy()`)."
        ) from None


def _floatx_on_device(a, backend, floatx):
    if backend.isdtype(a.dtype, "real floating") and a.dtype != backend.dtype(floatx):
        return backend.xp.astype(a, backend.dtype(floatx))
    return a


def num_samples(structure):
    leaves = flatten(structure)
    return None if not leaves else int(leaves[0].shape[0])


def same_lengths(*structures):
    """Whether every array of `structures` has the same number of rows."""
    sizes = {int(leaf.shape[0]) for struct in structures for leaf in flatten(struct)
             if len(leaf.shape)}
    return len(sizes) <= 1


@contextlib.contextmanager
def rows_explained(what, **named):
    """Adds the row counts to an error raised by a single-batch step whose arrays have
    different numbers of rows (accepted for graph batches, as Keras accepts them), since
    the usual cause is x and y that do not match."""
    try:
        yield
    except (ValueError, TypeError) as error:
        sizes = _row_counts(named)
        if sizes is None or len({n for counts in sizes.values() for n in counts}) <= 1:
            raise
        detail = ", ".join(f"{k}: {v}" for k, v in sizes.items() if v)
        cause = str(error).strip().rstrip(".")
        message = (
            f"{what} failed on a batch whose arrays have different numbers of rows "
            f"({detail}): {cause}. Arrays of different lengths are accepted for "
            "graph batches (nodes, edges, ...); if x, y and sample_weight should have one row "
            "per sample, check that they were not split or shuffled separately.")
        try:
            explained = type(error)(message)
        except Exception:  # noqa: BLE001 - an error class with other constructor arguments
            explained = (ValueError if isinstance(error, ValueError) else TypeError)(message)
        raise explained from error


def _row_counts(named):
    """`{name: sorted row counts}` of the named structures, or None when they cannot be
    read (the error being explained is then reported as it is)."""
    try:
        return {name: sorted({int(leaf.shape[0]) for leaf in flatten(standardize(v, name))
                              if len(leaf.shape)}) for name, v in named.items()}
    except Exception:  # noqa: BLE001
        return None


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
            f"Data cardinality is ambiguous: the arrays have different numbers of samples "
            f"({detail}). x, y and sample_weight must all have one row per sample; check that "
            "x and y were not split or shuffled separately."
        )


def check_finite(structure, name):
    """Raises when a float array holds NaN or inf, naming the first bad position."""
    backend = current()
    for i, leaf in enumerate(flatten(structure)):
        where = None
        if host.is_host_array(leaf):
            if host.has_nonfinite(leaf):
                where = host.first_nonfinite(leaf)
                value = leaf[where]
        elif backend.is_native(leaf):
            xp = backend.xp
            if backend.isdtype(leaf.dtype, "real floating") and not bool(xp.all(xp.isfinite(leaf))):
                on_host = backend.to_numpy(leaf)  # only on the error path
                where = host.first_nonfinite(on_host)
                value = on_host[where]
        if where is not None:
            label = name if len(flatten(structure)) == 1 else f"{name} (array {i})"
            raise ValueError(
                f"`{label}` contains NaN or inf (first at index {where}, value {value}). "
                "Clean or impute the data before training (e.g. numpy.nan_to_num, or drop those "
                "rows), since a single NaN makes every weight NaN."
            )


def take(structure, indices, device_indices=None):
    """The rows `indices` of each array; arrays on the device take `device_indices`, the
    same indices already moved there, when given."""
    backend = current()

    def pick(a):
        if host.is_host_array(a):
            return host.take_rows(a, indices)
        if host.is_sparse(a):
            return a[indices]
        on_device = backend.asarray(indices) if device_indices is None else device_indices
        return backend.xp.take(a, on_device, axis=0)

    return map_structure(pick, structure)


def slice_rows(structure, start, stop):
    # The trailing ellipsis: the array API does not allow indexing fewer axes than ndim.
    return map_structure(lambda a: a[start:stop] if host.is_sparse(a) else a[start:stop, ...],
                         structure)


def to_device(structure):
    backend = current()

    def move(a):
        if host.is_sparse(a) or host.is_string_array(a):
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
            "Use a value that keeps at least one sample on each side, or pass validation_data."
        )
    train = tuple(slice_rows(s, 0, split_at) for s in (x, y, sample_weight))
    val = tuple(slice_rows(s, split_at, n) for s in (x, y, sample_weight))
    return train, val


class Prefetcher:
    """Runs an iterator in a background thread, up to `depth` items ahead.

    The thread runs in a copy of the caller's context, so the active backend
    (a context variable) is the same there. An exception raised while
    producing an item is raised again by `next()` in the caller.
    """

    def __init__(self, iterator, depth=1):
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run, iterator),
                                        name="kerasx-prefetch", daemon=True)
        self._done = False
        self._thread.start()

    def _run(self, iterator):
        try:
            for item in iterator:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as e:  # handed to the consumer
            self._put(("error", e))

    def _put(self, message):
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == "item":
            return value
        self._done = True
        self._thread.join()
        if kind == "error":
            raise value
        raise StopIteration

    def close(self):
        """Stops the thread (dropping any item it prepared) and waits for it."""
        self._stop.set()
        self._done = True
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()


# Below this batch size the hand-over between threads costs more than the copy it hides
# (measured on NumPy: small batches train ~20% slower with a prefetch thread).
PREFETCH_MIN_BYTES = 4 * 2**20


class ArrayBatches:
    """Batches of in-memory arrays: `(x, y, sample_weight)` device tuples, one epoch at a time.

    With `steps` (fit's `steps_per_epoch`) an epoch draws that many batches and
    the next epoch continues where it stopped; a new (reshuffled) pass over
    the data starts once every batch was used, and an epoch that runs out of
    data before `steps` ends early with a warning (Keras's behaviour). Without
    `steps` every epoch is one full pass.

    Host batches of at least `PREFETCH_MIN_BYTES` are prepared one ahead in a
    background thread (`prefetch="auto"`; `True`/`False` force it).

    `shuffle=True` draws a new permutation of the samples for every pass from
    the backend's seeded generator; `shuffle="batch"` keeps each batch's
    contiguous block of samples (for data that is only fast to read in
    order) and only permutes the samples within it.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None,
                 prefetch="auto"):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n = num_samples(x)
        if not batch_size:
            batch_size = int(math.ceil(self.n / steps)) if steps else 32
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_batches = int(math.ceil(self.n / batch_size))
        steps = capped_steps(steps, self.num_batches)
        self.steps_per_epoch = steps
        self.steps = steps if steps is not None else self.num_batches
        host_leaves = [a for a in flatten((x, y, sample_weight)) if host.is_host_array(a)]
        if prefetch == "auto":
            batch_bytes = sum(a.nbytes for a in host_leaves) / max(self.n, 1) * batch_size
            prefetch = batch_bytes >= PREFETCH_MIN_BYTES
        self.prefetch = bool(prefetch and host_leaves)
        self._pass = None
        self._used = 0
        self.steps_per_execution = 1  # set by the step loop

    def __len__(self):
        return self.steps

    def epoch(self):
        """Yields the device batches of one epoch."""
        if self.steps_per_epoch is None or self._pass is None:
            self._start_pass()
        limit = drawn_per_epoch(self.steps_per_epoch, self.steps_per_execution) \
            or self.num_batches
        for _ in range(limit):
            if self._used >= self.num_batches:
                self._close_pass()
                warnings.warn(
                    f"The training data ran out after {self.num_batches} batches, before "
                    f"steps_per_epoch={self.steps_per_epoch}; this epoch ends early. With "
                    f"{self.n} samples and batch_size={self.batch_size} there are "
                    f"{self.num_batches} batches per pass, and each epoch continues the pass "
                    "the last one left off (as Keras), so fit needs steps_per_epoch * epochs "
                    "batches: lower steps_per_epoch or epochs, or give data that repeats.",
                    stacklevel=3,
                )
                return
            batch = next(self._pass)
            self._used += 1
            yield batch
        if self._used >= self.num_batches:
            self._close_pass()

    def _start_pass(self):
        self._close_pass()
        # Decided here, on the calling thread, so the random stream stays in program order.
        if self.shuffle == "batch":
            order = _within_batch_order(self.n, self.batch_size)
        elif self.shuffle:
            order = current().rng.permutation(self.n)
        else:
            order = None
        batches = self._batches(order)
        self._pass = Prefetcher(batches) if self.prefetch else batches
        self._used = 0

    def _batches(self, order):
        backend = current()
        structures = (self.x, self.y, self.sample_weight)
        x_rows, y_rows, w_rows = (_batch_rows(s, backend) for s in structures)
        # an array already on the device takes its rows by indices on the device: the
        # order moves there once per pass, not a slice of it (and a wait) every step
        on_device = order
        if order is not None and any(_has_device_array(s) for s in structures):
            on_device = backend.asarray(order)
        for start in range(0, self.n, self.batch_size):
            stop = min(start + self.batch_size, self.n)
            idx = None if order is None else (order[start:stop], on_device[start:stop])
            yield x_rows(start, stop, idx), y_rows(start, stop, idx), w_rows(start, stop, idx)

    def _close_pass(self):
        if isinstance(self._pass, Prefetcher):
            self._pass.close()
        self._pass = None
        self._used = 0

    def restart(self):
        """The next epoch starts a new pass (Keras's `reset` of an evaluation iterator)."""
        self._close_pass()

    def close(self):
        """Stops any background preparation of batches."""
        self._close_pass()


def _has_device_array(structure):
    return any(not (host.is_host_array(a) or host.is_sparse(a)) for a in flatten(structure))


def _batch_rows(structure, backend):
    """`rows(start, stop, indices)`: the device batch of `structure` (rows `start:stop`,
    or, when `indices` is not None, the rows it names: a pair of the same indices on the
    host and on the device), as `to_device(slice_rows(...))` or `to_device(take(...))`
    would give it; a lone array skips the structure walk."""
    if structure is None:
        return lambda start, stop, idx: None
    if isinstance(structure, (list, tuple, dict)) or host.is_sparse(structure):
        return lambda start, stop, idx: to_device(
            slice_rows(structure, start, stop) if idx is None else take(structure, *idx))
    if host.is_string_array(structure):
        return lambda start, stop, idx: (
            structure[start:stop, ...] if idx is None else host.take_rows(structure, idx[0]))
    if host.is_host_array(structure):
        asarray = backend.asarray
        return lambda start, stop, idx: Tensor(asarray(
            structure[start:stop, ...] if idx is None else host.take_rows(structure, idx[0])))
    take_rows = backend.xp.take
    return lambda start, stop, idx: Tensor(
        structure[start:stop, ...] if idx is None else take_rows(structure, idx[1], axis=0))


def _within_batch_order(n, batch_size):
    rng = current().rng
    blocks = [host.arange(n)[i:i + batch_size] for i in range(0, n, batch_size)]
    return host.concatenate([block[rng.permutation(len(block))] for block in blocks])
