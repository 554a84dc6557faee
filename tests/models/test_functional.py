"""The functional API: graphs of layer calls, shared layers, nested models, structure,
errors at construction time, and Keras 3's config format."""

import json
import os

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.models.functional import Functional
from kerasx.testing import float64
from kerasx.utils.summary_functional import connected_to

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(5)


def _np(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


# -- building and calling -------------------------------------------------------------------
def test_functional_equals_sequential_with_same_weights():
    inputs = kerasx.Input((6,))
    x = layers.Dense(8, activation="relu")(inputs)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    functional = kerasx.Model(inputs, outputs)
    sequential = kerasx.Sequential([kerasx.Input((6,)), layers.Dense(8, activation="relu"),
                                    layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
    assert [w.shape for w in functional.weights] == [w.shape for w in sequential.weights]
    sequential.set_weights(functional.get_weights())
    x = rng.standard_normal((10, 6)).astype(np.float32)
    np.testing.assert_array_equal(functional.predict(x, verbose=0), sequential.predict(x, verbose=0))
    np.testing.assert_array_equal(_np(functional(x)), _np(sequential(x)))


def test_structure_properties_and_layer_order():
    a, b = kerasx.Input((4,), name="a"), kerasx.Input((4,), name="b")
    shared = layers.Dense(3, name="d")
    xa, xb = shared(a), shared(b)
    added = layers.Add(name="add")([xa, xb])
    joined = layers.Concatenate(name="concatenate")([added, xa])
    out = layers.Dropout(0.5, name="dropout")(joined)
    model = kerasx.Model([a, b], {"o1": added, "o2": out}, name="m")
    # The order Keras 3 gives for this graph (inputs, then by depth).
    assert [l.name for l in model.layers] == ["a", "b", "d", "add", "concatenate", "dropout"]
    assert model.inputs == [a, b] and model.input == [a, b]
    assert model.outputs == [added, out] and model.output == {"o1": added, "o2": out}
    # Keras 3 names dict outputs by their layers, in the order of the sorted keys
    assert model.output_names == ["add", "dropout"] and model.input_names == ["a", "b"]
    assert model.output_shape == [(None, 3), (None, 6)]
    assert model.get_layer("add") is model.layers[3]
    assert model.get_layer(index=2) is shared and model.get_layer(index=-1).name == "dropout"
    assert len(model.weights) == 2  # the shared layer's kernel and bias, once
    assert connected_to(model) == ["-", "-", "a[0][0], b[0][0]", "d[0][0], d[1][0]",
                                   "add[0][0], d[0][0]", "concatenate[0][0]"]
    assert shared.output is xa  # a shared layer answers for its first call, as in Keras


def test_get_layer_errors():
    inputs = kerasx.Input((2,))
    model = kerasx.Model(inputs, layers.Dense(1, name="only")(inputs))
    with pytest.raises(ValueError, match=r"No such layer: 'nope'.*\['input_layer', 'only'\]"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match=r"index 5 .* has 2 layers"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match=r"name or an index, not both"):
        model.get_layer("only", index=0)


def test_multiple_inputs_and_outputs_lists_and_dicts(backend):
    a, b = kerasx.Input((3,), name="left"), kerasx.Input((2,), name="right")
    joined = layers.concatenate([layers.Dense(4, name="da")(a), b])
    out1 = layers.Dense(2, name="first")(joined)
    out2 = layers.Dense(1, name="second")(joined)
    xa = rng.standard_normal((5, 3)).astype(np.float32)
    xb = rng.standard_normal((5, 2)).astype(np.float32)
    as_list = kerasx.Model([a, b], [out1, out2])
    as_dict = kerasx.Model({"left": a, "right": b}, {"p": out1, "q": out2})
    p_list = as_list.predict([xa, xb], verbose=0)
    p_dict = as_dict.predict({"right": xb, "left": xa}, verbose=0)
    assert isinstance(p_list, list) and set(p_dict) == {"p", "q"}
    np.testing.assert_array_equal(p_list[0], p_dict["p"])
    np.testing.assert_array_equal(p_list[1], p_dict["q"])
    # A list model also takes a dict keyed by Input names.
    np.testing.assert_array_equal(_np(as_list({"left": xa, "right": xb})[1]), p_list[1])
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['left', 'right'\] but received 1"):
        as_list(xa)
    with pytest.raises(ValueError, match=r"missing \['right'\]"):
        as_dict({"left": xa})
    with pytest.raises(ValueError, match=r"Input 'right' .* expected shape \(None, 2\), found shape \(5, 3\)"):
        as_list([xa, xa])


def test_single_output_list_is_unpacked_and_inputs_adjusted():
    inputs = kerasx.Input((3, 1))
    model = kerasx.Model(inputs, [layers.Flatten()(inputs)])
    x = rng.standard_normal((2, 3)).astype(np.float32)
    out = model(x)  # a missing trailing axis of size 1 is added, as Keras does
    np.testing.assert_allclose(_np(out), x)


def test_integer_inputs_keep_their_dtype():
    ids = kerasx.Input((3,), dtype="int32")
    model = kerasx.Model(ids, layers.Embedding(10, 2)(ids))
    assert model.outputs[0].dtype == "float32"
    out = model.predict(np.array([[1, 2, 3]]), verbose=0)
    assert out.shape == (1, 3, 2)


def test_training_flag_reaches_layers():
    inputs = kerasx.Input((200,))
    model = kerasx.Model(inputs, layers.Dropout(0.5)(inputs))
    x = np.ones((4, 200), dtype=np.float32)
    np.testing.assert_array_equal(_np(model(x)), x)
    dropped = _np(model(x, training=True))
    assert 0.3 < (dropped == 0).mean() < 0.7
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


# -- shared layers ----------------------------------------------------------------------------
def _shared_model():
    a, b = kerasx.Input((3,), name="a"), kerasx.Input((3,), name="b")
    shared = layers.Dense(2, activation="tanh", name="shared")
    out = layers.Add()([shared(a), layers.Multiply()([shared(b), shared(a)])])
    return kerasx.Model([a, b], out), shared


def test_shared_layer_accumulates_gradients_of_every_call(backend):
    with float64():
        model, shared = _shared_model()
        xa = backend.asarray(rng.standard_normal((4, 3)))
        xb = backend.asarray(rng.standard_normal((4, 3)))
        proj = backend.asarray(rng.standard_normal((4, 2)))
        assert model.trainable_weights == [shared.kernel, shared.bias]

        def loss_value():
            return kerasx.ops.sum(kerasx.ops.multiply(model([xa, xb]), proj))

        with kerasx.GradientTape() as tape:
            loss = loss_value()
        grads = [backend.to_numpy(g) for g in tape.gradient(loss, model.trainable_weights)]

        # Manual sum: the same loss written out with one differentiated call at a time.
        def by_hand(which):
            with kerasx.GradientTape() as tape:
                fa, fb = shared(xa), shared(xb)
                stop = kerasx.ops.stop_gradient
                parts = {"a1": (fa, stop(fb), stop(fa)), "b": (stop(fa), fb, stop(fa)),
                         "a2": (stop(fa), stop(fb), fa)}[which]
                out = parts[0] + parts[1] * parts[2]
                value = kerasx.ops.sum(kerasx.ops.multiply(out, proj))
            return [backend.to_numpy(g) for g in tape.gradient(value, model.trainable_weights)]

        manual = [sum(g) for g in zip(*(by_hand(w) for w in ("a1", "b", "a2")))]
        for got, want in zip(grads, manual):
            np.testing.assert_allclose(got, want, rtol=1e-10)

        # And central finite differences on every kernel entry.
        kernel = shared.kernel
        base = backend.to_numpy(kernel.value).copy()
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            values = []
            for eps in (1e-6, -1e-6):
                trial = base.copy()
                trial[idx] += eps
                kernel.assign(backend.asarray(trial))
                values.append(float(backend.to_numpy(loss_value().value)))
            numeric[idx] = (values[0] - values[1]) / 2e-6
        kernel.assign(backend.asarray(base))
        np.testing.assert_allclose(grads[0], numeric, rtol=1e-6, atol=1e-8)


# -- nested models ----------------------------------------------------------------------------
def test_nested_model_trains_inside_another():
    inner_in = kerasx.Input((4,))
    inner = kerasx.Model(inner_in, layers.Dense(3, activation="relu", name="encoder")(inner_in),
                         name="inner")
    a, b = kerasx.Input((4,), name="a"), kerasx.Input((4,), name="b")
    diff = layers.Subtract()([inner(a), inner(b)])  # the nested model is shared too
    outer = kerasx.Model([a, b], layers.Dense(1, name="head")(diff), name="outer")
    assert [l.name for l in outer.layers] == ["a", "b", "inner", "subtract", "head"]
    assert len(outer.trainable_weights) == 4
    assert connected_to(outer)[2] == "a[0][0], b[0][0]"
    assert outer.get_config()["layers"][3]["inbound_nodes"][0]["args"][0][0]["config"][
        "keras_history"] == ["inner", 0, 0]  # Keras 3.15.1 counts a nested model's calls from 0
    xa = rng.standard_normal((64, 4)).astype(np.float32)
    xb = rng.standard_normal((64, 4)).astype(np.float32)
    y = (xa - xb)[:, :1] * 2.0
    before = [w.copy() for w in inner.get_weights()]
    outer.compile(optimizer=kerasx.optimizers.Adam(0.02), loss="mse")
    history = outer.fit([xa, xb], y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert not np.allclose(before[0], inner.get_weights()[0])
    # The nested model still works on its own with the trained weights.
    np.testing.assert_allclose(inner.predict(xa, verbose=0),
                               np.maximum(xa @ inner.get_weights()[0] + inner.get_weights()[1], 0),
                               rtol=1e-5, atol=1e-6)


def test_sequential_nested_in_functional_and_feature_extraction():
    backbone = kerasx.Sequential([kerasx.Input((5,)), layers.Dense(4, activation="relu", name="h1"),
                                  layers.Dense(2, name="h2")], name="backbone")
    inputs = kerasx.Input((5,))
    model = kerasx.Model(inputs, layers.Dense(1)(backbone(inputs)))
    x = rng.standard_normal((3, 5)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (3, 1)
    features = kerasx.Model(backbone.inputs, backbone.get_layer("h1").output)
    w, bias = backbone.get_layer("h1").get_weights()
    np.testing.assert_allclose(features.predict(x, verbose=0), np.maximum(x @ w + bias, 0),
                               rtol=1e-5, atol=1e-6)


def test_model_on_intermediate_tensors():
    inputs = kerasx.Input((4,), name="raw")
    hidden = layers.Dense(3, name="hidden")(inputs)
    out = layers.Dense(2, name="top")(hidden)
    full = kerasx.Model(inputs, out)
    head = kerasx.Model(hidden, out)  # starts from an intermediate tensor, as Keras allows
    assert [type(l).__name__ for l in head.layers] == ["InputLayer", "Dense"]
    # Keras 3.15.1 names the new input after the tensor: `keras_tensor` (unnamed) + CLONE
    assert head.layers[0].name == f"{hidden.name}CLONE" == "keras_tensorCLONE"
    h = rng.standard_normal((2, 3)).astype(np.float32)
    w, b = full.get_layer("top").get_weights()
    np.testing.assert_allclose(head.predict(h, verbose=0), h @ w + b, rtol=1e-5, atol=1e-6)
    config = head.get_config()
    assert config["input_layers"] == ["keras_tensorCLONE", 0, 0]
    assert config["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == [
        "keras_tensorCLONE", 0, 0]


def test_functional_subclass_with_extra_methods():
    class Scorer(kerasx.Model):
        def __init__(self, **kwargs):
            inputs = kerasx.Input((3,))
            super().__init__(inputs, layers.Dense(1)(inputs), **kwargs)

        def score(self, x):
            return float(self.predict(x, verbose=0).sum())

    model = Scorer(name="scorer")
    assert isinstance(model, Functional) and isinstance(model, Scorer)
    assert model.name == "scorer" and len(model.layers) == 2
    x = np.ones((2, 3), dtype=np.float32)
    assert model.score(x) == pytest.approx(float(model.predict(x, verbose=0).sum()))


# -- errors at construction time --------------------------------------------------------------
class _NeedsSequences(kerasx.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = kerasx.layers.InputSpec(ndim=3)

    def call(self, inputs):
        return inputs


def test_wrong_rank_fails_when_the_layer_is_called():
    inputs = kerasx.Input((4,))
    with pytest.raises(ValueError, match=r"Input 0 of layer 'seq' is incompatible with the layer: "
                                         r"expected ndim=3, found ndim=2. Full shape received: "
                                         r"\(None, 4\)"):
        _NeedsSequences(name="seq")(inputs)
    with pytest.raises(ValueError, match=r"Layer 'conv' \(Conv2D\) cannot be called on inputs of "
                                         r"shape \(None, 4\).*rank 4"):
        layers.Conv2D(2, 3, name="conv")(inputs)


def test_shared_layer_on_wrong_feature_size_fails_at_construction():
    shared = layers.Dense(2, name="shared")
    shared(kerasx.Input((4,)))
    with pytest.raises(ValueError, match=r"Layer 'shared' \(Dense\) cannot be called on inputs of "
                                         r"shape \(None, 5\).*last dimension 4"):
        shared(kerasx.Input((5,)))


def test_outputs_not_computed_from_inputs():
    a, b = kerasx.Input((3,), name="a"), kerasx.Input((3,), name="b")
    out = layers.Dense(1, name="head")(b)
    with pytest.raises(ValueError, match=r"Graph disconnected: the outputs depend on Input 'b' "
                                         r"\(used by layer 'head'\), which is not one of the "
                                         r"model's inputs \['a'\]"):
        kerasx.Model(a, out)
    both = layers.Add()([layers.Dense(2)(a), layers.Dense(2)(b)])
    with pytest.raises(ValueError, match=r"Graph disconnected.*Input 'b'"):
        kerasx.Model(a, both)


def test_duplicate_layer_names():
    inputs = kerasx.Input((3,))
    x = layers.Dense(2, name="twin")(inputs)
    out = layers.Dense(2, name="twin")(x)
    with pytest.raises(ValueError, match=r"The layer names \['twin'\] are used by more than one "
                                         r"layer.*unique name"):
        kerasx.Model(inputs, out)


def test_bad_model_arguments():
    inputs = kerasx.Input((3,))
    with pytest.raises(ValueError, match=r"expects symbolic tensors .* in `outputs`, but received "
                                        r"ndarray"):
        kerasx.Model(inputs, np.zeros(3))
    with pytest.raises(ValueError, match=r"in `inputs`, but received Dense"):
        kerasx.Model(layers.Dense(2), inputs)
    with pytest.raises(ValueError, match=r"needs `shape`.*or `batch_shape`"):
        kerasx.Input()
    with pytest.raises(ValueError, match=r"more than once in `inputs`"):
        kerasx.Model([inputs, inputs], inputs)
    with pytest.raises(TypeError, match=r"symbolic KerasTensor has no value"):
        bool(inputs)
    with pytest.raises(ValueError, match=r"kerasx\.ops\.add cannot be applied to the symbolic "
                                         r"arguments"):
        inputs + kerasx.Input((4,))


def test_trainable_false_freezes_every_layer():
    inputs = kerasx.Input((3,))
    hidden = layers.Dense(4)
    model = kerasx.Model(inputs, layers.Dense(1)(hidden(inputs)), trainable=False)
    assert model.trainable_weights == [] and not hidden.trainable
    assert len(model.non_trainable_weights) == 4


def test_unused_input_is_kept_like_keras():
    a, b = kerasx.Input((3,), name="a"), kerasx.Input((2,), name="b")
    model = kerasx.Model([a, b], layers.Dense(1, name="head")(a))
    assert [l.name for l in model.layers] == ["a", "b", "head"]
    out = model.predict([np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)], verbose=0)
    assert out.shape == (2, 1)


# -- configs ----------------------------------------------------------------------------------
def _fixture():
    with open(os.path.join(HERE, "keras_functional_fixture.json")) as f:
        return json.load(f)


def test_reads_a_real_keras_config_and_gives_keras_predictions():
    fixture = _fixture()
    model = Functional.from_config(fixture["config"])
    assert [l.name for l in model.layers] == fixture["layer_names"]
    model.set_weights([np.asarray(w, dtype=np.float32) for w in fixture["weights"]])
    out = model.predict([np.asarray(x, dtype=np.float32) for x in fixture["inputs"]], verbose=0)
    for key, expected in fixture["outputs"].items():
        np.testing.assert_allclose(out[key], np.asarray(expected), rtol=1e-5, atol=1e-6)
    again = kerasx.Model.from_config(fixture["config"])
    assert isinstance(again, Functional)


def test_config_has_keras_structure_and_round_trips():
    fixture = _fixture()
    model = Functional.from_config(fixture["config"])
    config = json.loads(json.dumps(model.get_config()))
    keras_config = fixture["config"]
    assert set(config) == set(keras_config)
    assert config["input_layers"] == keras_config["input_layers"]
    assert config["output_layers"] == keras_config["output_layers"]
    for ours, theirs in zip(config["layers"], keras_config["layers"]):
        assert ours["name"] == theirs["name"] and ours["class_name"] == theirs["class_name"]
        assert ours["inbound_nodes"] == theirs["inbound_nodes"]
        if theirs["class_name"] == "InputLayer":
            assert ours["config"] == theirs["config"]
    rebuilt = Functional.from_config(config)
    rebuilt.set_weights(model.get_weights())
    x = [rng.standard_normal((4, 4)).astype(np.float32) for _ in range(2)]
    for key, value in model.predict(x, verbose=0).items():
        np.testing.assert_array_equal(rebuilt.predict(x, verbose=0)[key], value)


def test_nested_model_config_round_trip():
    inner_in = kerasx.Input((3,), name="inner_in")
    inner = kerasx.Model(inner_in, [layers.Dense(2, name="p")(inner_in),
                                    layers.Dense(1, name="q")(inner_in)], name="inner")
    inputs = kerasx.Input((3,), name="x")
    p, q = inner(inputs)
    outer = kerasx.Model(inputs, layers.Concatenate(name="cat")([p, q]), name="outer")
    config = outer.get_config()
    assert config["input_layers"] == ["x", 0, 0]
    assert config["output_layers"] == ["cat", 0, 0]
    refs = [a["config"]["keras_history"] for a in config["layers"][2]["inbound_nodes"][0]["args"][0]]
    assert refs == [["inner", 0, 0], ["inner", 0, 1]]  # as Keras 3.15.1 writes them
    rebuilt = Functional.from_config(json.loads(json.dumps(config)))
    rebuilt.set_weights(outer.get_weights())
    x = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), outer.predict(x, verbose=0))


def test_functional_subclass_config_uses_its_own_constructor():
    class Head(kerasx.Model):
        def __init__(self, units=2, **kwargs):
            inputs = kerasx.Input((3,))
            super().__init__(inputs, layers.Dense(units)(inputs), **kwargs)

    model = Head(name="head")
    config = model.get_config()
    assert config == {"name": "head", "trainable": True,  # Keras adds its dtype policy
                      "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                "config": {"name": "float32"}, "registered_name": None}}
    rebuilt = type(model).from_config(config)
    assert rebuilt.name == "head" and rebuilt.output_shape == (None, 2)


def test_a_trailing_axis_of_size_one_is_added_or_dropped_as_in_keras():
    inputs = kerasx.Input((1,))
    model = kerasx.Model(inputs, layers.Dense(2)(inputs))
    column = np.arange(3, dtype="float32")
    # fit / predict take a (n,) column for Input((1,)), as Keras's functional models do
    np.testing.assert_allclose(model.predict(column, verbose=0),
                               model.predict(column[:, None], verbose=0))
    model.compile("sgd", "mse")
    model.fit(column, np.zeros((3, 2)), verbose=0)
    wide_inputs = kerasx.Input((3,))
    wide = kerasx.Model(wide_inputs, layers.Dense(2)(wide_inputs))
    assert wide.predict(np.ones((4, 3, 1)), verbose=0).shape == (4, 2)
    with pytest.raises(ValueError, match="expects inputs of shape"):
        wide.predict(np.ones((4, 3, 2)), verbose=0)


def test_a_string_column_is_given_its_trailing_axis():
    words = kerasx.Input((1,), dtype="string")
    model = kerasx.Model(words, layers.StringLookup(vocabulary=["a", "b"])(words))
    expected = [[1], [2], [0]]
    np.testing.assert_array_equal(kerasx.ops.convert_to_numpy(model(np.array(["a", "b", "c"]))),
                                  expected)
    np.testing.assert_array_equal(model.predict(np.array(["a", "b", "c"]), verbose=0), expected)
