"""More patterns from the keras.io NLP, timeseries and structured-data examples that once
behaved differently from Keras 3.

Each test is a small program of its own reproducing one pattern of an example (a model
whose dict inputs are preprocessed tensors, reductions over Python lists of tensors,
unnamed weights, `build` methods without an input shape, multi-label lookups over rows of
different lengths, the masks a call on several tensors receives, recurrent layers given
initial states), checked against what Keras 3 does with the same code.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


# -- structured_data_classification_from_scratch: dict inputs that are not Inputs ---------------

def _normalized_feature_model():
    """The example builds its model on a dict whose numeric entries are the outputs of
    Normalization layers, not Inputs; Keras then takes data keyed by the dict's keys."""
    age = layers.Input(name="age", shape=(1,), dtype="float32")
    normalizer = layers.Normalization()
    normalizer.adapt(np.array([[20.0], [40.0], [60.0]], dtype="float32"))
    inputs = {"age": normalizer(age),
              "sex": layers.Input(name="sex", shape=(2,), dtype="int64")}
    features = layers.concatenate(list(inputs.values()))
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(features))


def test_a_model_on_a_dict_of_preprocessed_tensors_takes_data_keyed_by_the_dict():
    model = _normalized_feature_model()
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x = {"age": np.array([[0.5], [1.0], [-1.0], [0.0]], dtype="float32"),
         "sex": np.array([[0, 1], [1, 0], [0, 1], [1, 0]], dtype="int64")}
    y = np.array([1, 0, 1, 0])
    history = model.fit(x, y, epochs=1, batch_size=2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    # the data goes straight to the dict's tensors (the Normalization is not re-run)
    direct = model.predict(x, verbose=0)
    inner = model.layers[-1](ops.concatenate([ops.convert_to_tensor(x["age"]),
                                              ops.cast(x["sex"], "float32")], axis=-1))
    np.testing.assert_allclose(direct, to_numpy(inner), rtol=1e-6)


def test_a_dict_missing_a_key_of_the_inputs_dict_is_still_refused():
    model = _normalized_feature_model()
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match="missing \\['sex'\\]"):
        model.fit({"age": np.zeros((2, 1), "float32")}, np.zeros(2), verbose=0)


# -- collaborative_filtering_movielens: reductions over a list of tensors -----------------------

def test_reductions_read_a_list_of_tensors_as_one_stacked_tensor():
    a, b = ops.ones((2,)), ops.full((2,), 3.0)
    np.testing.assert_allclose(to_numpy(ops.sum([a, b])), 8.0)
    np.testing.assert_allclose(to_numpy(ops.sum([a, b], axis=0)), [4.0, 4.0])
    np.testing.assert_allclose(to_numpy(ops.mean([a, b])), 2.0)
    np.testing.assert_allclose(to_numpy(ops.max([a, b], axis=0)), [3.0, 3.0])
    np.testing.assert_allclose(to_numpy(ops.min([a, b])), 1.0)
    np.testing.assert_allclose(to_numpy(ops.var([a, b])), 1.0)
    np.testing.assert_allclose(to_numpy(ops.std([a, b])), 1.0)
    np.testing.assert_allclose(to_numpy(ops.logsumexp([a, b])), np.log(2 * np.e + 2 * np.e ** 3),
                               rtol=1e-6)


def test_reductions_of_python_numbers_take_keras_dtypes():
    assert ops.sum([1.0, 2.5]).dtype == "float32"
    assert ops.sum([1, 2]).dtype == "int32"
    assert ops.mean([1, 2]).dtype == "float32"
    np.testing.assert_allclose(to_numpy(ops.sum([[1, 2], [3, 4]], axis=0)), [4, 6])
    assert float(to_numpy(ops.sum([]))) == 0.0


def test_the_sum_of_a_models_losses_keeps_its_gradient():
    keras.utils.set_random_seed(0)
    embedding = layers.Embedding(5, 3, embeddings_regularizer=keras.regularizers.l2(0.5))
    dense = layers.Dense(1, kernel_regularizer=keras.regularizers.l2(0.25))
    model = keras.Sequential([keras.Input((2,), dtype="int32"), embedding, layers.Flatten(),
                              dense])
    model(np.zeros((1, 2), "int32"))
    with keras.GradientTape() as tape:
        total = ops.sum(model.losses)
    grads = tape.gradient(total, [embedding.embeddings, dense.kernel])
    np.testing.assert_allclose(to_numpy(grads[0]), 2 * 0.5 * to_numpy(embedding.embeddings),
                               rtol=1e-6)
    np.testing.assert_allclose(to_numpy(grads[1]), 2 * 0.25 * to_numpy(dense.kernel), rtol=1e-6)


