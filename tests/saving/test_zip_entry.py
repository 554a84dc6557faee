"""Random access to a stored (uncompressed) zip entry, as `.keras` loading reads the
weights: the window reads what `zipfile` reads, at any offset; compressed entries are
left to `zipfile`, and a `.keras` file with compressed weights still loads."""

import io
import os
import zipfile

import numpy as np
import pytest

import kerasx as keras
from kerasx.saving.zip_entry import StoredEntry, open_stored

rng = np.random.default_rng(43)


def _archive(path):
    """A zip with a stored entry behind another one, a deflated entry, and an entry
    whose local header carries an extra field."""
    payload = rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("first.json", b"{}")
        zf.writestr(zipfile.ZipInfo("stored.bin"), payload, compress_type=zipfile.ZIP_STORED)
        zf.writestr("deflated.bin", payload, compress_type=zipfile.ZIP_DEFLATED)
        extra = zipfile.ZipInfo("extra.bin")
        extra.extra = b"\xfe\xca\x04\x00abcd"  # an unknown 4-byte extra block
        zf.writestr(extra, payload[:1000], compress_type=zipfile.ZIP_STORED)
    return payload


def test_stored_entry_reads_what_zipfile_reads_at_any_offset(tmp_path):
    path = str(tmp_path / "a.zip")
    payload = _archive(path)
    with zipfile.ZipFile(path) as zf:
        entry = open_stored(zf, path, "stored.bin")
        assert isinstance(entry, StoredEntry)
        with entry:
            assert entry.read() == payload and entry.read(10) == b""
            for start, size in ((0, 7), (199_990, 50), (123_456, 4096), (5, 0)):
                assert entry.seek(start) == start
                assert entry.read(size) == payload[start:start + size]
                assert entry.tell() == start + len(payload[start:start + size])
            entry.seek(-10, io.SEEK_END)
            assert entry.read() == payload[-10:]
            entry.seek(100)
            entry.seek(-40, io.SEEK_CUR)
            assert entry.read(3) == payload[60:63]
            buffer = bytearray(16)
            entry.seek(1000)
            assert entry.readinto(buffer) == 16 and bytes(buffer) == payload[1000:1016]
            with pytest.raises(ValueError, match="negative seek"):
                entry.seek(-1)
        assert entry.closed
        with open_stored(zf, path, "extra.bin") as entry:
            assert entry.read() == payload[:1000] == zf.read("extra.bin")
        assert open_stored(zf, path, "deflated.bin") is None


def test_keras_file_with_compressed_weights_still_loads(tmp_path):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    path, recompressed = str(tmp_path / "m.keras"), str(tmp_path / "deflated.keras")
    model.save(path)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(recompressed, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename),
                         compress_type=zipfile.ZIP_DEFLATED)
    assert os.path.getsize(recompressed) != os.path.getsize(path)
    for p in (path, recompressed):
        loaded = keras.models.load_model(p)
        for w, w_ref in zip(loaded.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(w, w_ref)
