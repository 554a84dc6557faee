"""`text_dataset_from_directory`: a `PyDataset` of the `.txt` files of a
class-per-subdirectory tree."""

import codecs

from kerasx.utils.directory_index import check_label_arguments
from kerasx.utils.file_dataset import datasets_from_directory


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                format="tf", verbose=True):
    """A dataset of the texts of the `.txt` files under `directory`.

    Classes, labels, shuffling and the split follow `image_dataset_from_directory`:
    each subdirectory is a class with `labels="inferred"`, `labels=None` gives
    texts only, and a seed keeps the validation files Keras keeps.

    Args:
        label_mode: `"int"`, `"categorical"`, `"binary"` or None.
        batch_size: texts per batch, or None for single texts.
        max_length: keep at most this many bytes of each file (as Keras); a
            character cut in the middle is dropped.
        format: accepted for compatibility (`"tf"` or `"grain"`).

    Returns:
        A `PyDataset` of string arrays of shape `(batch,)` (the files decoded
        as UTF-8, invalid bytes replaced), or `(texts, labels)` batches, with
        `class_names` and `file_paths`; with `subset="both"`, the pair
        `(training, validation)`.
    """
    check_label_arguments("text", labels, label_mode, class_names)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                   or max_length < 0):
        raise ValueError(f"`max_length` must be None or a non-negative integer, received "
                         f"max_length={max_length!r}.")
    return datasets_from_directory("text", directory, labels, label_mode, class_names,
                                   batch_size, shuffle, seed, validation_split, subset,
                                   follow_links, verbose, (".txt",), TextReader(max_length))


class TextReader:
    """Reads text files as one host array of strings."""

    def __init__(self, max_length):
        self.max_length = max_length

    def __call__(self, paths):
        from kerasx.backends.host import to_host

        return to_host([self.read(path) for path in paths], dtype=str)

    def read(self, path):
        with open(path, "rb") as f:
            raw = f.read() if self.max_length is None else f.read(self.max_length)
        # an incremental decode without `final` leaves out a character cut at the end
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        return decoder.decode(raw, final=self.max_length is None)
