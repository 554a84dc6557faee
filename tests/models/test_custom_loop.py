"""Custom training loops: GradientTape over a model call, optimizer.apply /
apply_gradients, metrics updated by hand, step for step equal to `fit`."""

import numpy as np
import pytest

import kerasx
from kerasx import layers

BATCH = 32


def _model(dropout):
    inputs = kerasx.Input((64,))
    x = layers.Dense(24, activation="relu")(inputs)
    if dropout:
        x = layers.Dropout(0.25)(x)
    return kerasx.Model(inputs, layers.Dense(10, activation="softmax")(x))


class _Recorder(kerasx.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(self.model.get_weights())


@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
@pytest.mark.parametrize("apply", ["apply", "apply_gradients"])
def test_custom_loop_matches_fit_step_for_step(digits, dropout, apply):
    x, y = digits[0][:160], digits[1][:160]
    kerasx.utils.set_random_seed(99)
    model = _model(dropout)
    start = model.get_weights()
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    recorder = _Recorder()
    kerasx.utils.set_random_seed(5)
    history = model.fit(x, y, epochs=2, batch_size=BATCH, shuffle=False, verbose=0,
                        callbacks=[recorder])

    kerasx.utils.set_random_seed(99)
    twin = _model(dropout)
    twin.set_weights(start)
    optimizer = kerasx.optimizers.Adam(0.01)
    loss_fn = kerasx.losses.SparseCategoricalCrossentropy()
    loss_mean = kerasx.metrics.Mean(name="loss")
    accuracy = kerasx.metrics.SparseCategoricalAccuracy(name="accuracy")
    kerasx.utils.set_random_seed(5)
    step = 0
    for epoch in range(2):
        loss_mean.reset_state()
        accuracy.reset_state()
        for start_row in range(0, len(x), BATCH):
            xb, yb = x[start_row:start_row + BATCH], y[start_row:start_row + BATCH]
            with kerasx.GradientTape() as tape:
                pred = twin(xb, training=True)
                loss = loss_fn(yb, pred)
            grads = tape.gradient(loss, twin.trainable_variables)
            if apply == "apply":
                optimizer.apply(grads, twin.trainable_variables)
            else:
                optimizer.apply_gradients(zip(grads, twin.trainable_variables))
            loss_mean.update_state(loss, sample_weight=len(xb))
            accuracy.update_state(yb, pred)
            for got, want in zip(twin.get_weights(), recorder.weights[step]):
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7,
                                           err_msg=f"weights differ after step {step}")
            step += 1
        assert float(loss_mean.result()) == pytest.approx(history.history["loss"][epoch], rel=1e-6)
        assert float(accuracy.result()) == pytest.approx(history.history["accuracy"][epoch],
                                                         rel=1e-6)
    assert step == len(recorder.weights) == 10
    assert optimizer.iterations == model.optimizer.iterations == 10


def test_custom_loop_learns_and_tape_sees_only_trainable_weights(digits):
    x, y, x_test, y_test = digits
    model = kerasx.Sequential([kerasx.Input((64,)), layers.Dense(32, activation="relu"),
                               layers.BatchNormalization(), layers.Dense(10)])
    optimizer = kerasx.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    loss_fn = kerasx.losses.SparseCategoricalCrossentropy(from_logits=True)
    order = np.random.default_rng(0).permutation(len(x))
    for epoch in range(3):
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            with kerasx.GradientTape() as tape:
                logits = model(x[idx], training=True)
                loss = loss_fn(y[idx], logits) + sum(model.losses)
            grads = tape.gradient(loss, model.trainable_weights)
            assert all(g is not None for g in grads)
            optimizer.apply(grads, model.trainable_weights)
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    accuracy = kerasx.metrics.SparseCategoricalAccuracy()
    accuracy.update_state(y_test, model(x_test, training=False))
    assert float(accuracy.result()) > 0.9


def test_gradient_of_a_functional_call_matches_finite_differences(backend):
    from kerasx.testing import check_gradients

    def fn(x):
        inputs = kerasx.Input((3,))
        branch = layers.Dense(2, activation="tanh", kernel_initializer="ones")
        out = layers.Multiply()([branch(inputs), layers.Dense(2, kernel_initializer="ones")(inputs)])
        return kerasx.Model(inputs, out)(x)

    check_gradients(fn, [np.random.default_rng(1).standard_normal((2, 3)) * 0.3])
