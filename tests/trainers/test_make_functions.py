"""`make_train_function` / `make_test_function` / `make_predict_function`: the step
functions `fit`, `evaluate`, `predict` and the `*_on_batch` methods call, kept until
`compile()` or `force=True`, replaceable by the user, as in Keras."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from tests.conftest import to_numpy

x = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
y = np.random.default_rng(1).normal(size=(10, 2)).astype("float32")


def _model(steps_per_execution=1, jit_compile="auto"):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse", steps_per_execution=steps_per_execution,
                  jit_compile=jit_compile)
    return model


def _batches(n=5, size=2):
    backend = current()
    return [(backend.asarray(x[i * size:(i + 1) * size]),
             backend.asarray(y[i * size:(i + 1) * size]), None) for i in range(n)]


def _counting(model, name):
    calls = []
    original = getattr(model, name)

    def function(data):
        calls.append(len(list(data)) if isinstance(data, list) else None)
        return original(data)

    setattr(model, name, function)
    return calls


def test_compile_resets_and_make_builds_once():
    model = _model()
    assert (model.train_function, model.test_function, model.predict_function) == (None,) * 3
    # as Keras: building returns None, a kept function is returned
    assert model.make_train_function() is None
    train = model.train_function
    assert callable(train)
    assert model.make_train_function() is train
    assert model.make_train_function(force=True) is None and model.train_function is not train
    assert model.make_test_function() is None and model.make_predict_function() is None
    test, predict = model.test_function, model.predict_function
    assert model.make_test_function() is test and model.make_predict_function() is predict
    model.compile("sgd", "mse")
    assert (model.train_function, model.test_function, model.predict_function) == (None,) * 3


def test_fit_calls_the_train_function_once_per_group_of_steps():
    # as Keras: 5 batches with steps_per_execution=3 make two calls per epoch, and
    # the batch callbacks run around each call
    model = _model(steps_per_execution=3)
    model.make_train_function()
    calls = _counting(model, "train_function")
    seen = []
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(("begin", batch)))
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[callback])
    assert calls == [3, 2, 3, 2]
    assert seen == [("begin", 0), ("begin", 3)] * 2
    assert int(to_numpy(model.optimizer.iterations)) == 10


def test_a_user_function_replaces_the_steps():
    model = _model()
    logs_seen = []

    def train_function(data):
        batches = list(data)
        logs_seen.append(len(batches))
        return {"custom": 7.0}

    model.train_function = train_function
    history = model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    # logs of other keys than the metrics' are the epoch's logs (Keras's rule)
    assert history.history == {"custom": [7.0]} and logs_seen == [1, 1]
    assert model.train_on_batch(x, y) == 7.0
    # the weights never moved: the replaced function ran no step
    assert int(to_numpy(model.optimizer.iterations)) == 0
    model.test_function = lambda data: {"custom": 3.0}
    assert model.evaluate(x, y, verbose=0) == 3.0
    assert model.test_on_batch(x, y) == 3.0
    # compile() brings the model's own steps back
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    assert int(to_numpy(model.optimizer.iterations)) == 2


def test_evaluate_predict_and_the_batch_methods_go_through_the_functions():
    model = _model(steps_per_execution=2)
    model.make_test_function()
    model.make_predict_function()
    tests = _counting(model, "test_function")
    predicts = _counting(model, "predict_function")
    model.evaluate(x, y, batch_size=2, verbose=0)
    model.test_on_batch(x, y)
    out = model.predict(x, batch_size=2, verbose=0)
    model.predict_on_batch(x)
    assert tests == [2, 2, 1, 1] and predicts == [2, 2, 1, 1]
    np.testing.assert_allclose(out, to_numpy(model(x)), rtol=1e-6, atol=1e-6)


def test_the_train_function_runs_steps_per_execution_steps_of_an_iterator():
    model = _model(steps_per_execution=3)
    reference = _model()
    reference.set_weights(model.get_weights())
    data = iter(_batches())
    model.make_train_function()
    function = model.train_function
    logs = function(data)
    assert int(to_numpy(model.optimizer.iterations)) == 3
    reference.make_train_function()
    for batch in _batches()[:3]:
        reference_logs = reference.train_function([batch])
    # the logs of the last of the three steps: the mean loss so far
    assert set(logs) == set(reference_logs) == {"loss"}
    np.testing.assert_allclose(float(to_numpy(logs["loss"])),
                               float(to_numpy(reference_logs["loss"])), rtol=1e-6)
    function(data)  # the two batches left
    assert int(to_numpy(model.optimizer.iterations)) == 5
    with pytest.raises(StopIteration):
        function(data)
    for batch in _batches()[3:]:
        reference.train_function([batch])
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_the_predict_function_joins_the_outputs_of_its_steps():
    model = _model(steps_per_execution=3)
    model.make_predict_function()
    outputs = model.predict_function(iter([(b[0],) for b in _batches()]))
    assert tuple(outputs.shape) == (6, 2)
    np.testing.assert_allclose(to_numpy(outputs), to_numpy(model(x[:6])), rtol=1e-6, atol=1e-6)
    inputs = keras.Input((3,))
    dict_model = keras.Model(inputs, {"a": keras.layers.Dense(1)(inputs), "b": inputs})
    dict_model.compile(steps_per_execution=2)
    dict_model.make_predict_function()
    joined = dict_model.predict_function([(b[0],) for b in _batches(2)])
    assert tuple(joined["a"].shape) == (4, 1)
    np.testing.assert_allclose(to_numpy(joined["b"]), x[:4])


def test_force_rebuilds_after_a_change():
    model = _model(steps_per_execution=1)
    model.make_train_function()
    model.steps_per_execution = 2
    data = iter(_batches())
    model.train_function(data)
    assert int(to_numpy(model.optimizer.iterations)) == 1  # the kept function: one step
    model.make_train_function(force=True)
    model.train_function(data)
    assert int(to_numpy(model.optimizer.iterations)) == 3


def test_force_records_a_jit_compiled_step_again():
    model = _model(jit_compile=True)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    recorded = model._compiled_train_step
    assert recorded is not None
    model.make_train_function()
    assert model._compiled_train_step is recorded
    model.make_train_function(force=True)
    assert model._compiled_train_step is not recorded
    eager = _model(jit_compile=False)
    eager.make_train_function()
    assert eager._compiled_train_step is None
