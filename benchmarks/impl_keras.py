"""The workloads in Keras 3 (the JAX backend, which compiles the train step with XLA)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")


def setup(seed, threads, device):
    import keras

    keras.utils.set_random_seed(seed)
    return f"keras {keras.__version__} ({keras.backend.backend()})"


def build(workload, device="cpu"):
    import keras

    from benchmarks import keras_models

    return keras_models.build(keras, workload)


def to_device(arrays, device):
    return arrays


def train(model, data, batch_size, verbose=0):
    x, y = data
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=verbose, shuffle=True)


def predict(model, data, batch_size):
    model.predict(data[0], batch_size=batch_size, verbose=0)
