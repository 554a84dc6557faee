"""`timeseries_dataset_from_array`: sliding windows over a series, as a `PyDataset`."""

from kerasx.utils.ordered_batches import OrderedBatches


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """Batches of windows over `data` (time on axis 0), with their targets.

    Window `j` starts at `start_index + p_j` with `p_j = j * sequence_stride` and
    holds the steps `p, p + sampling_rate, ...`, `sequence_length` of them; its
    target is `targets[start_index + p_j]`. `data[:end_index]` bounds the windows
    (the last steps are left out when no whole window fits them). With `targets`
    None, batches are the windows alone. `shuffle` draws windows in a random
    order, a new one each epoch (repeatable with `seed`). `batch_size=None`
    gives single windows.

    Returns a `kerasx.utils.PyDataset` that `fit`, `evaluate` and `predict` take,
    and that can be indexed and iterated: `for x, y in dataset: ...`. Keras's
    `format` ("tf" for a `tf.data.Dataset`, "grain" for a Grain dataset) is checked
    and otherwise left aside: kerasx has one dataset type for both.
    """
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format!r}')
    return TimeseriesDataset(data, targets, sequence_length, sequence_stride, sampling_rate,
                             batch_size, shuffle, seed, start_index, end_index)


class TimeseriesDataset(OrderedBatches):
    """The windows `timeseries_dataset_from_array` describes, cut when a batch is read."""

    def __init__(self, data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                 batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
        from kerasx.backends.host import to_host

        self.data = to_host(data)
        self.targets = None if targets is None else to_host(targets)
        n = len(self.data)
        start = 0 if start_index is None else start_index
        end = n if end_index is None else end_index
        _check(n, start, end, sequence_length, sequence_stride, sampling_rate, batch_size)
        count = end - start - (sequence_length - 1) * sampling_rate
        if self.targets is not None:
            count = min(count, len(self.targets) - start)
        self.start = start
        self.offsets = to_host(range(0, sequence_length * sampling_rate, sampling_rate))
        super().__init__(to_host(range(0, max(count, 0), sequence_stride)), batch_size,
                         shuffle, seed)

    def __getitem__(self, index):
        starts = self.rows(index)
        steps = self.start + starts[:, None] + self.offsets[None, :]
        windows = self.data.take(steps.reshape(-1), axis=0).reshape(
            steps.shape + self.data.shape[1:])
        targets = None if self.targets is None else self.targets[self.start + starts]
        if self.batch_size is None:
            windows = windows[0]
            targets = None if targets is None else targets[0]
        return windows if targets is None else (windows, targets)


def _check(n, start, end, sequence_length, sequence_stride, sampling_rate, batch_size):
    def whole(name, value, low):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"timeseries_dataset_from_array: `{name}` must be an integer "
                             f">= {low}, received {value!r}.")

    whole("sequence_length", sequence_length, 1)
    whole("sequence_stride", sequence_stride, 1)
    whole("sampling_rate", sampling_rate, 1)
    if batch_size is not None:
        whole("batch_size", batch_size, 1)
    whole("start_index", start, 0)
    whole("end_index", end, 1)
    if start >= n or end > n or end <= start:
        raise ValueError(f"timeseries_dataset_from_array needs 0 <= start_index < end_index <= "
                         f"len(data) = {n}; received start_index={start}, end_index={end}.")
    span = (sequence_length - 1) * sampling_rate + 1
    if span > end - start:
        raise ValueError(f"timeseries_dataset_from_array: a window spans {span} steps "
                         f"(sequence_length={sequence_length}, sampling_rate={sampling_rate}), "
                         f"more than the {end - start} steps between start_index and end_index.")
