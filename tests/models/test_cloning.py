"""`clone_model`: new weights, same architecture; clone and call functions, input
tensors, shared layers, nested models, compiled clones and errors."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops

X = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")


def _same_outputs_after_copying_weights(model, clone, x):
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def _functional():
    inputs = keras.Input((4,), name="features")
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    h = shared(shared(inputs))
    out = keras.layers.Dense(2, name="head")(ops.concatenate([h, inputs * 2.0], axis=-1))
    return keras.Model(inputs, out, name="net")


def test_a_sequential_clone_has_new_weights_and_the_same_architecture():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1)], name="seq")
    clone = keras.models.clone_model(model)
    assert isinstance(clone, keras.Sequential) and clone.name == "seq"
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    assert clone.input_shape == (None, 4)
    _same_outputs_after_copying_weights(model, clone, X)


def test_a_functional_clone_keeps_shared_layers_shared_and_operations():
    model = _functional()
    clone = keras.models.clone_model(model)
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert len(clone.weights) == len(model.weights) == 4
    assert clone.get_layer("shared") is not model.get_layer("shared")
    _same_outputs_after_copying_weights(model, clone, X)


def test_clone_function_may_change_or_share_layers():
    model = _functional()
    wider = keras.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config(
            {**layer.get_config(), "use_bias": False}))
    assert len(wider.weights) == 2
    same = keras.models.clone_model(model, clone_function=lambda layer: layer)
    assert same.get_layer("head") is model.get_layer("head")
    np.testing.assert_array_equal(same.predict(X, verbose=0), model.predict(X, verbose=0))


def test_call_function_wraps_every_layer_call():
    model = _functional()
    calls = []

    def doubled(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs) * 2.0

    clone = keras.models.clone_model(model, clone_function=lambda layer: layer,
                                     call_function=doubled)
    assert calls == ["shared", "shared", "head"]
    h = np.tanh(np.tanh(X @ _w(model, "shared", 0) + _w(model, "shared", 1)) * 2.0
                @ _w(model, "shared", 0) + _w(model, "shared", 1)) * 2.0
    expected = (np.concatenate([h, X * 2.0], -1) @ _w(model, "head", 0) + _w(model, "head", 1))
    np.testing.assert_allclose(clone.predict(X, verbose=0), expected * 2.0, rtol=1e-5,
                               atol=1e-6)


def _w(model, name, i):
    return np.asarray(model.get_layer(name).get_weights()[i], dtype="float64")


def test_the_clone_is_built_on_given_input_tensors():
    model = _functional()
    new_input = keras.Input((4,), name="other")
    clone = keras.models.clone_model(model, input_tensors=new_input)
    assert clone.inputs[0] is new_input
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    seq_clone = keras.models.clone_model(seq, input_tensors=[new_input])
    assert seq_clone.inputs[0] is new_input
    _same_outputs_after_copying_weights(seq, seq_clone, X)


def test_recursive_clones_the_layers_of_nested_models():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner_dense")],
                             name="inner")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1, name="top")(inner(inputs)))
    seen = []

    def record(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    keras.models.clone_model(model, clone_function=record)
    assert seen == ["inner", "top"]
    seen.clear()
    clone = keras.models.clone_model(model, clone_function=record, recursive=True)
    assert seen == ["inner_dense", "top"]
    _same_outputs_after_copying_weights(model, clone, X)


def test_a_compiled_model_gives_a_compiled_clone_with_its_own_optimizer():
    model = _functional()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    clone = keras.models.clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert type(clone.optimizer) is keras.optimizers.Adam
    assert clone.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    logs = clone.fit(X, X[:, :2], epochs=1, verbose=0).history
    assert set(logs) == {"loss", "mae"}


def test_dict_inputs_are_cloned_in_their_structure():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    model = keras.Model({"a": a, "b": b}, out)
    clone = keras.models.clone_model(model)
    assert sorted(clone.input) == ["a", "b"]
    _same_outputs_after_copying_weights(model, clone, {"a": X, "b": X[:, :2]})


def test_bad_arguments_are_refused():
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="call_function` needs a functional model"):
        keras.models.clone_model(seq, call_function=lambda layer, *a, **k: layer(*a, **k))
    with pytest.raises(ValueError, match="unexpected arguments"):
        keras.models.clone_model(seq, copy_weights=True)
    with pytest.raises(ValueError, match="must be callable"):
        keras.models.clone_model(seq, clone_function="dense")
    with pytest.raises(ValueError, match="structure of model.input"):
        keras.models.clone_model(_functional(), input_tensors=[keras.Input((4,)),
                                                               keras.Input((4,))])

    class Sub(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="only be cloned from its config"):
        keras.models.clone_model(Sub(), clone_function=lambda layer: layer)
