"""`LambdaCallback`: hooks from plain functions."""

import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


def test_functions_are_called_as_hooks():
    x, y = make_data(n=32)
    events = []
    cb = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch", batch, "loss" in logs)),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_begin=lambda logs: events.append("test_begin"))
    classifier().fit(x, y, batch_size=16, epochs=1, validation_data=(x, y), verbose=0, callbacks=[cb])
    assert events == ["train_begin", ("epoch_begin", 0), ("batch", 0, True), ("batch", 1, True),
                      "test_begin", ("epoch_end", 0, ["accuracy", "loss", "val_accuracy", "val_loss"]),
                      "train_end"]


def test_unknown_hook_names_are_rejected():
    with pytest.raises(ValueError, match=r"on_epoch_finish=\.\.\., which is not a callback hook"):
        keras.callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match=r"on_epoch_end must be a function, received 3"):
        keras.callbacks.LambdaCallback(on_epoch_end=3)
