"""Patterns from the keras.io generative, keras_recipes and graph examples that once
behaved differently from Keras 3.

Each test is a small program of its own reproducing what one example does (a VAE's
custom step fed `fit(x)`, a PixelCNN on a fixed-batch `Input`, a miniature GPT returning
its hidden states beside the logits, an endpoint layer taking its inputs by name, string
ids looked up inside a model), checked against what Keras 3 does with the same code.
"""

import math
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


def _images(n=16, size=4, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 1)).astype("float32")


# -- vae: fit(x) hands a custom step the batch itself ------------------------------------

def test_a_vae_step_gets_the_images_themselves_from_fit_x():
    seen = []

    class AutoEncoder(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.decoder = keras.Sequential([keras.Input((4, 4, 1)), layers.Flatten(),
                                             layers.Dense(16, activation="sigmoid"),
                                             layers.Reshape((4, 4, 1))])
            self.loss_tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.loss_tracker]

        def _loss(self, data):
            reconstruction = self.decoder(data)
            return ops.mean(ops.sum(keras.losses.binary_crossentropy(data, reconstruction),
                                    axis=(1, 2)))

        def train_step(self, data):
            seen.append(("train", isinstance(data, tuple), tuple(data.shape)))
            with keras.GradientTape() as tape:
                loss = self._loss(data)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

        def test_step(self, data):
            seen.append(("test", isinstance(data, tuple), tuple(data.shape)))
            self.loss_tracker.update_state(self._loss(data))
            return {"loss": self.loss_tracker.result()}

    images = _images()
    model = AutoEncoder()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    history = model.fit(images, epochs=1, batch_size=16, verbose=0)
    logs = model.evaluate(images, batch_size=8, verbose=0, return_dict=True)
    assert seen == [("train", False, (16, 4, 4, 1)), ("test", False, (8, 4, 4, 1)),
                    ("test", False, (8, 4, 4, 1))]
    # the reconstruction loss is the per-image sum of the pixel cross-entropies
    p = np.clip(to_numpy(model.decoder(images)).astype("float64"), 1e-7, 1 - 1e-7)
    expected = np.mean(np.sum(-(images * np.log(p) + (1 - images) * np.log(1 - p)), axis=(1, 2)))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def test_fit_on_a_list_of_inputs_without_targets_hands_the_step_a_one_element_tuple():
    seen = []

    class Unsupervised(keras.Model):
        def train_step(self, data):
            seen.append((type(data).__name__, len(data)))
            return {}

    a, b = keras.Input((2,)), keras.Input((3,))
    model = Unsupervised([a, b], layers.Concatenate()([a, b]))
    model.compile("sgd")
    model.fit([np.ones((4, 2)), np.ones((4, 3))], batch_size=4, verbose=0)
    assert seen == [("tuple", 1)]  # (x,), x being the list of two batches, as Keras


# -- pixelcnn: a model built on Input(batch_size=...) ------------------------------------

