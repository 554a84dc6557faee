"""Checks a replayed training step makes after it has changed a variable (a batch
normalization's moving statistics are assigned in the forward pass, before the
backward pass's kernels; an optimizer's update precedes the metrics): every check is
made where it falls, and a replay failing one leaves the moving statistics, the
optimizer's state, the metrics and the random generator as they were, so the eager
step it falls back to gives the values of a run of eager steps bit for bit."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("steps are recorded and replayed on NumPy only (other backends run every "
                "step eagerly: no check to fail)", allow_module_level=True)

from kerasx.backends import numpy_conv  # noqa: E402
from kerasx.backends import random as backend_random  # noqa: E402
from kerasx.backends.numpy_trace_array import recordable_helper  # noqa: E402
from kerasx.trainers import compiled_step  # noqa: E402

L = keras.layers


@pytest.fixture(autouse=True)
def _whole_steps(monkeypatch):
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "0")


def _train(model, compile_args, x, y, jit, epochs=1):
    """Weights, optimizer variables, history and the random generator's state after `fit`."""
    keras.utils.set_random_seed(3)
    model = model()
    model.compile(jit_compile=jit, **compile_args())
    history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, shuffle=False)
    return model, {"weights": model.get_weights(),
                   "optimizer": [np.asarray(v.value) for v in model.optimizer.variables],
                   "history": history.history,
                   "rng": backend_random.get_state()}


def _assert_same(eager, replayed):
    for a, b in zip(eager["weights"] + eager["optimizer"],
                    replayed["weights"] + replayed["optimizer"], strict=True):
        np.testing.assert_array_equal(b, a)
    assert replayed["history"] == eager["history"]
    assert replayed["rng"] == eager["rng"]


def _program(model):
    (program,) = model._compiled_train_step.programs.values()
    assert isinstance(program, compiled_step._Program)
    return program


def _bn_dropout_pool():
    # the pooling kernel runs after the moving statistics are assigned (the dropout
    # draw before it has the recording assign them); a seeded dropout's draws take their
    # seeds from a counter, which a failed check sets back
    return keras.Sequential([keras.Input((8, 4)), L.BatchNormalization(),
                             L.Dropout(0.1, seed=7), L.MaxPooling1D(2), L.Flatten(),
                             L.Dense(3, activation="softmax")])


def _sgd_momentum():
    return {"optimizer": keras.optimizers.SGD(0.1, momentum=0.9),
            "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


def test_a_kernel_declining_after_a_variable_changed_falls_back_to_the_eager_step(
        monkeypatch):
    @recordable_helper
    def max_pool_forward(x, pool_size, strides):
        # declines for a batch whose first sample is far below the others
        return None if x[0, 0, 0] < -3 else numpy_conv.max_pool_forward(x, pool_size,
                                                                          strides)

    monkeypatch.setattr(numpy_conv, "_ARGMAX_POOL_MIN_BYTES", 0)
    monkeypatch.setitem(current().kernels, "max_pool_forward", max_pool_forward)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 4)).astype("float32")
    x[[32, 40, 48, 56], 0, 0] = -100.0  # batches 4 to 7 of 8: after the recording's check
    y = rng.integers(0, 3, 64)
    eager = _train(_bn_dropout_pool, _sgd_momentum, x, y, jit=False)[1]
    model, replayed = _train(_bn_dropout_pool, _sgd_momentum, x, y, jit=True)
    program = _program(model)
    assert program.misses > 0 and program.runs == 5  # batch 3 was checked, not run alone
    assert not model._compiled_train_step._kernels_as_calls
    _assert_same(eager, replayed)


def _conv_bn_dropout():
    # the labels' check (sparse cross-entropy) comes after the moving statistics'
    # assignment: once a reason to give the recording up
    return keras.Sequential([
        keras.Input((6, 6, 3)), L.Conv2D(4, 3), L.BatchNormalization(), L.Dropout(0.2),
        L.ReLU(), L.MaxPooling2D(2), L.Flatten(), L.Dense(3, activation="softmax")])


