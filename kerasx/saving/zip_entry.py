"""Random access to an uncompressed zip entry, read straight from the archive's file.

h5py reads a weights file by seeking back and forth. The file object `zipfile` gives
for an entry seeks backwards by reading the entry again from its start (and checking
its CRC again), so loading a 504 MB `.keras` model took 5.0 s where its weights alone
loaded from a plain `.weights.h5` in 0.48 s. The entries kerasx and Keras write are
stored without compression, so their bytes lie in the archive as they are: a window
on the archive's file serves h5py's reads at their offsets.
"""

import io
import struct
import zipfile

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and extra's lengths
_LOCAL_SIGNATURE = b"PK\x03\x04"


class StoredEntry(io.RawIOBase):
    """A read-only, seekable file of `size` bytes starting at `start` in the file `path`."""

    def __init__(self, path, start, size):
        super().__init__()
        self._file = open(path, "rb")
        self._start, self._size, self._pos = start, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer):
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        self._file.seek(self._start + self._pos)
        got = self._file.readinto(memoryview(buffer)[:n])
        self._pos += got
        return got

    def close(self):
        if not self.closed:
            self._file.close()
        super().close()


def open_stored(archive, path, name):
    """A `StoredEntry` for the entry `name` of the open `zipfile.ZipFile` `archive` (read
    from `path`), or None when the entry is compressed or its local header is not where
    the central directory says."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        return None
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        return None
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    return StoredEntry(path, start, info.file_size)
