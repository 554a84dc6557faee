"""The workloads in kerasx (any backend, from KERASX_BACKEND)."""

import kerasx as keras

from benchmarks import keras_models


def build(workload):
    return keras_models.build(keras, workload)


def train(model, data, batch_size, verbose=0):
    x, y = data
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=verbose, shuffle=True)
    keras.backends.current().synchronize()


def predict(model, data, batch_size):
    model.predict(data[0], batch_size=batch_size, verbose=0)


def setup(seed, threads, device):
    keras.utils.set_random_seed(seed)
    return f"kerasx {keras.__version__} ({keras.config.backend()})"


def to_device(arrays, device):
    """On a GPU the data is moved there once before timing, as the PyTorch loop does;
    on the CPU the NumPy arrays are used as they are."""
    if device == "cpu":
        return arrays
    backend = keras.backends.current()
    return tuple(backend.asarray(a) for a in arrays)
