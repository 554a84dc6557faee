"""`PyDataset`: a dataset written in Python, one batch per index (Keras's `Sequence`)."""

import itertools
import warnings


class PyDataset:
    """Base class for datasets that produce whole batches by index.

    Implement `__getitem__(index)` (a batch: `x`, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`) and `__len__()` (the number of batches per epoch),
    and optionally `on_epoch_begin()` / `on_epoch_end()` to change the data
    between epochs. `fit`, `evaluate` and `predict` read every index once per
    epoch (in a shuffled order when `fit(shuffle=True)`), so each sample is
    seen exactly once per epoch, unlike with a Python generator. A dataset
    whose `num_batches` is `None` is infinite and needs `steps_per_epoch`.

    Args:
        workers: how many batches are prepared in parallel. With more than one
            worker, batches are fetched by a pool of threads, in order, up to
            `max_queue_size` batches ahead of training.
        use_multiprocessing: accepted for compatibility with Keras; kerasx
            prepares batches with threads, which share the dataset object
            (NumPy releases the GIL while copying, so threads overlap with
            training).
        max_queue_size: how many batches may be prepared ahead (default 10).

    Example:

    ```python
    class Batches(kerasx.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index):
            low = index * self.batch_size
            return self.x[low:low + self.batch_size], self.y[low:low + self.batch_size]
    ```
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
            raise ValueError(
                f"PyDataset: workers must be a non-negative integer, received {workers!r}."
            )
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(
                "PyDataset: max_queue_size must be a positive integer, received "
                f"{max_queue_size!r}."
            )
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        missing = [n for n in ("_workers", "_use_multiprocessing", "_max_queue_size")
                   if not hasattr(self, n)]
        if missing:
            self._workers = getattr(self, "_workers", 1)
            self._use_multiprocessing = getattr(self, "_use_multiprocessing", False)
            self._max_queue_size = getattr(self, "_max_queue_size", 10)
            warnings.warn(
                f"{type(self).__name__} should call `super().__init__(**kwargs)` in its "
                "constructor; `workers`, `use_multiprocessing` and `max_queue_size` fall back "
                "to their defaults.",
                stacklevel=3,
            )

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position `index`."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __iter__(self):
        """The batches in order: `num_batches` of them, or without end when it is None
        (so `for x, y in dataset:` stops after the last batch, as in Keras)."""
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        indices = range(count) if count is not None else itertools.count()
        for index in indices:
            yield self[index]

    @property
    def num_batches(self):
        """The number of batches per epoch, or `None` for an infinite dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__() (or a `num_batches` property "
            "returning None for an infinite dataset)."
        )

    def on_epoch_begin(self):
        """Called before the first batch of every epoch."""

    def on_epoch_end(self):
        """Called after the last batch of every epoch."""


Sequence = PyDataset
