"""`evaluate`, `predict` and the `*_on_batch` methods: every argument has its effect."""

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import Recorder, classifier, copy_weights, make_data


def _manual_loss(model, x, y, sample_weight=None):
    probs = model.predict(x, verbose=0).astype("float64")
    per_sample = -np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0))
    if sample_weight is not None:
        per_sample = per_sample * sample_weight
    return per_sample.mean()


def test_evaluate_returns_loss_then_metrics_or_a_dict():
    x, y = make_data(n=50)
    model = classifier()
    values = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss"]
    assert values == [logs["loss"], logs["accuracy"]]
    assert logs["loss"] == pytest.approx(_manual_loss(model, x, y), rel=1e-5)
    accuracy = (model.predict(x, verbose=0).argmax(-1) == y).mean()
    assert logs["accuracy"] == pytest.approx(accuracy, rel=1e-6)
    only_loss = classifier(metrics=None)
    assert isinstance(only_loss.evaluate(x, y, verbose=0), float)


def test_evaluate_batch_size_and_steps():
    x, y = make_data(n=50)
    model = classifier()
    rec = Recorder()
    full = model.evaluate(x, y, batch_size=7, verbose=0, callbacks=[rec])
    assert rec.names().count("on_test_batch_end") == 8
    assert full == pytest.approx(model.evaluate(x, y, batch_size=50, verbose=0), rel=1e-6)
    partial = model.evaluate(x, y, batch_size=10, steps=2, verbose=0)
    assert partial == pytest.approx(model.evaluate(x[:20], y[:20], verbose=0), rel=1e-6)


def test_evaluate_sample_weight():
    x, y = make_data(n=40)
    sw = np.linspace(0.0, 3.0, 40).astype("float32")
    model = classifier(metrics=None)
    weighted = model.evaluate(x, y, sample_weight=sw, verbose=0)
    assert weighted == pytest.approx(_manual_loss(model, x, y, sw), rel=1e-5)
    assert weighted != pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-3)


def test_evaluate_callbacks_see_the_test_hooks():
    x, y = make_data(n=40)
    rec = Recorder()
    logs = classifier().evaluate(x, y, batch_size=20, verbose=0, callbacks=[rec],
                                 return_dict=True)
    assert rec.names() == ["on_test_begin", "on_test_batch_begin", "on_test_batch_end",
                           "on_test_batch_begin", "on_test_batch_end", "on_test_end"]
    assert rec.logs_of("on_test_end")[0] == logs
    assert rec.params == {"verbose": 0, "epochs": 1, "steps": 2}


def test_predict_batch_size_steps_and_callbacks():
    x, y = make_data(n=45)
    model = classifier()
    rec = Recorder()
    predictions = model.predict(x, batch_size=10, verbose=0, callbacks=[rec])
    assert predictions.shape == (45, 3) and isinstance(predictions, np.ndarray)
    np.testing.assert_allclose(predictions.sum(-1), 1.0, rtol=1e-5)
    assert rec.names().count("on_predict_batch_end") == 5
    outputs = rec.logs_of("on_predict_batch_end")
    assert [o["outputs"].shape[0] for o in outputs] == [10, 10, 10, 10, 5]
    np.testing.assert_allclose(model.predict(x, batch_size=45, verbose=0), predictions, rtol=1e-6)
    first = model.predict(x, batch_size=10, steps=2, verbose=0)
    np.testing.assert_allclose(first, predictions[:20], rtol=1e-6)


def test_predict_does_not_need_compile_and_returns_each_output():
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(5)(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2, name="a")(hidden),
                                 keras.layers.Dense(1, name="b")(hidden)])
    x, _ = make_data(n=25)
    out = model.predict(x, batch_size=10, verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(25, 2), (25, 1)]
    whole = model.predict(x, batch_size=25, verbose=0)
    for a, b in zip(out, whole):  # cuBLAS may sum in another order for another batch size
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_train_on_batch_is_one_sgd_step_and_resets_metrics():
    x, y = make_data(n=16)
    model = classifier(lr=0.5)
    twin = copy_weights(model, classifier(lr=0.5))
    values = model.train_on_batch(x, y)
    twin.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert isinstance(values, list) and len(values) == 2
    logs = model.train_on_batch(x, y, return_dict=True)
    assert list(logs) == ["accuracy", "loss"]
    assert model.optimizer.iterations == 2


def test_train_on_batch_class_weight_and_sample_weight():
    x, y = make_data(n=16)
    base = classifier(lr=1.0, metrics=None)
    a = copy_weights(base, classifier(lr=1.0, metrics=None))
    b = copy_weights(base, classifier(lr=1.0, metrics=None))
    a.train_on_batch(x, y, class_weight={0: 2.0, 1: 1.0, 2: 0.5})
    b.train_on_batch(x, y, sample_weight=np.array([2.0, 1.0, 0.5], "float32")[y])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_test_on_batch_and_predict_on_batch():
    x, y = make_data(n=16)
    model = classifier()
    assert model.test_on_batch(x, y, return_dict=True) == model.evaluate(
        x, y, batch_size=16, verbose=0, return_dict=True)
    before = model.get_weights()
    model.test_on_batch(x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("stacked", [False, True])
def test_host_logs_are_python_floats_read_one_by_one_or_stacked(stacked, monkeypatch):
    from kerasx.backends import current

    x, y = make_data(n=16)
    model = classifier(metrics=("accuracy", keras.metrics.SparseTopKCategoricalAccuracy(2)))
    reference = model.evaluate(x, y, verbose=0, return_dict=True)
    monkeypatch.setattr(current(), "host_reads_sync", stacked)
    logs = model.test_on_batch(x, y, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "sparse_top_k_categorical_accuracy"]
    assert all(type(v) is float for v in logs.values())
    assert logs == pytest.approx(reference, rel=1e-6)
    probs = model.predict(x, verbose=0)
    assert logs["accuracy"] == pytest.approx((probs.argmax(-1) == y).mean())
