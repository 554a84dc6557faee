"""A third round of patterns from the keras.io vision and generative examples that once
behaved differently from Keras 3.

Each test is a small program reproducing what an example does (the attention-MIL layer's
symbolic outputs, Deep Dream's and neural style transfer's feature extractors built on
`model.inputs` and called on one image, RealNVP's coupling models called inside a
subclassed model), checked against what Keras 3 does with the same code.
"""

import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy

X = np.ones((2, 3), "float32")


# -- attention_mil_classification: symbolic tensors are named `keras_tensor_<n>` ------------------

def test_symbolic_tensors_are_named_and_shown_as_in_keras():
    keras.utils.clear_session()
    a = keras.Input((3,))
    b = keras.Input((3,), name="extra")
    h = layers.Dense(2)(a)
    pair = layers.LSTM(2, return_state=True)(keras.Input((4, 3)))
    s = ops.add(h, 1.0)
    # the names Keras 3.15.1 gives the same graph after clear_session()
    assert (a.name, b.name, h.name) == ("keras_tensor", "extra", "keras_tensor_1")
    assert [t.name for t in pair] == ["keras_tensor_3", "keras_tensor_4", "keras_tensor_5"]
    assert s.name == "keras_tensor_6"
    assert repr(h) == ("<KerasTensor shape=(None, 2), dtype=float32, sparse=False, "
                       "ragged=False, name=keras_tensor_1>")
    model = keras.Model([a, b], [h, b])
    assert [layer.name for layer in model.layers] == ["input_layer", "dense", "extra"]
    # a model started from an intermediate tensor names its new input after the tensor
    head = keras.Model(h, layers.Dense(1)(h))
    assert head.layers[0].name == "keras_tensor_1CLONE"


# -- forwardforward: build() called on a layer whose sublayers only its call builds --------------

class _FFDense(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x / (ops.norm(x, axis=1, keepdims=True) + 1e-4))


def test_an_explicit_build_without_a_build_method_warns_as_keras():
    layer = _FFDense(2)
    with pytest.warns(UserWarning, match=r"`build\(\)` was called on layer '.*', however the "
                                         r"layer does not have a `build\(\)` method"):
        layer.build((None, 3))
    assert layer.built and not layer.dense.built
    assert tuple(layer(X).shape) == (2, 2)  # the call still builds the sublayer


@pytest.mark.parametrize("build", [
    lambda: _FFDense(2)(X),  # the first call builds it
    lambda: _FFDense(2)(keras.Input((3,))),
    lambda: keras.Sequential([_FFDense(2)]).build((None, 3)),
    lambda: type("WithBuild", (_FFDense,), {"build": lambda self, s: self.dense.build(s)})(2)
    .build((None, 3)),
])
def test_builds_that_build_the_sublayers_do_not_warn(build):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build()


# -- deep_dream / neural_style_transfer: a model on `model.inputs` called on one image ------------

def _models():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    return {
        "list_of_one": keras.Model([a], layers.Dense(2)(a)),
        "one": keras.Model(a, layers.Dense(2)(a)),
        "pair": keras.Model([a, b], layers.Add()([a, b])),
        "dict": keras.Model({"a": a, "b": b}, layers.Add()([a, b])),
    }


# what Keras 3.15.1 warns for each call (None: no warning)
WARNED = [
    ("list_of_one", lambda: X, "Expected: ['a']\nReceived: inputs=Tensor(shape=(2, 3))"),
    ("list_of_one", lambda: keras.Variable(X), "Expected: ['a']"),
    ("list_of_one", lambda: ops.convert_to_tensor(X), None),
    ("list_of_one", lambda: (X,), None),
    ("one", lambda: [X], "Expected: a\nReceived: inputs=['Tensor(shape=(2, 3))']"),
    ("one", lambda: {"a": X}, "Expected: a\nReceived: inputs=['Tensor(shape=(2, 3))']"),
    ("one", lambda: ops.convert_to_tensor(X), None),
    ("pair", lambda: (X, X), None),
    ("pair", lambda: {"a": X, "b": X}, None),
    ("pair", lambda: {"a": X, "b": X, "c": X}, None),
    ("dict", lambda: [X, X], "Expected: {'a': 'a', 'b': 'b'}"),
    ("dict", lambda: {"b": X, "a": X}, None),
]