def test_a_value_read_after_a_variable_changed_is_checked_and_the_step_replayed():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((48, 6, 6, 3)).astype("float32")
    y = rng.integers(0, 3, 48)
    eager = _train(_conv_bn_dropout, _sgd_momentum, x, y, jit=False)[1]
    model, replayed = _train(_conv_bn_dropout, _sgd_momentum, x, y, jit=True)
    step = model._compiled_train_step
    program = _program(model)
    assert program.late_changes is not None and "_GuardFailed" in program.replay.source
    assert program.verified and program.runs == 3 and not step._kernels_as_calls
    assert not step.reasons
    _assert_same(eager, replayed)


class _CheckedAfterUpdate(keras.Sequential):
    """A step reading a value computed from the updated weights: a check after the
    optimizer's update, which the replay cannot move before it."""

    def train_step(self, data):
        logs = super().train_step(data)
        x, _ = data
        if bool(ops.max(self(x, training=False)) > 0.8):
            self.high += 1  # (in eager steps only: replays run no Python)
        return logs


def _checked_after_update():
    model = _CheckedAfterUpdate([keras.Input((6,)), L.Dense(8), L.BatchNormalization(),
                                 L.Dropout(0.2), L.Dense(3, activation="softmax")])
    model.high = 0
    return model


def test_a_check_after_the_optimizers_update_restores_every_variable_when_it_fails():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((80, 6)).astype("float32")
    y = rng.integers(0, 3, 80)
    eager = _train(_checked_after_update, _sgd_momentum, x, y, jit=False, epochs=2)[1]
    model, replayed = _train(_checked_after_update, _sgd_momentum, x, y, jit=True, epochs=2)
    program = _program(model)
    assert program.late_changes[1]  # the update comes before the check
    assert program.misses > 0 and program.runs > program.misses
    _assert_same(eager, replayed)


def test_the_update_moves_after_the_metrics_checks_it_does_not_touch():
    # AUC's threshold counts (a kernel recorded as one call, checked) come after the
    # update in the default step: the replay makes the update after them, so a check
    # failing there needs no copy of the variables
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 6)).astype("float32")
    y = rng.integers(0, 2, (32, 1)).astype("float32")

    def model():
        return keras.Sequential([keras.Input((6,)), L.Dense(4), L.BatchNormalization(),
                                 L.Dense(1, activation="sigmoid")])

    def compile_args():
        return {"optimizer": "adam", "loss": "binary_crossentropy",
                "metrics": [keras.metrics.AUC(name="auc")]}

    eager = _train(model, compile_args, x, y, jit=False)[1]
    trained, replayed = _train(model, compile_args, x, y, jit=True)
    program = _program(trained)
    source = program.replay.source
    assert program.late_changes is not None and not program.late_changes[1]
    lines = source.splitlines()
    update = next(i for i, line in enumerate(lines) if "], [_c" in line)
    assert max(i for i, line in enumerate(lines) if "_same_form(" in line) < update
    _assert_same(eager, replayed)


class _BatchesWithLabel2(keras.metrics.Metric):
    """Counts the batches holding the label 2: a value its update reads from the batch,
    after the loss's running totals were written in place."""

    def __init__(self, name="with_2"):
        super().__init__(name=name)
        self.batches = self.add_variable(shape=(), initializer="zeros", name="batches")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if bool(ops.any(y_true == 2)):
            self.batches.assign_add(1.0)

    def result(self):
        return self.batches


def test_a_check_failing_after_the_metrics_totals_were_written_in_place_restores_them():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = rng.integers(0, 3, 64)
    y[:24][y[:24] == 0] = 2  # the recorded batch and the one checked hold a 2
    y[40:48][y[40:48] == 2] = 1  # a later batch does not

    def model():
        return keras.Sequential([keras.Input((6,)), L.Dense(4), L.BatchNormalization(),
                                 L.Dense(3, activation="softmax")])

    def compile_args():
        return {"optimizer": keras.optimizers.SGD(0.1, momentum=0.9),
                "loss": "sparse_categorical_crossentropy", "metrics": [_BatchesWithLabel2()]}

    eager = _train(model, compile_args, x, y, jit=False)[1]
    trained, replayed = _train(model, compile_args, x, y, jit=True)
    program = _program(trained)
    changes, by_calls = program.late_changes
    assert not by_calls and any(in_place for _, _, in_place in changes)
    assert program.misses > 0
    _assert_same(eager, replayed)
