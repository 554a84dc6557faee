"""Small models and data shared by the trainer and callback tests."""

import numpy as np

import kerasx as keras


def make_data(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (np.abs(x[:, 0] * 3).astype("int64") % classes)
    return x, y


def classifier(features=4, classes=3, lr=0.1, momentum=0.0, metrics=("accuracy",), dropout=0.0,
               compile=True, **compile_kwargs):
    layers = [keras.Input(shape=(features,)), keras.layers.Dense(8, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(classes, activation="softmax"))
    model = keras.Sequential(layers)
    if compile:
        model.compile(optimizer=keras.optimizers.SGD(lr, momentum=momentum),
                      loss="sparse_categorical_crossentropy",
                      metrics=list(metrics) if metrics else None, **compile_kwargs)
    return model


def copy_weights(source, target):
    target.set_weights(source.get_weights())
    return target


def assert_weights_equal(a, b, rtol=0.0, atol=0.0):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=atol)


class Recorder(keras.callbacks.Callback):
    """Records every hook call as (name, args...)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def names(self, prefix=""):
        return [c[0] for c in self.calls if c[0].startswith(prefix)]

    def logs_of(self, hook):
        return [c[-1] for c in self.calls if c[0] == hook]


def _recording(name):
    def hook(self, *args, logs=None):
        if logs is None and args and (args[-1] is None or isinstance(args[-1], dict)):
            args, logs = args[:-1], args[-1]
        self.calls.append((name, *args, dict(logs or {})))
    return hook


for _hook in [n for n in vars(keras.callbacks.Callback) if n.startswith("on_")
              and n not in ("on_batch_begin", "on_batch_end")]:
    setattr(Recorder, _hook, _recording(_hook))


class BatchRecorder(keras.Sequential):
    """A Sequential model that records the input rows of every training batch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_untracked("seen", [])

    def train_step(self, data):
        self.seen.append(data[0].numpy().copy())
        return super().train_step(data)


def recording_classifier(features=4, classes=3, lr=0.1):
    model = BatchRecorder([keras.Input(shape=(features,)), keras.layers.Dense(classes, activation="softmax")])
    # eager steps: its train_step records every batch it sees (a replayed step would not)
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy",
                  jit_compile=False)
    return model


def infinite_batches(x, y, batch_size, counter=None):
    """A generator looping over (x, y) forever; `counter` (a list) records each batch index."""
    i = 0
    n = len(x)
    while True:
        start = (i * batch_size) % n
        if counter is not None:
            counter.append(i)
        yield x[start:start + batch_size], y[start:start + batch_size]
        i += 1


def fit_run(model, *args, **kwargs):
    """`(history, weights)` of `model.fit(*args, **kwargs)` (silent, unshuffled by default)."""
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("shuffle", False)
    history = model.fit(*args, **kwargs)
    return history.history, model.get_weights()


def assert_same_run(a, b):
    """Two `fit_run` results are equal: the same history values and weights, bit for bit."""
    assert a[0].keys() == b[0].keys()
    for key in a[0]:
        np.testing.assert_allclose(a[0][key], b[0][key], rtol=0)
    for wa, wb in zip(a[1], b[1]):
        np.testing.assert_array_equal(wa, wb)
