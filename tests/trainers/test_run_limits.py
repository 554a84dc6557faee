"""`kerasx.config.set_max_epochs` / `set_max_steps_per_epoch` (and their environment
variables) cap runs; interactive logging off sends progress and messages to `logging`."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasx as keras

X = np.random.default_rng(0).standard_normal((80, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


@pytest.fixture(autouse=True)
def _no_limits():
    yield
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)
    keras.config.enable_interactive_logging()


class _BatchSizes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


def _model(seen=None):
    def record(x):
        if seen is not None:
            seen.append(int(x.shape[0]))
        return x

    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(record),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)  # counts calls
    return model


def test_max_epochs_caps_fit_with_a_warning():
    keras.config.set_max_epochs(2)
    assert keras.config.max_epochs() == 2
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = _model().fit(X, Y, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 2
    assert len(_model().fit(X, Y, epochs=1, verbose=0).history["loss"]) == 1


def test_max_steps_caps_every_epoch_and_keeps_the_batch_size():
    keras.config.set_max_steps_per_epoch(3)
    seen, counter = [], _BatchSizes()
    model = _model(seen)
    with pytest.warns(UserWarning, match="Limiting steps per epoch to 3"):
        model.fit(X, Y, batch_size=8, epochs=2, callbacks=[counter], verbose=0)
    assert counter.per_epoch == [3, 3]
    assert [size for size in seen if size > 2] == [8] * 6  # 1 and 2: the shape probes
    with pytest.warns(UserWarning, match="Limiting steps"):
        assert model.predict(X, batch_size=16, verbose=0).shape == (48, 1)
    with pytest.warns(UserWarning, match="Limiting steps"):
        model.evaluate(X, Y, batch_size=8, verbose=0)
    keras.config.set_max_steps_per_epoch(100)  # above the 10 batches: no cap, no warning
    counter = _BatchSizes()
    model.fit(X, Y, batch_size=8, epochs=1, callbacks=[counter], verbose=0)
    assert counter.per_epoch == [10]


def test_max_steps_caps_a_py_dataset():
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return X[8 * i:8 * i + 8], Y[8 * i:8 * i + 8]

    keras.config.set_max_steps_per_epoch(4)
    counter = _BatchSizes()
    with pytest.warns(UserWarning, match="Limiting steps"):
        _model().fit(Batches(), epochs=1, callbacks=[counter], verbose=0)
    assert counter.per_epoch == [4]


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_bad_limits_are_refused(value):
    with pytest.raises(ValueError, match="positive integer or None"):
        keras.config.set_max_epochs(value)
    with pytest.raises(ValueError, match="positive integer or None"):
        keras.config.set_max_steps_per_epoch(value)


def test_the_environment_sets_the_limits():
    code = ("import kerasx, numpy as np\n"
            "print(kerasx.config.max_epochs(), kerasx.config.max_steps_per_epoch())\n")
    env = {**os.environ, "KERASX_MAX_EPOCHS": "1", "KERASX_MAX_STEPS_PER_EPOCH": "7"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["1", "7"]
    env["KERASX_MAX_EPOCHS"] = "many"
    failed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True)
    assert failed.returncode != 0 and "KERASX_MAX_EPOCHS must be a positive integer" in \
        failed.stderr


def test_without_interactive_logging_progress_and_messages_go_to_the_logger(capsys, caplog):
    keras.config.disable_interactive_logging()
    assert not keras.utils.is_interactive_logging_enabled()
    model = _model()
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9, verbose=1)
    with caplog.at_level(logging.INFO, logger="kerasx"):
        model.fit(X, Y, epochs=3, batch_size=40, callbacks=[stop], verbose=1)
        model.summary()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "kerasx"]
    assert messages[0] == "Epoch 1/3" and messages[1].startswith("2/2 ")
    assert "Epoch 2: early stopping" in messages
    assert any("Trainable params: 4" in m for m in messages)
    assert not any("\r" in m or "\x1b" in m for m in messages)
    keras.config.enable_interactive_logging()
    caplog.clear()
    model.fit(X, Y, epochs=2, batch_size=40, verbose=2)
    assert "Epoch 2/2" in capsys.readouterr().out and not caplog.records
