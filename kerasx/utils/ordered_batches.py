"""`OrderedBatches`: a `PyDataset` over numbered samples, batched in an order that a
shuffled dataset draws anew at every pass."""

from kerasx.utils.py_dataset import PyDataset


class OrderedBatches(PyDataset):
    """Batches of `batch_size` of the sample numbers in `positions` (single samples with
    `batch_size=None`), in their order or, with `shuffle`, in a random order drawn at
    each pass (repeatable with `seed`). Subclasses read the samples of `rows(index)`;
    iterating (`for batch in dataset`) reads one pass and starts a new order, as `fit`
    does with `on_epoch_end`."""

    # Keras's dataset utilities return `tf.data` datasets, whose batches `fit` never
    # reorders (its `shuffle` is ignored): these keep their own order under `fit` too
    orders_itself = True

    def __init__(self, positions, batch_size, shuffle, seed):
        super().__init__()
        self.positions = positions
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.epochs = 0
        self.order = self._order()

    def _order(self):
        if not self.shuffle:
            return self.positions
        from kerasx.backends import current

        seed = None if self.seed is None else [int(self.seed), self.epochs]
        return self.positions[current().rng.permutation(len(self.positions), seed=seed)]

    def __len__(self):
        if self.batch_size is None:
            return len(self.order)
        return -(-len(self.order) // self.batch_size)

    def rows(self, index):
        """The sample numbers of batch `index` (negative counts from the end)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"The dataset has {len(self)} batches; index {index} is past them.")
        index %= len(self)
        if self.batch_size is None:
            return self.order[index:index + 1]
        return self.order[index * self.batch_size:(index + 1) * self.batch_size]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()

    def on_epoch_end(self):
        self.epochs += 1
        self.order = self._order()

    def take(self, count):
        """The first `count` batches (every batch with -1) as a dataset of their own,
        as `tf.data.Dataset.take`: `for inputs, targets in dataset.take(1): ...`.
        Each pass over it reads the batches of a new pass over this dataset."""
        if isinstance(count, bool) or not isinstance(count, int) or count < -1:
            raise ValueError(f"take: count must be a non-negative int (or -1 for every batch), "
                             f"received {count!r}.")
        return TakenBatches(self, count)


class TakenBatches(PyDataset):
    """The first `count` batches of an `OrderedBatches` (see `OrderedBatches.take`)."""

    orders_itself = True

    def __init__(self, source, count):
        super().__init__()
        self.source = source
        self.count = count

    def __len__(self):
        return len(self.source) if self.count == -1 else min(self.count, len(self.source))

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"The dataset has {len(self)} batches; index {index} is past them.")
        return self.source[index % len(self)]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()

    def on_epoch_end(self):
        self.source.on_epoch_end()
