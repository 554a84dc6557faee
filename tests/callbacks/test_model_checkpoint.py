"""`ModelCheckpoint`: file names from logs, best-only, weights-only, save_freq, atomic writes."""

import os
import subprocess
import sys

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class StandIn:
    """Replaces model.save / save_weights with a writer that records what it wrote."""

    def __init__(self, model):
        self.writes = []
        model.save = self.save
        model.save_weights = self.save_weights
        self.model = model

    def _write(self, kind, path):
        with open(path, "w") as f:
            f.write(f"{kind} after {int(self.model.optimizer.iterations)} steps")
        self.writes.append((kind, os.path.basename(path)))

    def save(self, path, overwrite=True):
        self._write("model", path)

    def save_weights(self, path, overwrite=True):
        self._write("weights", path)


def _fit(callback, epochs=3, validation=True, batch_size=8, **kwargs):
    x, y = make_data(n=32)
    model = classifier()
    stand_in = StandIn(model)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[callback],
              validation_data=(x, y) if validation else None, **kwargs)
    return stand_in


def test_filepath_is_formatted_with_epoch_and_logs(tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    stand_in = _fit(keras.callbacks.ModelCheckpoint(pattern))
    names = sorted(os.listdir(tmp_path))
    assert [n[:8] for n in names] == ["ckpt-01-", "ckpt-02-", "ckpt-03-"]
    assert all(n.endswith(".keras") and len(n.split("-")[2]) == len("0.00.keras") for n in names)
    assert [kind for kind, _ in stand_in.writes] == ["model"] * 3


def test_save_weights_only_uses_save_weights(tmp_path):
    path = str(tmp_path / "w-{epoch}.weights.h5")
    stand_in = _fit(keras.callbacks.ModelCheckpoint(path, save_weights_only=True), epochs=2)
    assert sorted(os.listdir(tmp_path)) == ["w-1.weights.h5", "w-2.weights.h5"]
    assert {kind for kind, _ in stand_in.writes} == {"weights"}


def test_save_best_only_keeps_the_best_epoch(tmp_path, capsys):
    path = str(tmp_path / "best.keras")

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_score"] = [0.3, 0.1, 0.2, 0.05][epoch]

    x, y = make_data(n=32)
    model = classifier()
    stand_in = StandIn(model)
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="val_score", mode="min",
                                                 save_best_only=True, verbose=1)
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[Score(), checkpoint])
    assert len(stand_in.writes) == 3  # epochs 1, 2 and 4 improved
    assert open(path).read() == "model after 16 steps"
    out = capsys.readouterr().out
    assert "Epoch 1: val_score improved from None to 0.30000, saving model to" in out
    assert "Epoch 3: val_score did not improve from 0.10000" in out


def test_initial_value_threshold_and_max_mode(tmp_path):
    path = str(tmp_path / "best.keras")

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_auc"] = [0.6, 0.8, 0.7][epoch]

    x, y = make_data(n=32)
    model = classifier()
    stand_in = StandIn(model)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[Score(), keras.callbacks.ModelCheckpoint(
        path, monitor="val_auc", save_best_only=True, initial_value_threshold=0.7)])
    assert len(stand_in.writes) == 1  # only 0.8 beats the threshold (auto mode: auc goes up)


def test_integer_save_freq_saves_every_n_batches(tmp_path):
    path = str(tmp_path / "e{epoch}-b{batch}.keras")
    _fit(keras.callbacks.ModelCheckpoint(path, save_freq=3), epochs=2, validation=False)
    # 4 batches per epoch; every 3 batches counted across epochs: batch 3 of epoch 1, batch 2 of epoch 2
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.keras", "e2-b2.keras"]


def test_checkpoints_with_real_saving_load_back(tmp_path):
    x, y = make_data(n=32)
    model = classifier()
    path = str(tmp_path / "last.weights.h5")
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(path, save_weights_only=True)])
    restored = classifier()
    restored.load_weights(path)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["last.weights.h5"]  # no temporary file left behind


