"""A model built by its first call or `fit` keeps the first batch's shape, as in Keras 3.

Expected shapes are those Keras 3.15.1 (JAX backend) reported for the same code.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers

X = np.linspace(-1.0, 1.0, 50, dtype=np.float32).reshape(10, 5)
Y = np.linspace(0.0, 1.0, 20, dtype=np.float32).reshape(10, 2)


def _stack():
    return keras.Sequential([layers.Dense(3, name="d1"), layers.Dense(2, name="d2")])


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def _batches_of(rows):
    while True:
        yield X[:rows], Y[:rows]


class _Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(4)
        self.d2 = layers.Dense(2)

    def call(self, x):
        return self.d2(self.d1(x))


def test_a_sequential_built_by_its_first_call_keeps_the_batch_size():
    model = _stack()
    model(X[:4])
    assert model.input_shape == (4, 5) and model.output_shape == (4, 2)
    assert model.inputs[0].shape == (4, 5) and model.outputs[0].shape == (4, 2)
    assert model.layers[0].input.shape == (4, 5)
    config = model.get_config()
    assert tuple(config["build_input_shape"]) == (4, 5)
    assert tuple(config["layers"][0]["config"]["batch_shape"]) == (4, 5)
    assert "(4, 3)" in _summary(model) and "(4, 2)" in _summary(model)
    # another batch size still runs, before and after a save / load round trip
    expected = X[:7] @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy()
    expected = expected @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(X[:7])), expected, rtol=1e-5)


def test_the_batch_size_survives_a_save_load_round_trip(tmp_path):
    model = _stack()
    model(X[:4])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.input_shape == (4, 5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(X[:7])),
                               keras.ops.convert_to_numpy(model(X[:7])), rtol=1e-6)


@pytest.mark.parametrize("run, expected", [
    # Keras 3.15.1 gave these shapes: the first batch's rows
    (lambda m: m.fit(X, Y, batch_size=4, verbose=0), (4, 5)),
    (lambda m: m.fit(X, Y, validation_split=0.2, verbose=0), (8, 5)),
    (lambda m: m.fit(X, Y, steps_per_epoch=5, verbose=0), (2, 5)),
    (lambda m: m.evaluate(X, Y, batch_size=3, verbose=0), (3, 5)),
    (lambda m: m.predict(X, verbose=0), (10, 5)),
    (lambda m: m.train_on_batch(X[:6], Y[:6]), (6, 5)),
    (lambda m: m.fit(_batches_of(3), steps_per_epoch=2, verbose=0), (3, 5)),
])
def test_fit_evaluate_and_predict_build_on_the_first_batch(run, expected):
    model = _stack()
    model.compile("sgd", "mse")
    run(model)
    assert model.input_shape == expected


def test_a_subclassed_model_summary_shows_the_first_batch_of_fit():
    model = _Sub()
    model.compile("sgd", "mse")
    model.fit(X, Y, batch_size=4, verbose=0)
    text = _summary(model)
    # Keras 3.15.1: (4, 4) and (4, 2); the two-sample label check showed (2, ...)
    assert "(4, 4)" in text and "(4, 2)" in text and "(2, 4)" not in text


def test_a_model_built_by_a_call_exports_with_any_batch_size(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = keras.Sequential([layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2)])
    images = np.linspace(0.0, 1.0, 4 * 36, dtype=np.float32).reshape(4, 6, 6, 1)
    model(images)
    assert model.input_shape == (4, 6, 6, 1)
    model.export(str(tmp_path / "m.onnx"), verbose=False)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    assert session.get_inputs()[0].shape[0] == "batch"  # as Keras: a dynamic batch
    more = np.concatenate([images, images[:3]])
    got = session.run(None, {session.get_inputs()[0].name: more})[0]
    np.testing.assert_allclose(got, keras.ops.convert_to_numpy(model(more)), rtol=1e-5,
                               atol=1e-6)