def test_a_fixed_batch_input_trains_validates_and_predicts_on_other_batch_sizes():
    inputs = keras.Input(shape=(4, 4, 1), batch_size=8)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    outputs = layers.Conv2D(1, 1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    data = np.where(_images(n=20) < 0.4, 1.0, 0.0).astype("float32")
    history = model.fit(data, data, batch_size=8, epochs=1, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["loss", "val_loss"]
    four = model.predict(data[:4], verbose=0)
    assert four.shape == (4, 4, 4, 1)
    np.testing.assert_allclose(four, to_numpy(model(data[:8]))[:4], rtol=1e-5, atol=1e-6)


def test_a_stateful_layer_still_refuses_data_that_does_not_fill_its_batches():
    model = keras.Sequential([keras.Input((3, 2), batch_size=2), layers.LSTM(2, stateful=True)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="fixed batch size of 2"):
        model.fit(np.ones((3, 3, 2)), np.ones((3, 2)), batch_size=2, verbose=0)


# -- text_generation_with_miniature_gpt: loss=[fn, None] ---------------------------------

def _logits_and_hidden(vocab=7, steps=5):
    tokens = keras.Input((steps,), dtype="int32")
    hidden = layers.Embedding(vocab, 4)(tokens)
    logits = layers.Dense(vocab)(hidden)
    return keras.Model(tokens, [logits, hidden])


def test_one_target_for_the_only_output_with_a_loss():
    model = _logits_and_hidden()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.SGD(learning_rate=0.0), loss=[loss_fn, None])
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 7, (6, 5)), rng.integers(0, 7, (6, 5))
    history = model.fit(x, y, batch_size=6, epochs=1, verbose=0)
    logits = to_numpy(model(x)[0]).astype("float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_probs, y[..., None], -1).mean()
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_summary_of_a_chain_that_also_returns_a_hidden_state_is_a_plain_table(capsys):
    _logits_and_hidden().summary()
    header = next(line for line in capsys.readouterr().out.splitlines() if "Layer (type)" in line)
    assert "Connected to" not in header  # Keras: one node per depth is sequential-like

    x = keras.Input((3,))
    residual = layers.Add()([x, layers.Dense(3)(x)])
    keras.Model(x, residual).summary()
    header = next(line for line in capsys.readouterr().out.splitlines() if "Layer (type)" in line)
    assert "Connected to" in header


# -- trainer_pattern: a subclassed model wrapping a functional one -----------------------

def test_summary_shows_the_output_shape_of_a_functional_model_called_eagerly(capsys):
    class Trainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def call(self, x):
            return self.model(x)

    x = keras.Input((4,))
    trainer = Trainer(keras.Model(x, layers.Dense(3)(x)))
    trainer(np.ones((2, 4), "float32"))
    trainer.summary()
    row = next(line for line in capsys.readouterr().out.splitlines() if "(Functional)" in line)
    assert "(None, 3)" in row


# -- endpoint_layer_pattern: inputs passed by name ---------------------------------------

class _LogisticEndpoint(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, logits, targets=None, sample_weight=None):
        if targets is not None:
            self.add_loss(self.loss_fn(targets, logits, sample_weight))
        return ops.sigmoid(logits)


def test_a_layer_called_with_its_first_argument_by_name():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 1)).astype("float32")
    targets = rng.random((6, 1)).astype("float32")
    endpoint = _LogisticEndpoint()
    out = endpoint(logits=logits, targets=targets)
    np.testing.assert_allclose(to_numpy(out), 1 / (1 + np.exp(-logits)), rtol=1e-6)
    expected = np.mean(np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-abs(logits))))
    assert float(to_numpy(endpoint.losses[0])) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(TypeError, match="called without inputs"):
        endpoint(targets=targets)


