"""Handwritten digits with a multilayer perceptron: the kerasx main demo.

Trains on scikit-learn's bundled 8x8 digits (1,797 images, no download),
holding out 20% for testing, and prints the test accuracy.

    python examples/digits_mlp.py                                   # NumPy backend
    KERASX_BACKEND=array_api_strict python examples/digits_mlp.py   # pure array API
    KERASX_BACKEND=cupy python examples/digits_mlp.py               # CUDA GPU

Measured (2-core CPU, seed 42, 30 epochs): test accuracy 0.9806 on both the NumPy
backend (0.8 s of training) and array_api_strict (2.5 s), with identical losses.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits

import kerasx as keras
from kerasx import layers


def load_data(seed=0):
    """Digits scaled to [0, 1], shuffled, split 80/20 into train and test."""
    data = load_digits()
    x = (data.data / 16.0).astype("float32")
    y = data.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def build_model():
    return keras.Sequential([
        keras.Input(shape=(64,)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="digits_mlp")


def main(epochs=30, seed=42, verbose=2):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_data()
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1,
              verbose=verbose)
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"backend={keras.config.backend()}  test loss={loss:.4f}  "
              f"test accuracy={accuracy:.4f}  training time={elapsed:.1f}s")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    main(epochs=args.epochs, seed=args.seed)