def test_a_failing_save_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "model.keras"
    x, y = make_data(n=32)
    model = classifier()
    calls = []

    def flaky_save(target, overwrite=True):
        calls.append(target)
        with open(target, "w") as f:
            f.write("half")
            if len(calls) == 2:
                raise OSError("disk full")
        with open(target, "w") as f:
            f.write(f"complete {len(calls)}")

    model.save = flaky_save
    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(str(path))])
    assert path.read_text() == "complete 1"
    assert os.listdir(tmp_path) == ["model.keras"]
    assert all(os.path.dirname(c) == str(tmp_path) and c.endswith("model.keras") for c in calls)


def test_a_killed_save_never_leaves_a_half_written_checkpoint(tmp_path):
    """SIGKILL in the middle of writing: the checkpoint is the old one, complete."""
    marker = tmp_path / "writing"
    script = tmp_path / "slow_save.py"
    script.write_text(
        "import os, sys, time, numpy as np, kerasx as keras\n"
        "from tests.trainers.helpers import classifier, make_data\n"
        f"marker, path = {str(marker)!r}, {str(tmp_path / 'model.keras')!r}\n"
        "x, y = make_data(n=32)\n"
        "model = classifier()\n"
        "count = [0]\n"
        "def save(target, overwrite=True):\n"
        "    count[0] += 1\n"
        "    with open(target, 'w') as f:\n"
        "        f.write('start %d ' % count[0]); f.flush()\n"
        "        if count[0] == 2:\n"
        "            open(marker, 'w').close()\n"
        "            time.sleep(120)\n"
        "        f.write('end %d' % count[0])\n"
        "model.save = save\n"
        "model.fit(x, y, epochs=3, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(path)])\n")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, str(script)], env=env, cwd=ROOT)
    try:
        import time

        deadline = time.time() + 120
        while not marker.exists():
            assert process.poll() is None, "the training script ended before the second save"
            assert time.time() < deadline
            time.sleep(0.05)
        process.kill()  # SIGKILL
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert (tmp_path / "model.keras").read_text() == "start 1 end 1"
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
    assert len(leftovers) == 1 and leftovers[0].endswith("model.keras")  # the unfinished temp file


def test_wrong_extension_and_save_freq_are_rejected():
    with pytest.raises(ValueError, match=r"must end in `.weights.h5`.*Received: filepath='w.h5'"):
        keras.callbacks.ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `.keras`.*Received: filepath='model.ckpt'"):
        keras.callbacks.ModelCheckpoint("model.ckpt")
    with pytest.raises(ValueError, match=r"`.keras`.*or `.h5`.*filepath='best_model.hdf5'"):
        keras.callbacks.ModelCheckpoint("best_model.hdf5", save_best_only=True)  # as Keras
    with pytest.raises(ValueError, match=r"Unrecognized save_freq: 'batch'"):
        keras.callbacks.ModelCheckpoint("m.keras", save_freq="batch")


def test_unknown_key_in_the_filepath_names_the_available_ones(tmp_path):
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match=r"'val_acc'.*available: \['accuracy', 'loss'\]"):
        _fit(checkpoint, validation=False)


def test_a_legacy_h5_path_saves_the_best_model_in_that_format(tmp_path):
    path = tmp_path / "best_model.h5"
    x, y = make_data(n=32)
    model = classifier()
    with pytest.warns(UserWarning, match="considered legacy"):
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x, y),
                            callbacks=[keras.callbacks.ModelCheckpoint(str(path),
                                                                       save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["best_model.h5"]
    best = min(range(3), key=history.history["val_loss"].__getitem__)
    loaded = keras.saving.load_model(path)
    assert int(loaded.optimizer.iterations) == 4 * (best + 1)
    loss, _ = loaded.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(history.history["val_loss"][best], rel=1e-5)
