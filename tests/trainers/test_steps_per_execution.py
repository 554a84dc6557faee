"""`compile(steps_per_execution=N)`: batch callbacks and host synchronisations every N steps."""

import numpy as np
import pytest

from kerasx.backends import current
from tests.trainers.helpers import Recorder, classifier, copy_weights, make_data


@pytest.fixture
def count_transfers(monkeypatch):
    """Counts device-to-host transfers (calls of the backend's `to_numpy`)."""
    backend = current()
    calls = []
    original = backend.to_numpy

    def counting(x):
        calls.append(1)
        return original(x)

    monkeypatch.setattr(backend, "to_numpy", counting)
    return calls


def test_batch_callbacks_run_once_per_execution_with_the_last_batch_index():
    x, y = make_data(n=100)
    model = classifier(steps_per_execution=3)
    rec = Recorder()
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[rec])
    begins = [c[1] for c in rec.calls if c[0] == "on_train_batch_begin"]
    ends = [c[1] for c in rec.calls if c[0] == "on_train_batch_end"]
    assert begins == [0, 3, 6, 9]
    # the last, partial execution is reported too, as Keras does: at the index the
    # group would end at (begin + steps_per_execution - 1)
    assert ends == [2, 5, 8, 11]
    assert all("loss" in logs for logs in rec.logs_of("on_train_batch_end"))


def test_evaluate_and_predict_group_their_batches_too():
    x, y = make_data(n=100)
    model = classifier(steps_per_execution=4)
    rec = Recorder()
    model.evaluate(x, y, batch_size=10, verbose=0, callbacks=[rec])
    assert [c[1] for c in rec.calls if c[0] == "on_test_batch_end"] == [3, 7, 11]
    rec = Recorder()
    predictions = model.predict(x, batch_size=10, verbose=0, callbacks=[rec])
    outputs = rec.logs_of("on_predict_batch_end")
    assert [c[1] for c in rec.calls if c[0] == "on_predict_batch_end"] == [3, 7, 11]
    assert [o["outputs"].shape[0] for o in outputs] == [40, 40, 20]
    np.testing.assert_allclose(predictions, model.predict(x, batch_size=100, verbose=0), rtol=1e-6)


def test_steps_per_execution_reduces_host_synchronisations(count_transfers):
    x, y = make_data(n=200)
    rec = Recorder()  # a batch-level callback, so logs are fetched at every execution
    classifier(steps_per_execution=1).fit(x, y, batch_size=10, epochs=1, verbose=0,
                                          callbacks=[rec])
    per_step = len(count_transfers)
    count_transfers.clear()
    classifier(steps_per_execution=10).fit(x, y, batch_size=10, epochs=1, verbose=0,
                                           callbacks=[rec])
    grouped = len(count_transfers)
    # 20 steps: at least one transfer per step versus one per execution of 10 steps.
    assert per_step >= 20
    assert grouped <= per_step - 18


@pytest.mark.parametrize("jit", [False, "auto"])
def test_without_batch_callbacks_training_does_not_synchronise_per_step(count_transfers, jit):
    """Metrics come back only at the epoch end: an epoch of 40 steps synchronises as
    often as one of 20 (a replayed step's check against the eager step, once per epoch,
    copies the variables)."""
    model = classifier(jit_compile=jit)
    model.fit(*make_data(n=200), batch_size=10, epochs=1, verbose=0)
    counts = []
    for n in (200, 400):
        count_transfers.clear()
        model.fit(*make_data(n=n), batch_size=10, epochs=1, verbose=0)
        counts.append(len(count_transfers))
    assert counts[0] == counts[1]
    if jit is False:
        assert counts[0] < 10


def test_results_do_not_depend_on_steps_per_execution():
    x, y = make_data(n=90)
    base = classifier()
    runs = []
    for spe in (1, 4):
        model = copy_weights(base, classifier(steps_per_execution=spe))
        history = model.fit(x, y, batch_size=10, epochs=2, verbose=0, shuffle=False)
        runs.append((history.history, model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_stop_training_is_checked_at_the_end_of_each_execution():
    x, y = make_data(n=100)
    model = classifier(steps_per_execution=3)

    class StopEarly(Recorder):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            self.model.stop_training = True

    rec = StopEarly()
    model.fit(x, y, batch_size=10, epochs=2, verbose=0, callbacks=[rec])
    assert [c[1] for c in rec.calls if c[0] == "on_train_batch_end"] == [2]
    assert model.optimizer.iterations == 3
