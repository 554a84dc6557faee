"""`kerasx.utils.atomic_write`: the destination holds the old file or the new one, never a part."""

import os

import pytest

from kerasx.utils.atomic import atomic_write, atomic_write_bytes


def test_writes_through_a_temporary_file_in_the_same_directory(tmp_path):
    target = tmp_path / "model.weights.h5"
    seen = []

    def writer(path):
        seen.append(path)
        assert not target.exists()  # nothing visible until complete
        with open(path, "wb") as f:
            f.write(b"payload")

    assert atomic_write(target, writer) == str(target)
    assert target.read_bytes() == b"payload"
    assert os.path.dirname(seen[0]) == str(tmp_path)
    assert seen[0].endswith("model.weights.h5") and os.path.basename(seen[0]).startswith(".tmp-")
    assert os.listdir(tmp_path) == ["model.weights.h5"]


def test_a_failing_writer_keeps_the_old_file_and_cleans_up(tmp_path):
    target = tmp_path / "state.bin"
    atomic_write_bytes(target, b"old")

    def failing(path):
        with open(path, "wb") as f:
            f.write(b"ne")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write(target, failing)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["state.bin"]


def test_a_writer_that_writes_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"writer did not create the file it was given"):
        atomic_write(tmp_path / "x.bin", lambda path: None)
    assert os.listdir(tmp_path) == []


def test_creates_missing_directories_and_refuses_a_directory_target(tmp_path):
    atomic_write_bytes(tmp_path / "a" / "b" / "c.bin", b"1")
    assert (tmp_path / "a" / "b" / "c.bin").read_bytes() == b"1"
    with pytest.raises(IsADirectoryError, match=r"is an existing directory"):
        atomic_write_bytes(tmp_path / "a", b"2")
