"""`EarlyStopping`: patience, min_delta, mode, baseline, restore_best_weights, start_from_epoch."""

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


def _drive(callback, values, key="val_loss", model=None):
    """Feeds `values` as successive epoch logs; returns the epochs run before stopping."""
    model = model or classifier()
    callback.set_model(model)
    callback.on_train_begin()
    model.stop_training = False
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            return epoch + 1
    return len(values)


def test_patience_counts_epochs_without_improvement():
    assert _drive(keras.callbacks.EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.96, 0.5]) == 4
    assert _drive(keras.callbacks.EarlyStopping(patience=0), [1.0, 1.1]) == 2
    assert _drive(keras.callbacks.EarlyStopping(patience=3), [1.0, 0.9, 0.8, 0.7]) == 4


def test_min_delta_ignores_small_improvements():
    values = [1.0, 0.99, 0.98, 0.97]
    assert _drive(keras.callbacks.EarlyStopping(patience=1, min_delta=0.05), values) == 2
    assert _drive(keras.callbacks.EarlyStopping(patience=1, min_delta=0.001), values) == 4


def test_mode_auto_min_and_max():
    rising = [0.5, 0.6, 0.7, 0.8]
    assert _drive(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1), rising,
                  key="val_accuracy") == 4
    assert _drive(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1, mode="min"),
                  rising, key="val_accuracy") == 2
    assert _drive(keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, mode="max"),
                  rising) == 4
    with pytest.raises(ValueError, match=r"monitor='val_thing'.*mode='min' to keep the lowest\.$"):
        _drive(keras.callbacks.EarlyStopping(monitor="val_thing"), [1.0], key="val_thing")


@pytest.mark.parametrize("monitor, suggestion", [
    ("val_los", "val_loss"), ("val_acuracy", "val_accuracy"), ("acuracy", "accuracy")])
def test_a_misspelt_monitor_gets_the_closest_log_key(monitor, suggestion):
    model = classifier()  # compiled with the "accuracy" metric
    model.fit(*make_data(8), verbose=0)  # builds the metrics
    with pytest.raises(ValueError, match=rf"monitor='{monitor}'.*mode='min'.*Did you mean "
                                         rf"'{suggestion}'\?"):
        _drive(keras.callbacks.EarlyStopping(monitor=monitor), [1.0], key=monitor, model=model)


def test_baseline_must_be_beaten():
    # improvements that do not beat the baseline do not reset the patience counter
    values = [0.9, 0.8, 0.85, 0.84, 0.83]
    assert _drive(keras.callbacks.EarlyStopping(patience=2, baseline=0.5), values) == 3
    assert _drive(keras.callbacks.EarlyStopping(patience=2), values) == 4
    # once the baseline is beaten, patience counts from there
    values = [0.9, 0.4, 0.45, 0.44, 0.43]
    assert _drive(keras.callbacks.EarlyStopping(patience=2, baseline=0.5), values) == 4


def test_start_from_epoch_delays_monitoring():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert _drive(keras.callbacks.EarlyStopping(patience=0), values) == 2
    assert _drive(keras.callbacks.EarlyStopping(patience=0, start_from_epoch=3), values) == 5


def test_missing_monitor_warns_and_continues():
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available. Available metrics are: loss"):
        assert _drive(keras.callbacks.EarlyStopping(), [1.0, 2.0, 3.0], key="loss") == 3


def test_restore_best_weights_in_fit(capsys):
    x, y = make_data(n=32)
    model = classifier(lr=0.5)
    snapshots = []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.model.get_weights())

    # a fake metric that is best at epoch index 1
    class FakeMetric(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_score"] = [0.5, 0.1, 0.3, 0.4, 0.6][epoch]

    stopper = keras.callbacks.EarlyStopping(monitor="val_score", mode="min", patience=2,
                                            restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[FakeMetric(), Snapshot(), stopper])
    assert len(history.history["loss"]) == 4
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for a, b in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


def test_stops_a_real_training_run():
    x, y = make_data(n=32)
    model = classifier(lr=0.0)  # nothing improves
    history = model.fit(x, y, epochs=10, verbose=0, validation_data=(x, y),
                        callbacks=[keras.callbacks.EarlyStopping(patience=2)])
    assert len(history.history["val_loss"]) == 3
