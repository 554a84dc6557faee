"""One seed fixes initial weights, dropout masks and batch order: identical runs, on every backend."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import use_backend
from tests.trainers.helpers import make_data


def _run(seed, x, y, backend=None):
    def go():
        keras.utils.set_random_seed(seed)
        keras.utils.clear_session()
        model = keras.Sequential([
            keras.Input(shape=(x.shape[1],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(3, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=4, shuffle=True, validation_split=0.25,
                            class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0)
        return history.history, model.get_weights(), model.predict(x[:10], verbose=0)

    if backend is None:
        return go()
    with use_backend(backend):
        return go()


def test_two_fit_runs_with_the_same_seed_are_identical():
    x, y = make_data(n=96, features=6)
    first = _run(123, x, y)
    second = _run(123, x, y)
    assert first[0] == second[0]
    for a, b in zip(first[1], second[1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[2], second[2])
    other = _run(124, x, y)
    assert other[0] != first[0]


def test_numpy_and_array_api_strict_agree():
    x, y = make_data(n=96, features=6)
    on_numpy = _run(7, x, y, backend="numpy")
    on_strict = _run(7, x, y, backend="array_api_strict")
    assert on_numpy[0].keys() == on_strict[0].keys()
    for key in on_numpy[0]:
        assert on_strict[0][key] == pytest.approx(on_numpy[0][key], rel=1e-6, abs=1e-7), key
    for a, b in zip(on_numpy[1], on_strict[1]):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(on_strict[2], on_numpy[2], rtol=1e-6, atol=1e-7)