def test_a_subclassed_model_training_through_an_endpoint_called_by_name():
    class LogReg(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.logistic_endpoint = _LogisticEndpoint()

        def call(self, inputs):
            logits = self.dense(inputs["inputs"])
            return self.logistic_endpoint(logits=logits, targets=inputs["targets"],
                                          sample_weight=inputs["sample_weight"])

    rng = np.random.default_rng(1)
    data = {"inputs": rng.random((16, 5)), "targets": rng.random((16, 1)),
            "sample_weight": rng.random((16, 1))}
    model = LogReg()
    model.compile(keras.optimizers.Adam(1e-2))
    history = model.fit(data, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 3 and losses[2] < losses[0]


# -- vq_vae / custom layers: variables from Python numbers -------------------------------

@pytest.mark.parametrize("value, dtype", [(1.0, "float32"), (1, "int32"),
                                          ([1.0, 2.0], "float32"), (True, "bool")])
def test_a_variable_from_python_numbers_takes_keras_s_dtype(value, dtype):
    assert keras.Variable(value).dtype == dtype
    optimizer = keras.optimizers.Adam()
    optimizer.build([keras.Variable(0.5)])
    assert [v.dtype for v in optimizer.variables[2:]] == ["float32", "float32"]


# -- memory_efficient_embeddings: string ids looked up inside the model ------------------

class _QuotientRemainderEmbedding(layers.Layer):
    def __init__(self, vocabulary, embedding_dim, num_buckets, name=None):
        super().__init__(name=name)
        self.num_buckets = num_buckets
        self.index_lookup = layers.StringLookup(vocabulary=vocabulary, mask_token=None,
                                                num_oov_indices=0)
        self.q_embeddings = layers.Embedding(num_buckets, embedding_dim)
        self.r_embeddings = layers.Embedding(num_buckets, embedding_dim)

    def call(self, inputs):
        index = self.index_lookup(inputs)
        return (self.q_embeddings(ops.floor_divide(index, self.num_buckets))
                * self.r_embeddings(ops.mod(index, self.num_buckets)))


def test_string_inputs_through_lookups_without_oov_indices_inside_a_model():
    users = [f"user_{i}" for i in range(6)]
    movies = [f"movie_{i}" for i in range(5)]
    user_input = layers.Input(name="user_id", shape=(), dtype="string")
    user_embedding = _QuotientRemainderEmbedding(users, 4, num_buckets=3)(user_input)
    movie_input = layers.Input(name="movie_id", shape=(), dtype="string")
    movie_embedding = keras.Sequential([
        layers.StringLookup(vocabulary=movies, mask_token=None, num_oov_indices=0),
        layers.Embedding(len(movies), 4)])(movie_input)
    logits = layers.Dot(axes=1)([user_embedding, movie_embedding])
    model = keras.Model([user_input, movie_input], keras.activations.sigmoid(logits) * 5)
    assert tuple(user_embedding.shape) == tuple(movie_embedding.shape) == (None, 4)

    rng = np.random.default_rng(0)
    x = {"user_id": np.array(rng.choice(users, 12)), "movie_id": np.array(rng.choice(movies, 12))}
    model.compile("adam", "mse")
    model.fit(x, rng.uniform(1, 5, 12).astype("float32"), batch_size=4, verbose=0)
    layer = next(l for l in model.layers if isinstance(l, _QuotientRemainderEmbedding))
    q, r = (to_numpy(e.embeddings) for e in (layer.q_embeddings, layer.r_embeddings))
    got = to_numpy(layer(np.array(["user_4", "user_1"])))
    np.testing.assert_allclose(got, np.stack([q[1] * r[1], q[0] * r[1]]), rtol=1e-6)
    with pytest.raises(ValueError, match="out-of-vocabulary"):
        layer(np.array(["nobody"]))


# -- approximating_non_function_mappings: a mixture density loss -------------------------

def _mixture_loss(num_mixes):
    def mdn_loss_func(y_true, y_pred):
        mus, sigmas, pi = ops.split(y_pred, [num_mixes, 2 * num_mixes], axis=-1)
        z = (y_true - mus) / sigmas
        components = -0.5 * z ** 2 - ops.log(sigmas) - 0.5 * math.log(2 * math.pi)
        return -ops.mean(ops.logsumexp(ops.log_softmax(pi, axis=-1) + components, axis=-1))

    return mdn_loss_func


def test_a_custom_loss_may_take_labels_of_another_width_than_the_output():
    model = keras.Sequential([keras.Input((1,)), layers.Dense(8, activation="relu"),
                              layers.Dense(9)])
    loss = _mixture_loss(3)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0),
                  loss=lambda y_true, y_pred: loss(y_true, ops.concatenate(
                      [y_pred[:, :3], ops.exp(y_pred[:, 3:6]), y_pred[:, 6:]], axis=-1)))
    rng = np.random.default_rng(0)
    y = rng.uniform(-1, 1, (16, 1)).astype("float32")
    x = np.sin(3 * y).astype("float32")
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    out = to_numpy(model(x)).astype("float64")
    mus, sigmas, logits = out[:, :3], np.exp(out[:, 3:6]), out[:, 6:]
    log_pi = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    comp = log_pi - 0.5 * ((y - mus) / sigmas) ** 2 - np.log(sigmas) - 0.5 * np.log(2 * np.pi)
    expected = -np.mean(np.log(np.exp(comp).sum(-1)))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="last dimensions differ"):
        model.compile("sgd", "mse")  # a built-in elementwise loss still checks the labels
        model.fit(x, np.concatenate([y, y], axis=1), verbose=0)  # (one column broadcasts)


# -- reproducibility_recipes: initializers seeded by a SeedGenerator ---------------------

def test_an_initializer_seeded_by_a_seed_generator_draws_anew_at_each_call():
    first = keras.initializers.RandomNormal(seed=keras.random.SeedGenerator(3))
    twin = keras.initializers.GlorotUniform(seed=keras.random.SeedGenerator(3))
    a, b = to_numpy(first((4,))), to_numpy(first((4,)))
    assert not np.array_equal(a, b)  # as Keras: a generator advances, an int repeats
    config = first.get_config()
    assert config["seed"]["class_name"] == "SeedGenerator"
    assert config["seed"]["config"]["seed"] == 3
    again = keras.initializers.RandomNormal.from_config(config)
    np.testing.assert_array_equal(to_numpy(again((4,))), a)
    np.testing.assert_array_equal(to_numpy(again((4,))), b)
    kernels = [to_numpy(twin((3, 2))) for _ in range(2)]
    assert not np.array_equal(*kernels)
    assert np.abs(kernels[0]).max() <= np.sqrt(6 / 5)


# -- endpoint_layer_pattern: a softmax over one unit ------------------------------------

def test_a_softmax_over_an_axis_of_size_one_warns_as_keras():
    with pytest.warns(UserWarning, match=r"softmax over axis -1 of a tensor of shape \(4, 1\)"):
        out = ops.softmax(np.ones((4, 1), "float32"))
    np.testing.assert_array_equal(to_numpy(out), np.ones((4, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops.softmax(np.ones((4, 3), "float32"))
