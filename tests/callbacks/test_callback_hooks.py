"""The `Callback` base class and `CallbackList`: every Keras hook, called in Keras's order."""

import pytest

import kerasx as keras
from tests.trainers.helpers import Recorder, classifier, make_data

HOOKS = ["on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end", "on_predict_batch_begin",
         "on_predict_batch_end", "on_predict_begin", "on_predict_end", "on_test_batch_begin",
         "on_test_batch_end", "on_test_begin", "on_test_end", "on_train_batch_begin",
         "on_train_batch_end", "on_train_begin", "on_train_end"]


def test_callback_has_every_keras_hook_and_they_do_nothing():
    cb = keras.callbacks.Callback()
    assert sorted(n for n in dir(cb) if n.startswith("on_")) == HOOKS
    assert cb.model is None and cb.params is None
    for name in HOOKS:
        args = (0,) if "batch" in name or "epoch" in name else ()
        assert getattr(cb, name)(*args, logs={}) is None


def test_fit_calls_the_hooks_in_order():
    x, y = make_data(n=20)
    rec = Recorder()
    classifier().fit(x, y, batch_size=10, epochs=2, validation_data=(x[:10], y[:10]), verbose=0,
                     callbacks=[rec])
    epoch = ["on_epoch_begin",
             "on_train_batch_begin", "on_train_batch_end", "on_train_batch_begin", "on_train_batch_end",
             "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
             "on_epoch_end"]
    assert rec.names() == ["on_train_begin"] + epoch * 2 + ["on_train_end"]
    batch_logs = rec.logs_of("on_train_batch_end")[0]
    assert sorted(batch_logs) == ["accuracy", "loss"]
    epoch_logs = rec.logs_of("on_epoch_end")[0]
    assert sorted(epoch_logs) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert rec.logs_of("on_train_end")[0] == rec.logs_of("on_epoch_end")[1]
    assert rec.logs_of("on_test_end")[0]["loss"] == epoch_logs["val_loss"]


def test_evaluate_and_predict_call_their_hooks():
    x, y = make_data(n=20)
    model = classifier()
    rec = Recorder()
    model.evaluate(x, y, batch_size=20, verbose=0, callbacks=[rec])
    model.predict(x, batch_size=20, verbose=0, callbacks=[rec])
    assert rec.names() == ["on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
                           "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                           "on_predict_end"]


def test_on_batch_aliases_receive_training_batches():
    seen = []

    class Legacy(keras.callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, round(logs["loss"], 6) > 0))

    x, y = make_data(n=20)
    classifier().fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[Legacy()])
    assert seen == [("begin", 0), ("end", 0, True), ("begin", 1), ("end", 1, True)]


def test_callback_list_adds_history_and_progbar_after_user_callbacks():
    rec = Recorder()
    cbs = keras.callbacks.CallbackList([rec], add_history=True, add_progbar=True, verbose=0,
                                       epochs=3, steps=5)
    kinds = [type(c).__name__ for c in cbs.callbacks]
    assert kinds == ["Recorder", "History", "ProgbarLogger"]
    assert rec.params == {"verbose": 0, "epochs": 3, "steps": 5}
    model = classifier()
    cbs.set_model(model)
    assert all(c.model is model for c in cbs.callbacks)
    extra = Recorder()
    cbs.append(extra)
    assert extra.model is model and extra.params == rec.params
    cbs.on_epoch_begin(0)
    assert extra.calls == [("on_epoch_begin", 0, {})]
    assert cbs.needs("on_train_batch_end") and not keras.callbacks.CallbackList([]).needs(
        "on_train_batch_end")


def test_a_user_history_is_reused_and_returned():
    x, y = make_data(n=20)
    history = keras.callbacks.History()
    model = classifier()
    returned = model.fit(x, y, epochs=2, verbose=0, callbacks=[history])
    assert returned is history and model.history is history
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


def test_a_callback_list_can_be_passed_directly():
    x, y = make_data(n=20)
    rec = Recorder()
    cbs = keras.callbacks.CallbackList([rec], add_history=True)
    history = classifier().fit(x, y, epochs=1, verbose=0, callbacks=cbs)
    assert history is cbs.history and "on_train_end" in rec.names()


def test_hooks_that_raise_propagate_out_of_fit():
    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom at the end of the epoch")

    x, y = make_data(n=20)
    with pytest.raises(RuntimeError, match="boom"):
        classifier().fit(x, y, epochs=2, verbose=0, callbacks=[Boom()])
