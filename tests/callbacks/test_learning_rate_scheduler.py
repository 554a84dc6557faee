"""`LearningRateScheduler`: the learning rate of each epoch comes from `schedule(epoch, lr)`."""

import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


def test_schedule_sets_the_rate_at_each_epoch_start():
    x, y = make_data(n=32)
    model = classifier(lr=0.1)
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(float(self.model.optimizer.learning_rate))

    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler, Watch()])
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_one_argument_schedule_and_verbose(capsys):
    x, y = make_data(n=32)
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1), verbose=1)])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    out = capsys.readouterr().out
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.02." in out


def test_schedule_must_return_a_number():
    x, y = make_data(n=32)
    with pytest.raises(ValueError, match=r"schedule` function should be a float, received 'fast'"):
        classifier().fit(x, y, epochs=1, verbose=0, callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])
    with pytest.raises(TypeError, match=r"expects a function schedule\(epoch, lr\), received 0.1"):
        keras.callbacks.LearningRateScheduler(0.1)


def test_an_optimizer_with_a_schedule_cannot_be_overridden():
    x, y = make_data(n=32)
    model = classifier(compile=False)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match=r"LearningRateScheduler cannot set the learning rate.*schedule"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.5)])
