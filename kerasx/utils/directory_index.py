"""The files of a class-per-subdirectory tree, their labels, and the training /
validation split shared by the `*_dataset_from_directory` functions."""

import os
import random

from kerasx.utils.messages import print_msg


def check_label_arguments(kind, labels, label_mode, class_names):
    """Keras's checks of `labels`, `class_names` and `label_mode`."""
    if labels is not None and not (isinstance(labels, str) and labels == "inferred"):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {kind} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{kind} samples (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError('`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')


def check_validation_split(validation_split, subset, shuffle, seed):
    """Keras's checks of `validation_split` and `subset`."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def draw_seed():
    """A seed in [0, 1e6), from Python's generator (seeded by `set_random_seed`)."""
    return random.randrange(1_000_000)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """`(file_paths, labels, class_names)` of the files under `directory`.

    With `labels="inferred"` every non-hidden subdirectory is a class (in
    alphanumeric order, or the order of `class_names`) and every file below it
    whose name ends with one of `formats` (any case) is a sample of that class;
    otherwise every matching file below `directory` is a sample, and `labels`
    (a list, one per file in sorted path order) or None gives the labels. With
    `shuffle`, files and labels are permuted together by
    `numpy.random.RandomState(seed).shuffle`, as Keras does, so a seed selects
    the same validation files as in Keras.
    """
    from kerasx.backends import host
    from kerasx.backends.host_datasets import shuffled_orders

    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory!r}: pass the path of an existing "
                         "directory.")
    if labels == "inferred":
        subdirs = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of "
                    f"the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(
                "When `labels=None` (no labels), argument `class_names` cannot be specified."
                if labels is None else
                "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels).")
        subdirs = [""]
    formats = tuple(f.lower() for f in formats)
    file_paths, inferred = [], []
    for index, subdir in enumerate(subdirs):
        found = _files_below(os.path.join(directory, subdir), follow_links, formats)
        file_paths += found
        inferred += [index] * len(found)

    if labels == "inferred":
        class_names = list(subdirs)
        labels = inferred
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(file_paths):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(file_paths)} "
                f"files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = list(labels)
    if verbose:
        if labels is None:
            print_msg(f"Found {len(file_paths)} files.")
        else:
            print_msg(f"Found {len(file_paths)} files belonging to {len(class_names)} classes.")
    if shuffle and file_paths:
        (order,) = shuffled_orders(draw_seed() if seed is None else seed, len(file_paths))
        order = [int(i) for i in order]
        file_paths = [file_paths[i] for i in order]
        if labels is not None:
            labels = [labels[i] for i in order]
    labels = None if labels is None else host.to_host(labels, dtype="int32")
    return file_paths, labels, class_names


def _files_below(root, follow_links, formats):
    """The matching files under `root`, directory by directory in sorted order."""
    found = []
    for dirpath, _, files in sorted(os.walk(root, followlinks=follow_links),
                                    key=lambda entry: entry[0]):
        found += [os.path.join(dirpath, name) for name in sorted(files)
                  if name.lower().endswith(formats)]
    return found


def training_or_validation_split(samples, labels, validation_split, subset):
    """The last `int(validation_split * n)` samples (validation) or the others (training);
    everything when `validation_split` is not set."""
    if not validation_split:
        return samples, labels
    count = int(validation_split * len(samples))
    if subset in ("training", "validation") and not 0 < count < len(samples):
        raise ValueError(
            f"validation_split={validation_split} of {len(samples)} files leaves "
            f"{count} for validation and {len(samples) - count} for training; both parts need "
            "at least one file. Change validation_split or add files.")
    if subset == "training":
        print_msg(f"Using {len(samples) - count} files for training.")
        keep = slice(0, len(samples) - count)
    elif subset == "validation":
        print_msg(f"Using {count} files for validation.")
        keep = slice(len(samples) - count, len(samples))
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples[keep], None if labels is None else labels[keep]
