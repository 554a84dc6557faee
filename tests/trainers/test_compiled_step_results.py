"""A replayed step's results: the default steps' metric results are left out of the
replay and computed from the metrics' state when read (as the eager step's are), while
results a custom step computes from the batch are replayed with it."""

import numpy as np

import kerasx as keras
from kerasx import ops
from kerasx.backends import current

RECORDS = current().step_recorder() is not None
rng = np.random.default_rng(5)
x = rng.standard_normal((96, 6)).astype("float32")
y = rng.integers(0, 3, 96)


class BatchLogs(keras.callbacks.Callback):
    """Every batch's logs, as a callback that reads them sees them."""

    def __init__(self):
        super().__init__()
        self.train, self.test = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.train.append(dict(logs))

    def on_test_batch_end(self, batch, logs=None):
        self.test.append(dict(logs))


class BatchMean(keras.Sequential):
    """A custom step adding a value of the batch to the results."""

    def train_step(self, data):
        logs = super().train_step(data)
        logs["batch_mean"] = ops.mean(data[0])
        return logs


def _run(model_class, jit):
    keras.utils.set_random_seed(2)
    model = model_class([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    logs = BatchLogs()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[logs],
                        shuffle=False, validation_data=(x[:32], y[:32]))
    return model, logs, history.history


def _programs(step):
    return [p for p in step.programs.values() if getattr(p, "verified", False)]


def test_default_steps_replay_without_their_metric_results_and_log_the_same():
    _, eager_logs, eager_history = _run(keras.Sequential, False)
    model, logs, history = _run(keras.Sequential, True)
    assert logs.train == eager_logs.train and logs.test == eager_logs.test
    assert history == eager_history
    assert set(logs.train[0]) == {"loss", "accuracy"}
    if not RECORDS:
        return
    for step in (model._compiled_train_step, model._compiled_test_step):
        programs = _programs(step)
        assert programs
        for program in programs:
            assert program.lazy_results is not None
            assert program.replay.source.rstrip().endswith("return ()")


def test_logs_read_after_every_replayed_step_are_computed_by_a_recording(monkeypatch):
    runs = {}
    original = keras.metrics.Mean.result
    for jit in (False, True):
        model, _, _ = _run(keras.Sequential, jit)  # recorded and checked by now
        calls = []

        def counted(self):
            calls.append(self.name)
            return original(self)

        monkeypatch.setattr(keras.metrics.Mean, "result", counted)
        logs = BatchLogs()
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[logs], shuffle=False)
        monkeypatch.undo()
        runs[jit] = logs.train, calls.count("loss")
    assert runs[True][0] == runs[False][0] and len(runs[True][0]) == 24
    assert runs[False][1] >= 24
    if RECORDS:
        # as Python only at the checks against the eager step and at the epochs' ends
        assert runs[True][1] <= 6
    else:
        assert runs[True][1] >= 24


def test_a_custom_step_adding_batch_values_replays_them():
    _, eager_logs, eager_history = _run(BatchMean, False)
    model, logs, history = _run(BatchMean, True)
    assert logs.train == eager_logs.train and history == eager_history
    means = [entry["batch_mean"] for entry in logs.train[:12]]
    expected = [float(np.mean(x[i:i + 8])) for i in range(0, 96, 8)]
    np.testing.assert_allclose(means, expected, rtol=1e-6)
    if RECORDS:
        programs = _programs(model._compiled_train_step)
        assert programs and all(p.lazy_results is None for p in programs)
