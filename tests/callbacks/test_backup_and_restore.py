"""`BackupAndRestore`: an interrupted `fit` resumes and ends exactly where an uninterrupted one does."""

import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import make_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A training run with every source of state: momentum (optimizer slots), dropout and
# shuffling (the random generator), 5 epochs. KILL_AT=<epoch> makes it wait in that epoch.
SCRIPT = """
import json, os, sys, time
import numpy as np
import kerasx as keras

backup_dir, out_path = sys.argv[1], sys.argv[2]
kill_at = int(os.environ.get("KILL_AT", "-1"))
keras.utils.set_random_seed(42)
rng = np.random.default_rng(0)
x = rng.normal(size=(96, 6)).astype("float32")
y = (np.abs(x[:, 0] * 2).astype("int64") % 3)
model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.3), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
epochs_run = []

class Progress(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        epochs_run.append(epoch)
        with open(out_path + ".epochs", "a") as f:
            f.write(f"{epoch}\\n")

    def on_train_batch_end(self, batch, logs=None):
        if epochs_run[-1] == kill_at and batch == 1:
            open(out_path + ".waiting", "w").close()
            time.sleep(300)  # killed here, in the middle of the epoch

model.fit(x, y, batch_size=16, epochs=5, verbose=0, shuffle=True,
          callbacks=[keras.callbacks.BackupAndRestore(backup_dir), Progress()])
np.savez(out_path, *model.get_weights())
with open(out_path + ".json", "w") as f:
    json.dump({"epochs": epochs_run, "iterations": int(model.optimizer.iterations)}, f)
"""


def _env():
    return {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _weights(path):
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def test_sigkill_during_epoch_3_then_resume_matches_an_uninterrupted_run(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    run = [sys.executable, str(script)]
    reference = tmp_path / "reference.npz"
    subprocess.run(run + [str(tmp_path / "ref_backup"), str(reference)], env=_env(), check=True,
                   timeout=300)

    backup, result = tmp_path / "backup", tmp_path / "resumed.npz"
    waiting = tmp_path / "resumed.npz.waiting"
    process = subprocess.Popen(run + [str(backup), str(result)], env={**_env(), "KILL_AT": "2"})
    try:
        deadline = time.time() + 300
        while not waiting.exists():
            assert process.poll() is None, "training ended before reaching epoch 3"
            assert time.time() < deadline, "training did not reach epoch 3 in time"
            time.sleep(0.05)
        process.kill()  # SIGKILL in the middle of epoch 3
        assert process.wait(timeout=60) == -9
    finally:
        if process.poll() is None:
            process.kill()
    assert not result.exists()
    files = sorted(os.listdir(backup))
    assert len(files) == 2 and files[1] == "training_state.json"
    assert re.fullmatch(r"training_state-[0-9a-f]{12}\.npz", files[0])

    subprocess.run(run + [str(backup), str(result)], env=_env(), check=True, timeout=300)
    started = [int(e) for e in (tmp_path / "resumed.npz.epochs").read_text().split()]
    assert started == [0, 1, 2, 2, 3, 4]  # only the interrupted epoch runs twice
    resumed_info = json.loads((tmp_path / "resumed.npz.json").read_text())
    reference_info = json.loads((tmp_path / "reference.npz.json").read_text())
    assert resumed_info["epochs"] == [2, 3, 4]
    assert resumed_info["iterations"] == reference_info["iterations"] == 30
    for a, b in zip(_weights(result), _weights(reference)):
        np.testing.assert_array_equal(a, b)
    assert not backup.exists()  # deleted once training completed


def _model(seed=3):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.25), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
    return model


class Interrupt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated crash")


def test_resume_in_process_restores_weights_optimizer_epoch_and_random_state(tmp_path):
    x, y = make_data(n=48)
    reference = _model()
    reference.fit(x, y, batch_size=8, epochs=4, verbose=0)

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"))
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup, Interrupt(2)])
    resumed = _model()  # a fresh process would rebuild the model like this
    keras.utils.set_random_seed(999)  # the backup, not this seed, decides what comes next
    history = resumed.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup])
    assert history.epoch == [2, 3]
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations) == 24
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(resumed.optimizer.variables, reference.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_integer_save_freq_resumes_the_interrupted_epoch_from_its_start(tmp_path):
    x, y = make_data(n=48)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"), save_freq=4, delete_checkpoint=False)

    class CrashMidEpoch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == 10:
                self.snapshot = self.model.get_weights()
                raise KeyboardInterrupt

    crash = CrashMidEpoch()
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[backup, crash])
    # backups after 4 and 8 steps; the crash at step 10 is in epoch 2 (6 steps per epoch)
    resumed = _model()
    history = resumed.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[backup])
    assert history.epoch == [1, 2]
    assert int(resumed.optimizer.iterations) == 8 + 12
    assert os.path.exists(tmp_path / "b" / "training_state.json")  # delete_checkpoint=False


def test_learning_rate_changes_are_restored(tmp_path):
    x, y = make_data(n=48)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"))
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[halve, backup, Interrupt(2)])
    resumed = _model()
    resumed.fit(x, y, epochs=2, verbose=0, callbacks=[backup])  # nothing left to run
    assert float(resumed.optimizer.learning_rate) == pytest.approx(0.025)


def test_a_backup_of_another_model_is_refused(tmp_path):
    x, y = make_data(n=48)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"))
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, epochs=2, verbose=0, callbacks=[backup, Interrupt(1)])
    other = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    other.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"written for a different model: it holds 4 weights.*has 2"):
        other.fit(x, y, epochs=2, verbose=0, callbacks=[backup])


@pytest.mark.parametrize("damage", ["state", "archive"])
def test_double_checkpoint_resumes_from_the_previous_backup_when_the_latest_is_damaged(
        tmp_path, damage):
    x, y = make_data(n=48)
    reference = _model()
    reference.fit(x, y, batch_size=8, epochs=4, verbose=0)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"), double_checkpoint=True)
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup, Interrupt(3)])
    folder = tmp_path / "b"
    latest = json.loads((folder / "training_state.json").read_text())
    previous = json.loads((folder / "training_state.json.bkp").read_text())
    assert (latest["epoch"], previous["epoch"]) == (3, 2)
    assert sorted(os.listdir(folder)) == sorted(
        ["training_state.json", "training_state.json.bkp", latest["arrays"], previous["arrays"]])
    if damage == "state":
        (folder / "training_state.json").write_bytes(b"{\"format\": trunc")
    else:
        with open(folder / latest["arrays"], "r+b") as f:
            f.seek(100)
            f.write(b"\0" * 16)
    resumed = _model()
    history = resumed.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup])
    assert history.epoch == [2, 3]  # from the previous backup, one epoch further back
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not os.path.exists(folder)  # deleted once training completed


def test_without_double_checkpoint_a_damaged_backup_is_reported(tmp_path):
    x, y = make_data(n=48)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"))
    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup, Interrupt(2)])
    assert not os.path.exists(tmp_path / "b" / "training_state.json.bkp")
    (tmp_path / "b" / "training_state.json").write_bytes(b"{")
    with pytest.raises(ValueError, match="cannot be read: training_state.json is not JSON"):
        _model().fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup])


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"Empty `backup_dir` argument passed.*received ''"):
        keras.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match=r"received save_freq='batch'.*'epoch' or a positive integer"):
        keras.callbacks.BackupAndRestore("/tmp/x", save_freq="batch")
