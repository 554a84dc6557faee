"""A third set of patterns from the keras.io NLP, graph, structured-data and timeseries
examples that once behaved differently from Keras 3.

Each test is a small program of its own reproducing one pattern of an example (a model
loaded with a nested Sequential, the summary of a subclassed model, a model called on a
Python list of node ids, a subclassed model whose `call` takes no `training` argument,
`steps_per_epoch` over several epochs), checked against what Keras 3 does with the same
code.
"""

import io
import os
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


def _next_functional_index():
    """The number of the next auto-generated "functional" name (0 for "functional")."""
    inputs = layers.Input((3,))
    name = keras.Model(inputs, inputs).name
    return int(name.rpartition("_")[2]) if "_" in name else 0


# -- masked_language_modeling: loading a model with a nested Sequential -------------------------

def test_loading_a_nested_sequential_takes_keras_functional_names(tmp_path):
    """The example's classifier summary names its frozen encoder `functional_<n>`; Keras's
    Sequential.from_config rebuilds at every layer it adds once the input is known, each
    rebuild taking a "functional" name, so later names count them."""
    ffn = keras.Sequential([layers.Dense(3), layers.Dense(3)], name="encoder_0_ffn")
    inputs = layers.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(ffn(inputs)), name="masked_bert_model")
    path = os.path.join(tmp_path, "mlm.keras")
    model.save(path)
    before = _next_functional_index()
    loaded = keras.models.load_model(path)
    after = _next_functional_index()
    # Keras 3.15.1: functional_5 before, functional_8 after (two rebuilds and the probe)
    assert after - before == 3
    assert loaded.get_layer("encoder_0_ffn").built
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_a_loaded_sequential_without_an_input_still_builds_from_its_shape(tmp_path):
    model = keras.Sequential([layers.Dense(3), layers.Dense(2)])
    model.build((None, 4))
    path = os.path.join(tmp_path, "seq.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.built and loaded.output_shape == (None, 2)
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


# -- ner_transformers: the summary of a subclassed model ------------------------------------------

class _Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(4)

    def call(self, x):
        return self.dense(x)


class _Tagger(keras.Model):
    def __init__(self):
        super().__init__()
        self.block = _Block()
        self.dropout = layers.Dropout(0.1)
        self.ff_final = layers.Dense(3, activation="softmax")

    def call(self, inputs, training=False):
        return self.ff_final(self.dropout(self.block(inputs), training=training))


def _summary_rows(model):
    out = io.StringIO()
    model.summary(print_fn=lambda text, **kwargs: out.write(text + "\n"))
    return {line.split("│")[1].strip().split(" ")[0]: line.split("│")[2].strip()
            for line in out.getvalue().splitlines() if line.startswith("│")}


def test_layers_without_build_called_in_a_subclassed_model_show_a_question_mark():
    """Keras records a layer's build shape only when the layer defines `build`; a layer
    called eagerly only (no functional node) without one shows "?" (Keras 3.15.1 prints
    `?` for the block and the Dropout, `(1, 5, 3)` for the Dense)."""
    model = _Tagger()
    model(np.zeros((1, 5, 6), "float32"))
    rows = _summary_rows(model)
    block, dropout, dense = (layer.name for layer in model.layers)
    assert rows[block] == "?" and rows[dropout] == "?"
    assert rows[dense] == "(1, 5, 3)"


def test_layers_of_a_functional_model_keep_their_shapes_in_the_summary():
    inputs = layers.Input((5, 6))
    x = layers.Dropout(0.1)(_Block()(inputs))
    model = keras.Model(inputs, layers.Dense(3)(x))
    rows = _summary_rows(model)
    assert set(list(rows.values())[1:]) == {"(None, 5, 4)", "(None, 5, 3)"}


# -- gnn_citations: node ids given as a Python list ---------------------------------------------

class _Classifier(keras.Model):
    """The example's GNN node classifier, reduced: node features held by the model, a
    batch of node ids as input, and no `training` argument in `call`."""

    def __init__(self, node_features, **kwargs):
        super().__init__(**kwargs)
        self.node_features = node_features
        self.preprocess = keras.Sequential([layers.BatchNormalization(), layers.Dense(4)])
        self.logits = layers.Dense(3)

    def call(self, input_node_indices):
        x = self.preprocess(self.node_features)
        return self.logits(ops.take(x, input_node_indices, axis=0))


def _node_features():
    return np.random.default_rng(1).normal(2.0, 3.0, size=(6, 5)).astype("float32")


def test_python_values_passed_positionally_are_refused_as_in_keras():
    model = _Classifier(_node_features())
    with pytest.raises(ValueError, match="Only input tensors may be passed as positional "
                                         "arguments.*1 \\(of type <class 'int'>\\)"):
        model([1, 4, 5])
    assert model(np.array([1, 4, 5])).shape == (3, 3)
    with pytest.raises(ValueError, match="Only input tensors.*3.0"):
        layers.Dense(2)(3.0)
    with pytest.raises(ValueError, match="Only input tensors.*should be passed as a keyword"):
        layers.Dense(2)([[1.0, 2.0]])


def test_preprocessing_layers_still_take_python_values():
    np.testing.assert_array_equal(
        to_numpy(layers.Discretization(bin_boundaries=[0.0, 1.0])([0.5, 2.0])), [1, 2])
    np.testing.assert_array_equal(
        to_numpy(layers.CategoryEncoding(3, output_mode="one_hot")([0, 2])),
        [[1, 0, 0], [0, 0, 1]])


def test_tensors_and_none_may_still_be_passed_positionally():
    class Scale(layers.Layer):
        def call(self, x, factor=None):
            return x if factor is None else x * factor

    layer = Scale()
    np.testing.assert_allclose(to_numpy(layer(np.ones(2), np.full(2, 3.0))), [3.0, 3.0])
    np.testing.assert_allclose(to_numpy(layer(np.ones(2), None)), [1.0, 1.0])
    with pytest.raises(ValueError, match="Only input tensors.*2.0"):
        layer(np.ones(2), 2.0)
    np.testing.assert_allclose(to_numpy(layer(np.ones(2), factor=2.0)), [2.0, 2.0])


# -- gnn_citations: a model whose call takes no `training` argument ------------------------------

def test_a_model_without_a_training_argument_trains_its_layers_in_inference_mode():
    """Keras's steps pass `training` only to a `call` that names it; otherwise the layers
    keep their defaults, so BatchNormalization normalizes with its moving statistics and
    leaves them alone during fit (checked with Keras 3.15.1 on JAX)."""
    keras.utils.set_random_seed(0)
    model = _Classifier(_node_features())
    ids, labels = np.array([0, 2, 3, 5]), np.array([0, 1, 2, 1])
    model(ids)
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    # a training call first: it moves the statistics the inference call then reads
    training = float(to_numpy(loss_fn(labels, model(ids, training=True))))
    inference = float(to_numpy(loss_fn(labels, model(ids, training=False))))
    bn = model.preprocess.layers[0]
    moving_mean = to_numpy(bn.moving_mean).copy()
    assert abs(inference - training) > 1e-3
    loss = model.train_on_batch(ids, labels)
    np.testing.assert_allclose(loss, inference, rtol=1e-5)
    np.testing.assert_array_equal(to_numpy(bn.moving_mean), moving_mean)


def test_a_model_with_a_training_argument_trains_its_layers_in_training_mode():
    class WithTraining(_Classifier):
        def call(self, input_node_indices, training=None):
            return super().call(input_node_indices)

    keras.utils.set_random_seed(0)
    model = WithTraining(_node_features())
    ids, labels = np.array([0, 2, 3, 5]), np.array([0, 1, 2, 1])
    model(ids)
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    training = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, model(ids, training=True))
    moving_mean = to_numpy(model.preprocess.layers[0].moving_mean).copy()
    np.testing.assert_allclose(model.train_on_batch(ids, labels), to_numpy(training),
                               rtol=1e-5)
    assert not np.allclose(to_numpy(model.preprocess.layers[0].moving_mean), moving_mean)


