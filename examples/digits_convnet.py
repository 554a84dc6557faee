"""Handwritten digits with the classic Keras MNIST convnet.

The model of the Keras "Simple MNIST convnet" example (Conv2D 32 3x3 relu,
MaxPooling 2, Conv2D 64 3x3 relu, MaxPooling 2, Flatten, Dropout 0.5,
Dense 10 softmax) trained on scikit-learn's bundled 8x8 digits (1,797
images, no download), upscaled to 28x28 by bilinear interpolation. 20% of
the images are held out for testing.

    python examples/digits_convnet.py                                   # NumPy backend
    KERASX_BACKEND=array_api_strict python examples/digits_convnet.py   # pure array API
    KERASX_BACKEND=cupy python examples/digits_convnet.py               # CUDA GPU

Measured (NumPy backend, 2-core CPU shared with other jobs, 20 epochs of batch 128):
test accuracy 0.992 with the default seed (0.983-0.989 for seeds 0-5; 15 epochs, the
Keras example's count, gives 0.972-0.986), training time 15-25 s, about 60 ms per
training step.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits

import kerasx as keras
from kerasx import layers


def _resize_matrix(size_in, size_out):
    """Half-pixel bilinear interpolation as a (size_out, size_in) matrix."""
    scale = size_out / size_in
    src = np.clip((np.arange(size_out) + 0.5) / scale - 0.5, 0, size_in - 1)
    low = np.floor(src).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    weight = src - low
    matrix = np.zeros((size_out, size_in))
    matrix[np.arange(size_out), low] += 1 - weight
    matrix[np.arange(size_out), high] += weight
    return matrix


def load_data(seed=0, size=28):
    """Digits scaled to [0, 1], upscaled to size x size with one channel,
    shuffled, split 80/20 into train and test."""
    data = load_digits()
    images = data.images / 16.0
    resize = _resize_matrix(8, size)
    x = np.einsum("ij,njk,lk->nil", resize, images, resize)[..., None].astype("float32")
    y = data.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def build_model(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ], name="digits_convnet")


def main(epochs=20, batch_size=128, seed=42, verbose=2):
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
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    main(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
