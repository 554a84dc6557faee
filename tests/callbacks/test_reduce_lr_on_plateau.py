"""`ReduceLROnPlateau`: factor, patience, min_delta, cooldown, min_lr, learning_rate in logs."""

import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


def _drive(callback, values, lr=1.0):
    model = classifier(lr=lr)
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        callback.on_epoch_end(epoch, logs)
        rates.append(float(model.optimizer.learning_rate))
        assert logs["learning_rate"] == pytest.approx(rates[-1] if epoch == 0 else rates[-2])
    return rates


def test_reduces_after_patience_epochs_without_improvement():
    rates = _drive(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2),
                   [1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    assert rates == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.5, 0.25])


def test_min_delta_cooldown_and_min_lr():
    rates = _drive(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1),
                   [1.0, 0.95, 0.92])
    assert rates == pytest.approx([1.0, 0.5, 0.25])  # 5% improvements are below min_delta
    rates = _drive(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2),
                   [1.0] * 6)
    # the cooldown counter runs down at the start of each epoch, as in Keras
    assert rates == pytest.approx([1.0, 0.5, 0.5, 0.25, 0.25, 0.125])
    rates = _drive(keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05),
                   [1.0] * 4)
    assert rates == pytest.approx([1.0, 0.1, 0.05, 0.05])


def test_in_fit_the_learning_rate_is_recorded_in_history(capsys):
    x, y = make_data(n=32)
    model = classifier(lr=0.2)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0,
                                          verbose=1)])
    # logged at the end of each epoch, before that epoch's reduction (as Keras does)
    assert history.history["learning_rate"] == pytest.approx([0.2, 0.2, 0.1])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    assert "ReduceLROnPlateau reducing learning rate to 0.1" in capsys.readouterr().out


def test_factor_of_one_or_more_is_rejected():
    with pytest.raises(ValueError, match=r"does not support a factor >= 1.0, received factor=1.5"):
        keras.callbacks.ReduceLROnPlateau(factor=1.5)


def test_no_reduction_once_the_float32_rate_is_at_min_lr(capsys):
    # 0.05 in float32 reads back as 0.05000000074505806; Keras compares with float32(min_lr)
    callback = keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=1, cooldown=1, min_lr=0.05,
                                                 verbose=1)
    rates = _drive(callback, [1.0] * 6)
    assert rates == pytest.approx([1.0, 0.1, 0.05, 0.05, 0.05, 0.05])
    assert capsys.readouterr().out.count("reducing learning rate") == 2
    assert callback.cooldown_counter == 0
