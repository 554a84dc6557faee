"""`FileDataset`: the `PyDataset` the `*_dataset_from_directory` functions return, files
read when their batch is drawn."""

from kerasx.utils.directory_index import (check_validation_split, draw_seed, index_directory,
                                          training_or_validation_split)
from kerasx.utils.ordered_batches import OrderedBatches


class FileDataset(OrderedBatches):
    """Batches of samples read from files, with their encoded labels.

    A batch is `samples` (label_mode None) or `(samples, labels)`: labels are
    `int32` of shape `(batch,)` (`"int"`), `float32` of shape `(batch, 1)`
    (`"binary"`) or one-hot `float32` of shape `(batch, num_classes)`
    (`"categorical"`); with `batch_size=None` the batches are single samples.
    With `shuffle`, each pass draws a new order of the samples, repeatable with
    `seed`. Iterating over the dataset (`for x, y in dataset`) reads one pass
    and starts a new order, as `fit` does with `on_epoch_end`.

    Attributes:
        file_paths: the paths of the samples, in the order they were indexed.
        class_names: the class of each label, or None without labels.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, shuffle, seed,
                 read):
        from kerasx.backends import host

        self.file_paths = list(file_paths)
        self.class_names = class_names
        self.labels = labels
        self.label_mode = label_mode if labels is not None else None
        self.read = read
        super().__init__(host.arange(len(self.file_paths)), batch_size, shuffle, seed)

    def __getitem__(self, index):
        rows = self.rows(index)
        samples = self.read([self.file_paths[int(i)] for i in rows])
        if self.batch_size is None:
            samples = samples[0]
        if self.label_mode is None:
            return samples
        labels = self._encode(self.labels[rows])
        return samples, labels[0] if self.batch_size is None else labels

    def _encode(self, labels):
        from kerasx.backends.host import arange

        if self.label_mode == "binary":
            return labels.astype("float32")[:, None]
        if self.label_mode == "categorical":
            return (labels[:, None] == arange(len(self.class_names))[None, :]).astype("float32")
        return labels


def datasets_from_directory(kind, directory, labels, label_mode, class_names, batch_size,
                            shuffle, seed, validation_split, subset, follow_links, verbose,
                            formats, read):
    """The `FileDataset` (or the training and validation pair for `subset="both"`) of the
    files under `directory`, with Keras's checks and split."""
    check_validation_split(validation_split, subset, shuffle, seed)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"`batch_size` must be a positive integer or None, received "
                         f"batch_size={batch_size!r}.")
    if labels is None or label_mode is None:
        labels = label_mode = None
    if seed is None:
        seed = draw_seed()
    file_paths, labels, class_names = index_directory(
        directory, labels, formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")

    def make(part, shuffled):
        paths, part_labels = training_or_validation_split(file_paths, labels, validation_split,
                                                          part)
        if not paths:
            which = {"training": "training ", "validation": "validation "}.get(part, "")
            files = "images" if kind == "image" else f"{kind} files"  # Keras's wording
            raise ValueError(f"No {which}{files} found in directory {directory}. Allowed "
                             f"formats: {formats}")
        return FileDataset(paths, part_labels, label_mode, class_names, batch_size, shuffled,
                           seed, read)

    if subset == "both":
        return make("training", shuffle), make("validation", False)
    return make(subset, shuffle)
