"""Keras 3 names around the layers: top-level classes, `keras.backend`, `keras.utils`
helpers, and models to and from JSON."""

import json

import numpy as np
import pytest

import kerasx as keras


def test_top_level_names_are_the_base_classes():
    assert keras.Loss is keras.losses.Loss and keras.Metric is keras.metrics.Metric
    assert keras.Optimizer is keras.optimizers.Optimizer
    assert keras.Initializer is keras.initializers.Initializer
    assert keras.Regularizer is keras.regularizers.Regularizer
    assert keras.KerasTensor is keras.layers.KerasTensor
    assert keras.version() == keras.__version__
    assert isinstance(keras.Input((3,)), keras.KerasTensor)


def test_a_custom_loss_subclassing_the_top_level_loss_trains():
    class Scaled(keras.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1) * 2.0

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=Scaled())
    x = np.ones((8, 3), "float32")
    history = model.fit(x, np.zeros((8, 1), "float32"), epochs=3, verbose=0).history["loss"]
    assert history[-1] < history[0]


@pytest.mark.parametrize("dtype, name", [
    (None, "float32"), (float, "float32"), (int, "int32"), (bool, "bool"), ("int8", "int8"),
    (np.float64, "float64"), (np.dtype("uint16"), "uint16"),
])
def test_standardize_dtype(dtype, name):
    assert keras.backend.standardize_dtype(dtype) == name


def test_backend_dtype_predicates_and_errors():
    b = keras.backend
    assert b.is_float_dtype("float16") and b.is_float_dtype(np.float32)
    assert not b.is_float_dtype("int32") and b.is_int_dtype("uint8")
    assert not b.is_int_dtype(bool) and not b.is_int_dtype("float64")
    with pytest.raises(ValueError, match="Invalid dtype: 'double'"):
        b.standardize_dtype("double")
    assert b.is_keras_tensor(keras.Input((2,))) and not b.is_keras_tensor(np.ones(2))
    assert b.floatx() == "float32" and b.epsilon() == 1e-7 and b.backend() == keras.config.backend()


def test_clear_session_restarts_layer_names():
    keras.backend.clear_session()
    assert keras.layers.Dense(2).name == "dense" and keras.layers.Dense(2).name == "dense_1"
    keras.backend.clear_session()
    assert keras.layers.Dense(2).name == "dense"


def test_pack_and_unpack_x_y_sample_weight():
    u = keras.utils
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert u.pack_x_y_sample_weight(x) is x
    assert u.pack_x_y_sample_weight((x, x)) == ((x, x),)
    assert u.pack_x_y_sample_weight(x, y) == (x, y)
    assert u.pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert u.unpack_x_y_sample_weight(x) == (x, None, None)
    assert u.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert u.unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    with pytest.raises(ValueError, match="4 entries"):
        u.unpack_x_y_sample_weight((x, y, w, w))


def test_utils_registers_custom_objects_under_the_keras_utils_names():
    @keras.utils.register_keras_serializable(package="surface")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    assert keras.utils.get_registered_name(Twice) == "surface>Twice"
    assert keras.utils.get_custom_objects()["surface>Twice"] is Twice
    config = keras.utils.serialize_keras_object(Twice())
    assert isinstance(keras.utils.deserialize_keras_object(config), Twice)


def test_a_model_goes_to_json_and_back_without_its_weights():
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(outputs))
    text = model.to_json(indent=1)
    assert json.loads(text)["class_name"] == "Functional"
    again = keras.models.model_from_json(text)
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert [tuple(w.shape) for w in again.weights] == [tuple(w.shape) for w in model.weights]
    x = np.ones((2, 4), "float32")
    assert again.predict(x, verbose=0).shape == (2, 1)
    with pytest.raises(ValueError, match="could not be read as JSON"):
        keras.models.model_from_json("{not json")


def test_save_model_writes_what_load_model_reads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = tmp_path / "m.keras"
    keras.models.save_model(model, path)
    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0))


def test_clear_session_free_memory_collects_garbage(monkeypatch):
    import gc
    import sys

    callers = []  # only calls made by clear_session count: finalizers may collect too
    monkeypatch.setattr(gc, "collect",
                        lambda *a: callers.append(sys._getframe(1).f_code.co_name) or 0)
    keras.backend.clear_session(free_memory=False)
    assert "clear_session" not in callers
    keras.backend.clear_session()
    assert callers.count("clear_session") == 1


def test_layer_paths_are_those_of_keras():
    """Keras 3 gives these paths to the same model."""
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              keras.layers.Dropout(0.1), keras.layers.Dense(2)])
    inputs = keras.Input((3,))
    outer = keras.Model(inputs, keras.layers.Dense(2, name="head")(inner(inputs)), name="outer")
    assert [layer.path for layer in inner.layers] == ["sequential/dense", None,
                                                       "sequential/dense_1"]
    assert (inner.path, outer.path) == ("sequential", "outer")
    assert [layer.path for layer in outer.layers] == [None, "sequential", "head"]
    assert keras.layers.Dense(2).path is None  # not built yet


def test_ragged_and_sparse_tensors_are_refused_clearly():
    with pytest.raises(ValueError, match="ragged=True is not supported.*pad_sequences"):
        keras.Input((None,), ragged=True)
    with pytest.raises(ValueError, match="ragged=True is not supported"):
        keras.KerasTensor((None, 3), ragged=True)
    assert keras.Input((3,), ragged=False).shape == (None, 3)
    with pytest.raises(ValueError, match="no sparse or ragged tensors"):
        keras.ops.convert_to_tensor([1.0], sparse=True)
    assert keras.ops.convert_to_tensor([1.0], sparse=False, ragged=False).shape == (1,)
