"""`OrderedBatches`: a `PyDataset` over numbered samples, batched in an order that a
shuffled dataset draws anew at every pass."""

from kerasx.utils.py_dataset import PyDataset


class OrderedBatches(PyDataset):
    """Batches of `batch_size` of the sample numbers in `positions` (single samples with
    `batch_size=None`), in their order or, with `shuffle`, in a random order drawn at
    each pass (repeatable with `seed`). Subclasses read the samples of `rows(index)`;
    iterating (`for batch in dataset`) reads one pass and starts a new order, as `fit`
    does with `on_epoch_end`."""

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