# -- movielens_recommendations_transformers: steps_per_epoch over several epochs ----------------

def test_running_out_of_data_across_epochs_says_steps_per_epoch_times_epochs():
    model = keras.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(np.ones((24, 2)), np.zeros((24, 1)), batch_size=8, epochs=2,
                            steps_per_epoch=2, verbose=0)
    # as Keras: the second epoch continues the first one's pass, runs one batch and ends
    assert len(history.history["loss"]) == 2
    messages = [str(w.message) for w in caught if "ran out" in str(w.message)]
    assert len(messages) == 1 and "steps_per_epoch * epochs" in messages[0]


# -- mpnn-molecular-graphs: a graph batch whose inputs fix their batch sizes --------------------

class _GraphBatches(keras.utils.PyDataset):
    """Batches of two graphs of three nodes merged into one graph: six node rows, four
    edge rows whose ids point at nodes anywhere in the batch, one label per graph."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rng = np.random.default_rng(3)

    def __len__(self):
        return 2

    def __getitem__(self, index):
        nodes = self.rng.normal(size=(6, 3)).astype("float32")
        edges = np.array([[0, 5], [1, 4], [3, 2], [4, 0]], "int32")
        graph_of_node = np.repeat(np.arange(2), 3).astype("int32")
        return {"nodes": nodes, "edges": edges, "graph_of_node": graph_of_node}, \
            np.array([[0.0], [1.0]], "float32")


class _Aggregate(layers.Layer):
    def call(self, inputs):
        nodes, edges, graph_of_node = inputs
        messages = ops.take(nodes, edges[:, 1], axis=0)
        nodes = nodes + ops.segment_sum(messages, edges[:, 0], num_segments=6)
        return ops.segment_sum(nodes, graph_of_node, num_segments=2)


def test_a_model_on_graph_batches_of_fixed_sizes_trains_as_in_keras():
    """kerasx checks the labels on a probe call of the model on the first batch; that call
    took two rows of every input, and edge ids past them failed. A functional model whose
    inputs fix their batch sizes is probed on the whole batch, as Keras only runs it."""
    inputs = {"nodes": layers.Input(batch_shape=(6, 3), name="nodes"),
              "edges": layers.Input(batch_shape=(4, 2), dtype="int32", name="edges"),
              "graph_of_node": layers.Input(batch_shape=(6,), dtype="int32",
                                            name="graph_of_node")}
    pooled = _Aggregate()([inputs["nodes"], inputs["edges"], inputs["graph_of_node"]])
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(pooled))
    model.compile("sgd", "binary_crossentropy")
    history = model.fit(_GraphBatches(), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert model.predict(_GraphBatches(), verbose=0).shape == (4, 1)
