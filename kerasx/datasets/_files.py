"""Where the dataset files come from."""

from kerasx.utils.file_download import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def fetch(fname, origin, file_hash=None, **kwargs):
    """The cached path of a dataset file, downloaded from `origin` if it is not cached."""
    return get_file(fname=fname, origin=origin, file_hash=file_hash, **kwargs)
