"""Patterns from the keras.io NLP, timeseries and structured-data examples that once
behaved differently from Keras 3.

Each test is a small program of its own reproducing one pattern of an example (an
end-to-end text model saved with its compiled inner model, one-hot boolean sequences,
position embeddings shorter than the probe lengths, pretrained embedding matrices,
timeseries datasets, feed-forward blocks built as `Sequential` models), checked
against what Keras 3 does with the same code.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


# -- saving a model that nests a compiled model (text_classification_from_scratch) -----------

def test_a_model_nesting_a_trained_compiled_model_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    inputs = keras.Input((3,))
    inner = keras.Model(inputs, layers.Dense(1)(layers.Dense(4)(inputs)))
    inner.compile("adam", "mse")
    inner.fit(x, y, epochs=2, batch_size=8, verbose=0)  # 4 steps
    outer_inputs = keras.Input((3,))
    outer = keras.Model(outer_inputs, inner(outer_inputs) * 2.0)
    outer.compile("sgd", "mse")
    outer.save(tmp_path / "end_to_end.keras")

    loaded = keras.models.load_model(tmp_path / "end_to_end.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), outer.predict(x, verbose=0),
                               rtol=1e-6)
    # Keras restores the nested model's own optimizer, built for that model's variables
    restored = loaded.layers[1].optimizer
    assert int(to_numpy(restored.iterations)) == 4
    for saved, back in zip(inner.optimizer.variables, restored.variables):
        np.testing.assert_array_equal(to_numpy(back), to_numpy(saved))


def test_an_end_to_end_text_model_reads_text_held_as_python_objects():
    texts = np.array(["a good film", "a bad film", "good", "bad bad"], dtype=object)
    vectorize = layers.TextVectorization(max_tokens=10, output_sequence_length=3)
    vectorize.adapt(texts.astype(str))
    strings = keras.Input(shape=(1,), dtype="string")
    pooled = layers.GlobalAveragePooling1D()(layers.Embedding(10, 4)(vectorize(strings)))
    model = keras.Model(strings, layers.Dense(1, activation="sigmoid")(pooled))
    model.compile("adam", "binary_crossentropy")
    labels = np.array([1.0, 0.0, 1.0, 0.0])
    model.fit(texts[:, None], labels, epochs=1, verbose=0)
    expected = model.predict(texts.astype(str)[:, None], verbose=0)
    np.testing.assert_array_equal(model.predict(texts[:, None], verbose=0), expected)
    assert model.evaluate(texts[:, None], labels, verbose=0) == pytest.approx(
        model.evaluate(texts.astype(str)[:, None], labels, verbose=0))
    with pytest.raises(ValueError, match="holds Python objects"):
        model.predict(np.array([[1], "a"], dtype=object)[:, None], verbose=0)


# -- model names (every keras.io summary shows them) --------------------------------------------

def test_each_sequential_build_takes_a_functional_name_as_in_keras():
    keras.Sequential([keras.Input((3,)), layers.Dense(2)])  # built once
    stack = keras.Sequential()
    stack.add(keras.Input((3,)))
    stack.add(layers.Dense(2))  # built again at each add
    stack.add(layers.Dense(2))
    x = keras.Input((3,))
    assert keras.Model(x, layers.Dense(1)(x)).name == "functional_3"


# -- addition_rnn: one-hot sequences as booleans ------------------------------------------------

@pytest.mark.parametrize("make", [lambda: layers.LSTM(3), lambda: layers.GRU(3),
                                  lambda: layers.SimpleRNN(3, return_sequences=True),
                                  lambda: layers.Conv1D(2, 2)])
def test_recurrent_and_conv_layers_take_boolean_one_hot_sequences(make):
    onehot = np.zeros((2, 4, 5), dtype=bool)
    onehot[:, np.arange(4), [0, 3, 1, 4]] = True
    layer = make()
    out = layer(onehot)
    assert out.dtype == layer.compute_dtype == "float32"
    np.testing.assert_allclose(to_numpy(out), to_numpy(layer(onehot.astype("float32"))),
                               rtol=1e-6)


def test_addition_rnn_trains_on_boolean_one_hot_data():
    x = np.zeros((8, 5, 12), dtype=bool)
    y = np.zeros((8, 3, 12), dtype=bool)
    x[:, :, 0] = True
    y[:, :, 1] = True
    model = keras.Sequential([layers.Input((5, 12)), layers.LSTM(8), layers.RepeatVector(3),
                              layers.LSTM(8, return_sequences=True),
                              layers.Dense(12, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_argmax_and_argmin_read_boolean_one_hot_rows():
    onehot = np.array([[False, True, False], [True, False, True], [False, False, False]])
    # the first maximum / minimum, as Keras returns them
    assert to_numpy(ops.argmax(onehot, axis=-1)).tolist() == [1, 0, 0]
    assert to_numpy(ops.argmin(onehot, axis=-1)).tolist() == [0, 1, 0]
    assert ops.argmax(onehot).dtype == "int32"


# -- position embeddings shorter than the shape probes (neural_machine_translation) -------------

class _PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(vocab_size, embed_dim)
        self.position_embeddings = layers.Embedding(sequence_length, embed_dim)

    def call(self, inputs):
        positions = ops.arange(0, ops.shape(inputs)[-1], 1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)


def test_a_position_embedding_of_a_few_steps_takes_sequences_of_unknown_length():
    tokens = keras.Input(shape=(None,), dtype="int64")
    embedded = _PositionalEmbedding(4, 10, 6)(tokens)
    assert embedded.shape == (None, None, 6)
    model = keras.Model(tokens, layers.Dense(2)(embedded))
    assert model.predict(np.array([[1, 2, 0, 0]]), verbose=0).shape == (1, 4, 2)


def test_a_layer_that_fails_on_every_probe_still_reports_its_own_error():
    class Broken(layers.Layer):
        def call(self, inputs):
            raise ValueError("always broken")

    with pytest.raises(ValueError, match="always broken"):
        Broken()(keras.Input(shape=(None, 3)))


# -- ops on the Python numbers of ops.shape (the causal attention mask) -------------------------

@pytest.mark.parametrize("op, expected", [
    (lambda: ops.expand_dims(3, -1), [3]), (lambda: ops.reshape(3, (1,)), [3]),
    (lambda: ops.squeeze(3), 3), (lambda: ops.transpose(3), 3),
    (lambda: ops.stack([1, 2]), [1, 2]), (lambda: ops.repeat(3, 2), [3, 3]),
    (lambda: ops.broadcast_to(3, (2,)), [3, 3]),
])
def test_shape_ops_take_python_numbers_as_int32_tensors(op, expected):
    out = op()
    assert out.dtype == "int32"
    assert to_numpy(out).tolist() == expected


def test_the_causal_mask_of_the_translation_example_tiles_over_the_batch():
    inputs = ops.zeros((2, 3, 4))
    batch_size, sequence_length = ops.shape(inputs)[0], ops.shape(inputs)[1]
    i = ops.arange(sequence_length)[:, None]
    j = ops.arange(sequence_length)
    mask = ops.reshape(ops.cast(i >= j, dtype="int32"), (1, sequence_length, sequence_length))
    mult = ops.concatenate([ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])],
                           axis=0)
    tiled = to_numpy(ops.tile(mask, mult))
    assert tiled.shape == (2, 3, 3)
    np.testing.assert_array_equal(tiled[1], np.tril(np.ones((3, 3), dtype="int32")))


# -- pretrained_word_embeddings: Constant(matrix) --------------------------------------------------

def test_an_embedding_starts_from_a_pretrained_matrix_and_stays_frozen(tmp_path):
    matrix = np.random.default_rng(0).standard_normal((6, 3))
    embedding = layers.Embedding(6, 3, trainable=False,
                                 embeddings_initializer=keras.initializers.Constant(matrix))
    tokens = keras.Input(shape=(None,), dtype="int32")
    pooled = layers.GlobalMaxPooling1D()(embedding(tokens))
    model = keras.Model(tokens, layers.Dense(1, activation="sigmoid")(pooled))
    np.testing.assert_allclose(to_numpy(embedding.embeddings), matrix, rtol=1e-6)
    model.compile("rmsprop", "binary_crossentropy")
    model.fit(np.array([[1, 2, 3], [4, 5, 0]]), np.array([0.0, 1.0]), epochs=2, verbose=0)
    np.testing.assert_allclose(to_numpy(embedding.embeddings), matrix, rtol=1e-6)
    model.save(tmp_path / "frozen.keras")
    loaded = keras.models.load_model(tmp_path / "frozen.keras")
    initializer = loaded.layers[1].embeddings_initializer
    np.testing.assert_allclose(to_numpy(initializer((6, 3))), matrix, rtol=1e-6)


def test_constant_broadcasts_its_array_and_refuses_one_that_does_not_fit():
    row = np.arange(3.0)
    np.testing.assert_array_equal(to_numpy(keras.initializers.Constant(row)((2, 3))),
                                  np.stack([row, row]))
    config = keras.initializers.Constant(row).get_config()
    assert config["value"]["class_name"] == "__numpy__"
    rebuilt = keras.initializers.Constant.from_config(config)
    np.testing.assert_array_equal(to_numpy(rebuilt((1, 3))), row[None])
    with pytest.raises(ValueError, match=r"a value of shape \(3,\) cannot fill a weight of "
                                         r"shape \(3, 2\)"):
        keras.initializers.Constant(np.ones(3))((3, 2))


# -- timeseries_weather_forecasting: the dataset of timeseries_dataset_from_array ---------------

def _weather_data():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((60, 3)).astype("float32")
    return features, features[6:, [1]]


def test_a_timeseries_dataset_takes_its_first_batches():
    features, targets = _weather_data()
    dataset = keras.utils.timeseries_dataset_from_array(
        features, targets, sequence_length=4, sampling_rate=2, batch_size=16)
    for inputs, labels in dataset.take(1):
        pass
    assert tuple(inputs.shape) == (16, 4, 3) and tuple(labels.shape) == (16, 1)
    np.testing.assert_array_equal(to_numpy(inputs)[1], features[1:9:2])
    assert len(dataset.take(2)) == 2 and len(dataset.take(-1)) == len(dataset)
    assert len(list(dataset.take(100))) == len(dataset)
    with pytest.raises(ValueError, match="take: count must be a non-negative int"):
        dataset.take(1.5)


def test_fit_keeps_the_order_of_a_timeseries_dataset_as_keras_keeps_a_tf_data_one():
    features, targets = _weather_data()
    dataset = keras.utils.timeseries_dataset_from_array(
        features, targets, sequence_length=4, sampling_rate=2, batch_size=16)
    batches = list(dataset)
    x = np.concatenate([to_numpy(b[0]) for b in batches])
    y = np.concatenate([to_numpy(b[1]) for b in batches])

    def trained(data, **kwargs):
        keras.utils.set_random_seed(3)
        inputs = keras.Input((4, 3))
        model = keras.Model(inputs, layers.Dense(1)(layers.LSTM(4)(inputs)))
        model.compile("sgd", "mse")
        model.fit(*data, epochs=2, verbose=0, **kwargs)  # shuffle=True by default
        return model.get_weights()

    for a, b in zip(trained((dataset,)), trained((x, y), batch_size=16, shuffle=False)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


# -- tabtransformer: a Sequential feed-forward block used as a layer ------------------------------

def test_a_sequential_block_used_as_a_layer_outputs_its_call_in_the_outer_graph():
    block = keras.Sequential([layers.Input((3,)), layers.Dense(2)])
    outer = keras.Input((3,), name="outer")
    out = block(outer)
    assert block.output is out and block.input is outer
    assert block.outputs[0] is not out  # its own graph, as Keras's `outputs`
    probe = keras.Model(outer, [block.output])
    x = np.ones((1, 3), dtype="float32")
    np.testing.assert_allclose(probe.predict(x, verbose=0), block.predict(x, verbose=0))


# -- text_classification_with_switch_transformer: a mixture of experts -------------------------

class _Router(layers.Layer):
    def __init__(self, num_experts):
        self.num_experts = num_experts
        self.route = layers.Dense(num_experts)  # set before super().__init__(), as there
        super().__init__()

    def call(self, inputs):
        probs = keras.activations.softmax(self.route(inputs), axis=-1)
        self.add_loss(ops.mean(probs) * 0.0)
        return probs


class _Switch(layers.Layer):
    def __init__(self, num_experts, dim, tokens_per_batch):
        self.experts = [keras.Sequential([layers.Dense(dim)]) for _ in range(num_experts)]
        self.router = _Router(num_experts)
        self.dim, self.tokens_per_batch = dim, tokens_per_batch
        super().__init__()

    def call(self, inputs):
        batch_size, tokens = ops.shape(inputs)[0], ops.shape(inputs)[1]
        # one row per token of the whole batch: the batch size is fixed
        flat = ops.reshape(inputs, [self.tokens_per_batch, self.dim])
        gates = self.router(flat)
        mixed = sum(gates[:, i:i + 1] * expert(flat) for i, expert in enumerate(self.experts))
        return ops.reshape(mixed, [batch_size, tokens, self.dim])


def test_sublayers_set_before_super_init_are_tracked():
    switch = _Switch(num_experts=2, dim=4, tokens_per_batch=12)
    switch(np.zeros((4, 3, 4), dtype="float32"))
    # two experts (4 x 4 + 4) and the router (4 x 2 + 2), as Keras counts them
    assert switch.count_params() == 2 * 20 + 10
    assert len(switch.trainable_weights) == 6
    assert len(switch.router.weights) == 2


def test_a_layer_reshaping_to_a_fixed_batch_builds_symbolically_and_trains():
    tokens = keras.Input((3, 4))
    mixed = _Switch(num_experts=2, dim=4, tokens_per_batch=12)(tokens)
    assert mixed.shape == (None, 3, 4)
    outputs = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling1D()(mixed))
    model = keras.Model(tokens, outputs)
    assert model.count_params() == 50 + 10
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 3, 4)).astype("float32")
    history = model.fit(x, np.arange(8) % 2, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(x, batch_size=4, verbose=0).shape == (8, 2)
    with pytest.raises(ValueError, match=r"Cannot reshape an array of shape \(2, 3, 4\)"):
        model.predict(x[:2], verbose=0)  # on data, sizes are checked
