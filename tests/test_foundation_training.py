"""End-to-end: the digits demo trains, and one seed gives the same run on every CPU backend."""

import os
import subprocess
import sys

import numpy as np

import kerasx as keras
from kerasx.backends import use_backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_digits_mlp_example_reaches_95_percent(digits):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import digits_mlp
    finally:
        sys.path.pop(0)
    accuracy = digits_mlp.main(epochs=12, seed=42, verbose=0)
    assert accuracy >= 0.95


def _run(backend_name, x, y, epochs=3):
    with use_backend(backend_name):
        keras.utils.set_random_seed(7)
        keras.utils.clear_session(free_memory=False)
        model = keras.Sequential([
            keras.Input(shape=(64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(10, activation="softmax"),
        ])
        initial = model.get_weights()
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, validation_split=0.2)
        return initial, history.history, model.predict(x[:20], verbose=0)


def test_same_seed_same_run_on_numpy_and_array_api_strict(digits):
    x, y = digits[0][:600], digits[1][:600]
    init_np, hist_np, pred_np = _run("numpy", x, y)
    init_st, hist_st, pred_st = _run("array_api_strict", x, y)
    for a, b in zip(init_np, init_st):
        np.testing.assert_array_equal(a, b)
    assert list(hist_np) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in hist_np:
        np.testing.assert_allclose(hist_np[key], hist_st[key], rtol=1e-6)
    np.testing.assert_allclose(pred_np, pred_st, rtol=1e-5, atol=1e-6)


def test_same_seed_twice_gives_identical_history(digits):
    x, y = digits[0][:300], digits[1][:300]
    _, first, _ = _run("numpy", x, y, epochs=2)
    _, second, _ = _run("numpy", x, y, epochs=2)
    assert first == second


def test_loss_falls_and_metrics_are_consistent(digits):
    x_train, y_train, x_test, y_test = digits
    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=4, batch_size=32, verbose=0,
                        validation_data=(x_test, y_test))
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert np.isclose(loss, history.history["val_loss"][-1], rtol=1e-6)
    predicted = model.predict(x_test, verbose=0).argmax(axis=-1)
    assert np.isclose(accuracy, (predicted == y_test).mean(), atol=1e-6)
    assert model.evaluate(x_test, y_test, verbose=0, return_dict=True) == {
        "accuracy": accuracy, "loss": loss}


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.arange(10, dtype="float32").reshape(10, 1)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, validation_split=0.3, epochs=1, verbose=0, shuffle=True)
    expected = model.evaluate(x[7:], y[7:], verbose=0)
    history = model.fit(x, y, validation_split=0.3, epochs=1, verbose=0, shuffle=False)
    # after this epoch the weights changed; the reported val_loss must be on rows 7..9
    assert np.isclose(history.history["val_loss"][0], model.evaluate(x[7:], y[7:], verbose=0),
                      rtol=1e-6)
    assert expected != history.history["val_loss"][0]


def test_categorical_labels_and_binary_models_train(digits):
    x, y = digits[0][:400], digits[1][:400]
    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, keras.utils.to_categorical(y, 10), epochs=3, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    binary = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(1, activation="sigmoid")])
    # odd against even digits; a step size that learns it from any initial weights in five
    # epochs (0.79-0.88 accuracy over twelve seeds; Adam's default 1e-3 left some at 0.5)
    binary.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                   metrics=["accuracy"])
    h = binary.fit(x, (y % 2).astype("float32"), epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert 0.7 < h.history["accuracy"][-1] <= 1.0


def test_progress_output_verbose_1_and_2(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(
        "import numpy as np, kerasx as keras\n"
        "x = np.random.default_rng(0).random((64, 3)).astype('float32'); y = x.sum(1, keepdims=True)\n"
        "m = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(x, y, epochs=2, batch_size=16, verbose=1)\n"
        "m.fit(x, y, epochs=1, batch_size=16, verbose=2)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": ROOT + os.pathsep
                                          + os.environ.get("PYTHONPATH", "")}).stdout
    lines = out.splitlines()
    assert "\r" not in out and "\x1b" not in out
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("4/4 ━━━━━━━━━━━━━━━━━━━━ ") and " - loss: " in lines[1]
    assert lines[2] == "Epoch 2/2"
    assert lines[4].startswith("4/4 - ") and "/step - loss: " in lines[4]
