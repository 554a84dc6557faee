"""Handwritten digits read as sequences: an LSTM over the rows of each image.

Each 8x8 image of scikit-learn's bundled digits (1,797 images, no download) is
read top to bottom as a sequence of 8 timesteps with 8 features (one pixel row
per step); an LSTM(64) summarizes the sequence and a softmax layer classifies
it. 20% of the images are held out for testing.

    python examples/lstm_sequences.py                                   # NumPy backend
    KERASX_BACKEND=array_api_strict python examples/lstm_sequences.py   # pure array API
    KERASX_BACKEND=cupy python examples/lstm_sequences.py               # CUDA GPU

Measured (seed 42, 40 epochs, batch 32, 2-core CPU): test accuracy 0.9583 on both the
NumPy backend (2.3 s of training, default two BLAS threads, quiet machine) and
array_api_strict (30 s). When the CPU is shared with other busy processes, the small
per-timestep matmuls suffer from BLAS threads competing for cores (one run took 54 s);
pin BLAS to one thread (OPENBLAS_NUM_THREADS=1) then.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits

import kerasx as keras
from kerasx import layers


def load_data(seed=0):
    """Digits scaled to [0, 1] as (samples, 8 timesteps, 8 features), shuffled,
    split 80/20 into train and test."""
    data = load_digits()
    x = (data.images / 16.0).astype("float32")
    y = data.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def build_model(timesteps=8, features=8, units=64, num_classes=10):
    return keras.Sequential([
        keras.Input(shape=(timesteps, features)),
        layers.LSTM(units),
        layers.Dense(num_classes, activation="softmax"),
    ], name="digits_lstm")


def main(epochs=40, batch_size=32, seed=42, verbose=2):
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_data()
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              verbose=verbose)
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"backend={keras.config.backend()}  test loss={loss:.4f}  "
              f"test accuracy={accuracy:.4f}  training time={elapsed:.1f}s")
    return accuracy, elapsed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    main(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
