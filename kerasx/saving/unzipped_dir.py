"""The unzipped form of a `.keras` file (`model.save(path, zipped=False)`): a directory
holding the archive's entries as plain files, `metadata.json`, `config.json` and
`model.weights.h5`, and the (empty) `assets/` directory, as real Keras 3 writes it for
an absolute path; Keras reads such a directory and kerasx reads Keras's.

A save never leaves a half-written directory where a complete one was. The new
directory is written beside the destination (`.tmp-<id>-<name>`) and swapped in:
in one `renameat2(RENAME_EXCHANGE)` where Linux offers it, otherwise by moving the
old directory aside and the new one in (two renames). A destination that holds
files of its own besides Keras's entries (a project folder) is not replaced: the
entries are written beside it and each renamed over its old version, so those
files stay.
"""

import ctypes
import os
import shutil
import sys
import uuid

from kerasx.utils.atomic import fsync_directory

#: What Keras may keep in a model directory; anything else belongs to the user.
KERAS_ENTRIES = frozenset({"metadata.json", "config.json", "model.weights.h5",
                           "model.weights.npz", "assets"})
ASSETS = "assets"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_model_dir(path, entries):
    """Writes `entries` (`{file name: bytes}`, in order) as the directory `path`.

    Args:
        path: the directory to create or replace.
        entries: the files of the directory and their contents.

    Returns:
        The absolute path of the directory.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(
            f"Cannot save an unzipped model to {path!r}: a file with that name exists. "
            "Remove it or choose another path (a directory is written when zipped=False)."
        )
    parent, base = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    if os.path.isdir(path) and set(os.listdir(path)) - KERAS_ENTRIES:
        _replace_entries_in_place(path, entries)
    else:
        _swap_in_new_directory(path, parent, base, entries)
    fsync_directory(parent)
    return path


def _temporary_name(directory, base):
    return os.path.join(directory, f".tmp-{uuid.uuid4().hex[:12]}-{base}")


def _write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _swap_in_new_directory(path, parent, base, entries):
    tmp = _temporary_name(parent, base)
    os.makedirs(tmp)
    try:
        for name, data in entries.items():
            _write_file(os.path.join(tmp, name), data)
        os.mkdir(os.path.join(tmp, ASSETS))
        fsync_directory(tmp)
        if not os.path.isdir(path):
            os.replace(tmp, path)
            return
        if _exchange(tmp, path):
            # `tmp` now holds the previous directory.
            shutil.rmtree(tmp, ignore_errors=True)
            return
        old = os.path.join(parent, f".old-{uuid.uuid4().hex[:12]}-{base}")
        os.replace(path, old)
        try:
            os.replace(tmp, path)
        except BaseException:
            os.replace(old, path)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _replace_entries_in_place(path, entries):
    # Every file is complete on disk before the first rename, so an error while writing
    # changes nothing; the weights go in first and the config last.
    staged = []
    try:
        for name, data in entries.items():
            tmp = _temporary_name(path, name)
            staged.append((tmp, os.path.join(path, name)))
            _write_file(tmp, data)
        order = sorted(staged, key=lambda pair: pair[1].endswith("config.json"))
        for tmp, final in order:
            os.replace(tmp, final)
        os.makedirs(os.path.join(path, ASSETS), exist_ok=True)
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.remove(tmp)
        raise
    fsync_directory(path)


def _exchange(a, b):
    """Swaps the directories `a` and `b` in one step; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0

