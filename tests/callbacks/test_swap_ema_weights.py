"""`SwapEMAWeights`: validation, evaluation and prediction see the optimizer's moving
averages, training does not, and training ends as it would without the callback."""

import numpy as np
import pytest

import kerasx as keras

rng = np.random.default_rng(0)
X = rng.standard_normal((64, 5)).astype("float32")
Y = (X @ rng.standard_normal((5, 1)) + 0.1).astype("float32")
XV, YV = X[:16] + 0.5, Y[:16]


def _model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5, use_ema=True,
                                                 ema_momentum=0.9), loss="mse")
    return model


def _arrays(variables):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


def _fit(callbacks, epochs=3):
    model = _model()
    history = model.fit(X, Y, epochs=epochs, batch_size=16, validation_data=(XV, YV),
                        callbacks=callbacks, verbose=0)
    return model, history.history


def _loss_with(weights, trainable_values, x, y):
    probe = _model()
    probe.set_weights(weights)
    for var, value in zip(probe.trainable_weights, trainable_values):
        var.assign(value)
    return probe.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_validation_sees_the_averages_and_training_is_unchanged(swap_on_epoch):
    averages, trained, weights = [], [], []

    def record(epoch, logs):
        optimizer = model_box[0].optimizer
        averages.append(_arrays(optimizer._model_variables_moving_average))
        trained.append(_arrays(model_box[0].trainable_weights))
        weights.append(model_box[0].get_weights())

    model_box = []
    recorder = keras.callbacks.LambdaCallback(on_epoch_end=record)

    class Keep(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            model_box.append(self.model)

    model, logs = _fit([Keep(), keras.callbacks.SwapEMAWeights(swap_on_epoch), recorder])
    plain, plain_logs = _fit([])
    np.testing.assert_array_equal(logs["loss"], plain_logs["loss"])
    for a, b in zip(_arrays(model.weights), _arrays(plain.weights)):
        np.testing.assert_array_equal(a, b)
    for epoch, average in enumerate(averages):
        np.testing.assert_allclose(logs["val_loss"][epoch], _loss_with(weights[epoch], average, XV, YV),
                                   rtol=1e-6)
        assert abs(logs["val_loss"][epoch] - plain_logs["val_loss"][epoch]) > 1e-6
        # a callback after SwapEMAWeights sees the averages at the end of an epoch
        seen, expected = trained[epoch], average if swap_on_epoch else None
        if expected is not None:
            for a, b in zip(seen, expected):
                np.testing.assert_array_equal(a, b)


def test_evaluate_and_predict_use_the_averages_then_put_the_weights_back():
    model, _ = _fit([], epochs=1)
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)  # weights differ from the averages
    for var in model.trainable_weights:
        var.assign(keras.ops.convert_to_numpy(var) + 0.25)
    weights = _arrays(model.weights)
    averages = _arrays(model.optimizer._model_variables_moving_average)
    swap = keras.callbacks.SwapEMAWeights()
    expected = _loss_with(model.get_weights(), averages, X, Y)
    np.testing.assert_allclose(model.evaluate(X, Y, callbacks=[swap], verbose=0), expected,
                               rtol=1e-6)
    probe = _model()
    probe.set_weights(model.get_weights())
    for var, value in zip(probe.trainable_weights, averages):
        var.assign(value)
    np.testing.assert_allclose(model.predict(X, callbacks=[swap], verbose=0),
                               probe.predict(X, verbose=0), rtol=1e-6)
    for a, b in zip(_arrays(model.weights), weights):
        np.testing.assert_array_equal(a, b)
    assert model.evaluate(X, Y, verbose=0) != pytest.approx(expected)


def test_an_optimizer_without_averages_is_refused():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(X, Y, epochs=1, validation_data=(XV, YV), verbose=0,
                  callbacks=[keras.callbacks.SwapEMAWeights()])