# -- deep_neural_decision_forests: weights added without a name ---------------------------------

class _Tree(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pi = self.add_weight(initializer="random_normal", shape=[4, 2])
        self.decision = layers.Dense(4, activation="sigmoid", name="decision")

    def call(self, x):
        return ops.matmul(self.decision(x), keras.activations.softmax(self.pi))


def test_unnamed_weights_take_the_global_variable_names_as_in_keras():
    first, second = _Tree(), _Tree()
    names = [first.pi.name, second.pi.name]
    base = int(names[0].rpartition("_")[2]) if "_" in names[0] else 0
    assert names[0] in ("variable", f"variable_{base}")
    assert names[1] == f"variable_{base + 1}"
    assert second.pi.path == f"{second.name}/{names[1]}"
    standalone = keras.Variable(1.0)
    assert standalone.name == f"variable_{base + 2}"


# -- classification_with_grn_and_vsn: build(self) without an input shape ------------------------

class _GatedLinearUnit(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.linear = layers.Dense(units)
        self.sigmoid = layers.Dense(units, activation="sigmoid")

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)

    def build(self):
        self.built = True


class _Selection(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.embedding = layers.Embedding(3, units)
        self.project = layers.Dense(units)
        self.glu = _GatedLinearUnit(units)

    def call(self, inputs):
        cat = self.embedding(ops.clip(inputs["cat"], 0, 2))
        num = self.project(ops.expand_dims(inputs["num"], -1))
        return self.glu(cat + num)

    def build(self):
        self.built = True


def test_a_layer_whose_build_takes_no_shape_builds_symbolically_and_trains():
    inputs = {"num": layers.Input(name="num", shape=(), dtype="float32"),
              "cat": layers.Input(name="cat", shape=(), dtype="int64")}
    features = _Selection(4)(inputs)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(features))
    assert features.shape == (None, 4)
    model.compile("adam", "binary_crossentropy")
    rng = np.random.default_rng(0)
    data = {"num": rng.random(8).astype("float32"), "cat": rng.integers(0, 5, 8)}
    history = model.fit(data, rng.integers(0, 2, 8), batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # (1 embedding + 2 projection + 2 x 2 gate) weights + 2 of the head
    assert len(model.trainable_weights) == 9


def test_a_layer_whose_build_takes_no_shape_builds_when_called_eagerly():
    glu = _GatedLinearUnit(3)
    out = glu(np.ones((2, 5), "float32"))
    assert glu.built and tuple(out.shape) == (2, 3)
    assert glu.get_build_config() == {"input_shape": (2, 5)}


# -- multi_label_classification: multi-hot labels of different lengths ---------------------------

_TERMS = [["cs.LG"], ["cs.LG", "stat.ML"], ["cs.CV", "cs.LG"], ["cs.CV"], ["stat.ML", "cs.LG"]]


def test_a_lookup_adapts_to_rows_of_different_lengths_one_document_each():
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(_TERMS)
    # by count (cs.LG: 4), ties by the larger term first, as Keras orders them
    assert lookup.get_vocabulary() == ["[UNK]", "cs.LG", "stat.ML", "cs.CV"]
    tf_idf = layers.StringLookup(output_mode="tf_idf")
    tf_idf.adapt(_TERMS)
    # idf = log(1 + documents / (1 + documents holding the term)): cs.LG is in 4 of 5
    np.testing.assert_allclose(to_numpy(tf_idf.idf_weights)[1], np.log(1 + 5 / 5), rtol=1e-6)


def test_a_multi_hot_lookup_encodes_rows_of_different_lengths_into_one_batch():
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(_TERMS)
    encoded = lookup(_TERMS + [["physics", "cs.CV"]])
    assert tuple(encoded.shape) == (6, 4) and encoded.dtype == "float32"
    np.testing.assert_array_equal(to_numpy(encoded), [[0, 1, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1],
                                                      [0, 0, 0, 1], [0, 1, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(to_numpy(lookup([["cs.CV", "cs.LG"]])), [[0, 1, 0, 1]])
    # indices ("int" mode) would be ragged themselves: still refused
    with pytest.raises(ValueError, match="rectangular"):
        layers.StringLookup(vocabulary=["a", "b"])([["a"], ["a", "b"]])


def test_integer_lookups_count_rows_of_different_lengths():
    lookup = layers.IntegerLookup(output_mode="count")
    lookup.adapt([[3], [3, 7], [7, 7, 9]])
    assert lookup.get_vocabulary() == [-1, 7, 3, 9]
    np.testing.assert_array_equal(to_numpy(lookup([[7, 7], [3], [5, 9, 9]])),
                                  [[0, 2, 0, 0], [0, 0, 1, 0], [1, 0, 0, 2]])


# -- text_generation_fnet: a decoder called on two tensors gets no `mask` ------------------------

class _Decoder(layers.Layer):
    """Records the masks its call received."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, inputs, encoder_outputs, mask=None):
        self.seen.append(mask)
        return inputs + encoder_outputs


class _NamedMasks(layers.Layer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, inputs, other, inputs_mask=None, other_mask=None):
        self.seen.append((inputs_mask is not None, other_mask is not None))
        return inputs


def _masked_embedding(tokens):
    embedding = layers.Embedding(5, 3, mask_zero=True)
    return embedding(tokens)


def test_a_call_on_several_tensors_gets_no_mask_as_in_keras():
    x = _masked_embedding(np.array([[1, 2, 0, 0]]))
    decoder = _Decoder()
    decoder(x, x)
    decoder(x, encoder_outputs=x)
    decoder(x, np.ones((1, 4, 3), "float32"))  # an array counts as a tensor (Keras converts it)
    assert decoder.seen == [None, None, None]
    # one tensor argument: the mask rides along as before
    single = layers.Lambda(lambda t, mask=None: t if mask is None else t * 0.0)
    assert float(to_numpy(ops.sum(single(x)))) == 0.0


def test_a_call_on_several_tensors_fills_the_masks_named_after_its_arguments():
    x = _masked_embedding(np.array([[1, 2, 0, 0]]))
    layer = _NamedMasks()
    layer(x, x)
    layer(x, np.ones((1, 4, 3), "float32"))
    assert layer.seen == [(True, True), (True, False)]


def test_a_decoder_on_two_tensors_in_a_model_runs_without_the_mask():
    tokens = keras.Input((None,), dtype="int32")
    states = keras.Input((None, 3))
    decoder = _Decoder()
    out = decoder(layers.Embedding(5, 3, mask_zero=True)(tokens), states)
    model = keras.Model([tokens, states], out)
    model.predict([np.array([[1, 0, 0]]), np.ones((1, 3, 3), "float32")], verbose=0)
    assert all(m is None for m in decoder.seen)


def test_an_lstm_given_initial_states_runs_over_the_masked_steps_as_in_keras():
    keras.utils.set_random_seed(0)
    tokens = keras.Input((4,), dtype="int32")
    h0, c0 = keras.Input((2,)), keras.Input((2,))
    masked, plain = layers.Embedding(5, 3, mask_zero=True), layers.Embedding(5, 3)
    lstm = layers.LSTM(2, return_sequences=True)
    model = keras.Model([tokens, h0, c0], lstm(masked(tokens), initial_state=[h0, c0]))
    unmasked = keras.Model([tokens, h0, c0], lstm(plain(tokens), initial_state=[h0, c0]))
    plain.set_weights(masked.get_weights())
    data = [np.array([[1, 2, 0, 0]]), np.ones((1, 2), "float32"), np.ones((1, 2), "float32")]
    out = model.predict(data, verbose=0)[0]
    # Keras passes no mask to a call on several tensors: the padded steps are computed
    # (a masked LSTM would repeat the last valid output there)
    assert not np.allclose(out[2], out[1])
    np.testing.assert_allclose(unmasked.predict(data, verbose=0)[0], out, rtol=1e-6)


def test_an_lstm_leaves_the_initial_state_arrays_of_one_sample_untouched():
    # (lstm_seq2seq's decoder: one sample, states given as arrays)
    keras.utils.set_random_seed(0)
    sequence, h0, c0 = keras.Input((None, 3)), keras.Input((2,)), keras.Input((2,))
    outputs, h, c = layers.LSTM(2, return_state=True)(sequence, initial_state=[h0, c0])
    model = keras.Model([sequence, h0, c0], [outputs, h, c])
    states = [np.ones((1, 2), "float32"), np.full((1, 2), 0.5, "float32")]
    x = np.ones((1, 4, 3), "float32")
    first = model.predict([x] + states, verbose=0)
    np.testing.assert_array_equal(states[1], np.full((1, 2), 0.5))
    np.testing.assert_array_equal(states[0], np.ones((1, 2)))
    again = model.predict([x] + states, verbose=0)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
