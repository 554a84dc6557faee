"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

import os
import shutil
import uuid


def atomic_write(path, writer_fn):
    """Writes `path` through `writer_fn` so that it is never left half-written.

    `writer_fn(tmp_path)` writes the complete file to a temporary path in the
    same directory (same file system); the data is flushed to disk and the
    temporary file is then renamed over `path` with `os.replace`, which is
    atomic. If the process dies or `writer_fn` raises, `path` keeps its
    previous content (or stays absent) and the temporary file is removed
    whenever Python gets the chance. The temporary name ends with the base
    name of `path`, so writers that check the extension (`.keras`,
    `.weights.h5`) accept it.

    Args:
        path: the destination file.
        writer_fn: a callable taking the path to write to.

    Returns:
        `path`.
    """
    path = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"Cannot write file {path!r}: it is an existing directory. Pass a file path."
        )
    os.makedirs(directory, exist_ok=True)
    tmp_path = os.path.join(directory, f".tmp-{uuid.uuid4().hex[:12]}-{base}")
    try:
        writer_fn(tmp_path)
        if not os.path.exists(tmp_path):
            raise FileNotFoundError(
                f"atomic_write: the writer did not create the file it was given ({tmp_path!r}). "
                "writer_fn must write the complete file to the path it receives."
            )
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.isdir(tmp_path):
            shutil.rmtree(tmp_path, ignore_errors=True)
        elif os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise
    fsync_directory(directory)
    return path


def atomic_write_bytes(path, data):
    """`atomic_write` for an in-memory `bytes` payload."""

    def write(tmp_path):
        with open(tmp_path, "wb") as f:
            f.write(data)

    return atomic_write(path, write)


def _fsync(path):
    if os.path.isdir(path):
        return
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def fsync_directory(directory):
    """Makes a rename in `directory` durable (fsync of the directory); a no-op where
    a directory cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