@pytest.mark.parametrize("name, make, expected", WARNED)
def test_calls_with_another_input_structure_warn_as_keras(name, make, expected):
    model = _models()[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model(make())
    messages = [str(w.message) for w in caught if "structure of `inputs`" in str(w.message)]
    if expected is None:
        assert messages == []
    else:
        assert len(messages) == 1
        assert messages[0].startswith("The structure of `inputs` doesn't match the expected "
                                      "structure.\nExpected: ")
        assert expected in messages[0]


def test_feature_extractor_on_model_inputs_returns_its_features_and_warns_once():
    inputs = keras.Input((None, None, 3))
    x = layers.Conv2D(2, 3, name="mixed4")(inputs)
    x = layers.Conv2D(2, 3, name="mixed5")(x)
    model = keras.Model(inputs, x)
    extractor = keras.Model(model.inputs, {n: model.get_layer(n).output
                                           for n in ("mixed4", "mixed5")})
    image = np.random.default_rng(0).uniform(size=(1, 7, 7, 3)).astype("float32")
    with pytest.warns(UserWarning, match="structure of `inputs`") as caught:
        features = extractor(image)
    assert sum("structure of `inputs`" in str(w.message) for w in caught) == 1
    np.testing.assert_allclose(to_numpy(features["mixed5"]), to_numpy(model(image)), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extractor([image])  # the structure it was built with
        extractor(keras.Input((None, None, 3)))  # symbolic calls are not checked
        keras.Model(model.inputs, model.outputs).predict(image, verbose=0)


def test_a_list_for_a_dict_of_inputs_out_of_sorted_order_is_refused():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model({"b": b, "a": a}, layers.Add()([a, b]))
    with pytest.raises(ValueError, match="structure of `inputs`"):
        model([X, X])
    np.testing.assert_allclose(to_numpy(model({"a": X, "b": 2 * X})), 3 * X)


def test_a_sequential_model_called_on_a_list_of_one_array():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    with pytest.warns(UserWarning, match="structure of `inputs`"):
        out = model([X])
    np.testing.assert_allclose(to_numpy(out), to_numpy(model(X)), rtol=1e-6)


# -- real_nvp: coupling models with two outputs called inside a subclassed model -----------------

def test_summary_shows_the_outputs_of_an_eagerly_called_functional_model_as_a_tuple():
    def coupling():
        inputs = keras.Input(shape=[2])
        return keras.Model(inputs, [layers.Dense(2, activation="tanh")(inputs),
                                    layers.Dense(2)(inputs)])

    class Flow(keras.Model):
        def __init__(self):
            super().__init__()
            self.layers_list = [coupling() for _ in range(2)]

        def call(self, x):
            for layer in self.layers_list:
                s, t = layer(x)
                x = x * ops.exp(s) + t
            return x

    model = Flow()
    model(X[:, :2])
    lines = []
    model.summary(print_fn=lambda line, line_break=True: lines.append(line))
    text = "\n".join(lines)
    # as Keras 3.15.1 prints it: the flat tuple of the model's own outputs
    assert text.count("((None, 2), (None, 2))") == 2
    assert "[(None, 2), (None, 2)]" not in text


# -- gaugan: a feature-matching loss over discriminator outputs of several shapes -----------------

class _FeatureMatchingLoss(keras.losses.Loss):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mae = keras.losses.MeanAbsoluteError()

    def call(self, y_true, y_pred):
        loss = 0
        for i in range(len(y_true) - 1):
            loss += self.mae(y_true[i], y_pred[i])
        return loss


def test_a_loss_subclass_gets_lists_of_tensors_leaf_by_leaf():
    rng = np.random.default_rng(0)
    real = [rng.normal(size=(2, 4, 4, 3)), rng.normal(size=(2, 2, 2, 5)), rng.normal(size=(2, 1))]
    fake = [rng.normal(size=s.shape) for s in real]
    value = _FeatureMatchingLoss()(real, [ops.convert_to_tensor(f) for f in fake])
    expected = sum(np.mean(np.abs(a.astype("float32") - b.astype("float32")))
                   for a, b in zip(real[:-1], fake[:-1]))
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)


def test_python_numbers_reach_a_loss_subclass_as_scalar_tensors_as_in_keras():
    class Seen(keras.losses.Loss):
        def call(self, y_true, y_pred):
            assert isinstance(y_pred, list) and [tuple(t.shape) for t in y_pred] == [(), ()]
            return sum(ops.abs(a - b) for a, b in zip(y_true, y_pred))

    # Keras 3.15.1 gives 3.0: |1 - 0| + |2 - 0| summed over the list, not a mean of 2 rows
    assert float(Seen()([1.0, 2.0], [0.0, 0.0])) == 3.0
    # built-in losses still read a list of numbers as one array of labels
    assert float(keras.losses.MeanSquaredError()([1.0, 0.0], [0.5, 0.5])) == 0.25


# -- siamese_network: a functional model whose outputs are a layer's tuple --------------------------

class _DistanceLayer(layers.Layer):
    def call(self, anchor, positive, negative):
        return (ops.sum(ops.square(anchor - positive), -1),
                ops.sum(ops.square(anchor - negative), -1))


def test_a_tuple_of_outputs_comes_back_as_a_tuple_as_in_keras():
    inputs = [keras.Input((3,), name=n) for n in ("anchor", "positive", "negative")]
    embedding = layers.Dense(2)
    distances = _DistanceLayer()(*[embedding(i) for i in inputs])
    model = keras.Model(inputs=inputs, outputs=distances)
    a, p, n = (np.random.default_rng(i).normal(size=(5, 3)).astype("float32") for i in range(3))
    called = model([a, p, n])
    predicted = model.predict([a, p, n], batch_size=2, verbose=0)
    assert type(called) is tuple and type(predicted) is tuple and type(model.output) is tuple
    assert type(model.predict_on_batch([a, p, n])) is tuple
    assert isinstance(model.outputs, list)
    np.testing.assert_allclose(predicted[1], to_numpy(called[1]), rtol=1e-6)


def test_predict_keeps_the_tuple_a_subclassed_model_returns():
    class TwoHeads(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x), 2 * self.dense(x)

    model = TwoHeads()
    first, second = model.predict(X, batch_size=1, verbose=0)
    assert type(model.predict(X, verbose=0)) is tuple
    np.testing.assert_allclose(second, 2 * first, rtol=1e-6)
