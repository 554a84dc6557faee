"""NumPy-vs-CuPy parity: same seed, same model; equal initial weights and 3 epochs of
losses that agree to 1e-4 relative. Exits non-zero on a mismatch."""

import sys

import numpy as np
from sklearn.datasets import load_digits

import kerasx as keras
from kerasx.backends import use_backend


def run(backend_name):
    data = load_digits()
    x = (data.data / 16.0).astype("float32")
    y = data.target
    with use_backend(backend_name):
        keras.utils.set_random_seed(11)
        keras.utils.clear_session()
        model = keras.Sequential([keras.Input(shape=(64,)),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        initial = model.get_weights()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, batch_size=64, epochs=3, verbose=0, shuffle=True)
        return initial, history.history["loss"]


def main():
    init_np, loss_np = run("numpy")
    init_cp, loss_cp = run("cupy")
    same_init = all(np.array_equal(a, b) for a, b in zip(init_np, init_cp))
    close = np.allclose(loss_np, loss_cp, rtol=1e-4)
    print("numpy losses:", loss_np)
    print("cupy  losses:", loss_cp)
    print(f"initial weights equal: {same_init}; losses agree to 1e-4: {close}")
    return 0 if same_init and close else 1


if __name__ == "__main__":
    sys.exit(main())
