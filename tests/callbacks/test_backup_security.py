"""`BackupAndRestore` reads its backup without pickle: a tampered backup fails with a
clear error and never runs code; the JSON + `.npz` pair is replaced atomically."""

import hashlib
import json
import os
import pickle

import numpy as np
import pytest

import kerasx as keras
from kerasx.callbacks import backup_and_restore
from tests.trainers.helpers import make_data


class Payload:
    """Unpickling this creates a directory: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


class Interrupt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated crash")


def _interrupted_backup(tmp_path, epoch=2):
    """A backup directory left by a run stopped at the start of `epoch`."""
    x, y = make_data(n=32)
    backup_dir = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, batch_size=8, epochs=4, verbose=0,
                     callbacks=[keras.callbacks.BackupAndRestore(str(backup_dir)),
                                Interrupt(epoch)])
    state = json.loads((backup_dir / "training_state.json").read_text())
    return backup_dir, state, (x, y)


def _resume(backup_dir, data):
    x, y = data
    return _model().fit(x, y, batch_size=8, epochs=4, verbose=0,
                        callbacks=[keras.callbacks.BackupAndRestore(str(backup_dir))])


def _point_state_at(backup_dir, state, archive_bytes):
    """Replaces the archive and updates the JSON to match it (an attacker who can
    write the whole directory)."""
    (backup_dir / state["arrays"]).write_bytes(archive_bytes)
    state["arrays_sha256"] = hashlib.sha256(archive_bytes).hexdigest()
    (backup_dir / "training_state.json").write_text(json.dumps(state))


def test_the_backup_is_json_and_a_plain_npz(tmp_path):
    backup_dir, state, _ = _interrupted_backup(tmp_path)
    assert state["epoch"] == 2 and state["optimizer"]["iterations"] == 8
    assert state["optimizer"]["learning_rate"] == pytest.approx(0.01)
    assert state["rng"]["bit_generator"]["bit_generator"] == "PCG64"
    with np.load(backup_dir / state["arrays"], allow_pickle=False) as data:
        assert sorted(data.files) == ["optimizer_0", "optimizer_1", "optimizer_2",
                                      "optimizer_3", "optimizer_4", "optimizer_5",
                                      "weight_0", "weight_1"]
        assert all(data[k].dtype != object for k in data.files)
    assert sorted(os.listdir(backup_dir)) == sorted([state["arrays"], "training_state.json"])


def test_a_pickle_in_place_of_the_archive_is_not_loaded(tmp_path):
    backup_dir, state, data = _interrupted_backup(tmp_path)
    marker = tmp_path / "pwned"
    _point_state_at(backup_dir, state, pickle.dumps(Payload(marker)))
    with pytest.raises(ValueError, match=r"not a readable \.npz archive of numeric .*pickled"):
        _resume(backup_dir, data)
    assert not marker.exists()


def test_an_object_array_in_the_archive_is_not_unpickled(tmp_path):
    backup_dir, state, data = _interrupted_backup(tmp_path)
    marker = tmp_path / "pwned"
    np.savez(tmp_path / "evil.npz", weight_0=np.array([Payload(marker)], dtype=object))
    _point_state_at(backup_dir, state, (tmp_path / "evil.npz").read_bytes())
    with pytest.raises(ValueError, match="Object arrays cannot be loaded when allow_pickle=False"):
        _resume(backup_dir, data)
    assert not marker.exists()


def test_a_pickle_in_place_of_the_json_is_not_loaded(tmp_path):
    backup_dir, _, data = _interrupted_backup(tmp_path)
    marker = tmp_path / "pwned"
    (backup_dir / "training_state.json").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(ValueError, match=r"cannot be read: training_state\.json is not JSON"):
        _resume(backup_dir, data)
    assert not marker.exists()


def test_an_old_pickle_backup_is_refused_not_loaded(tmp_path):
    x, y = make_data(n=32)
    backup_dir = tmp_path / "b"
    backup_dir.mkdir()
    marker = tmp_path / "pwned"
    (backup_dir / "training_state.pkl").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(ValueError, match=r"old pickle format.*can run arbitrary code\. Delete it"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[keras.callbacks.BackupAndRestore(str(backup_dir))])
    assert not marker.exists()


def test_a_modified_archive_is_refused(tmp_path):
    backup_dir, state, data = _interrupted_backup(tmp_path)
    archive = backup_dir / state["arrays"]
    with np.load(archive) as arrays:
        values = {k: arrays[k] for k in arrays.files}
    values["weight_0"] = values["weight_0"] + 1.0
    np.savez(archive, **values)
    with pytest.raises(ValueError, match="does not match the SHA-256 recorded"):
        _resume(backup_dir, data)


@pytest.mark.parametrize("name", ["../outside.npz", "/etc/passwd", "weights.npz", 3])
def test_the_archive_name_must_be_one_the_callback_writes(tmp_path, name):
    backup_dir, state, data = _interrupted_backup(tmp_path)
    state["arrays"] = name
    (backup_dir / "training_state.json").write_text(json.dumps(state))
    with pytest.raises(ValueError, match=r"names the archive .*expected a name like"):
        _resume(backup_dir, data)


def test_a_crash_between_the_two_writes_keeps_the_previous_backup(tmp_path, monkeypatch):
    """The archive of epoch 2 is written, the process dies before the JSON: the
    backup of epoch 1 is still complete and training resumes from it."""
    x, y = make_data(n=32)
    backup_dir = tmp_path / "b"
    writes = []

    def dying_write(path, data):
        writes.append(path)
        if len(writes) == 2:
            raise KeyboardInterrupt("killed while writing the JSON")
        return real_write(path, data)

    real_write = backup_and_restore.atomic_write_bytes
    monkeypatch.setattr(backup_and_restore, "atomic_write_bytes", dying_write)
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, batch_size=8, epochs=4, verbose=0,
                     callbacks=[keras.callbacks.BackupAndRestore(str(backup_dir))])
    monkeypatch.setattr(backup_and_restore, "atomic_write_bytes", real_write)
    assert len([f for f in os.listdir(backup_dir) if f.endswith(".npz")]) == 2
    assert json.loads((backup_dir / "training_state.json").read_text())["epoch"] == 1
    resumed = _model()
    history = resumed.fit(x, y, batch_size=8, epochs=4, verbose=0,
                          callbacks=[keras.callbacks.BackupAndRestore(str(backup_dir))])
    assert history.epoch == [1, 2, 3]
    assert not backup_dir.exists()  # both archives removed once training completed
    reference = _model()
    reference.fit(x, y, batch_size=8, epochs=4, verbose=0)
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_archive_helpers_refuse_object_arrays():
    from kerasx.backends.host import save_arrays

    with pytest.raises(TypeError, match="array 'a' has dtype object.*Pass numeric"):
        save_arrays(os.devnull, {"a": np.array([{}], dtype=object)})


def test_random_state_survives_a_json_round_trip():
    from kerasx.backends import random as kx_random

    keras.utils.set_random_seed(5)
    state = json.loads(json.dumps(kx_random.get_state()))
    first = kx_random.global_generator().random(4)
    kx_random.set_state(state)
    np.testing.assert_array_equal(kx_random.global_generator().random(4), first)
    with pytest.raises(ValueError, match=r"unknown bit generator 'seed', expected one of"):
        kx_random.set_state({"bit_generator": {"bit_generator": "seed"}})
