"""Patterns from the keras.io audio, reinforcement-learning and recommendation examples
that once behaved differently from Keras 3.

Each test is a small program of its own reproducing one pattern of an example (a CTC
loss reading the batch size, a Transformer ASR model with its own train_step over dict
batches, a MelGAN with two tapes and a mel front end that is the identity at inference,
STFT front ends on signals of unknown length, a DQN's Bellman targets built from lists),
checked against what Keras 3 does with the same code.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


# -- ctc_asr: the CTC loss builds its lengths from the batch's shape -----------------------------

def test_cast_takes_python_numbers_as_the_ctc_loss_of_ctc_asr_does():
    batch = ops.cast(ops.shape(np.zeros((3, 5)))[0], dtype="int64")
    assert str(batch.dtype) == "int64" and int(batch) == 3
    assert str(ops.cast(2.7, "int32").dtype) == "int32" and int(ops.cast(2.7, "int32")) == 2
    assert str(ops.cast(True, "float32").dtype) == "float32"
    np.testing.assert_array_equal(to_numpy(ops.cast([1, 2], "float32")), [1.0, 2.0])

    def ctc(y_true, y_pred):
        batch_len = ops.cast(ops.shape(y_true)[0], dtype="int64")
        input_length = ops.cast(ops.shape(y_pred)[1], dtype="int64")
        label_length = ops.cast(ops.shape(y_true)[1], dtype="int64")
        input_length = input_length * ops.ones(shape=(batch_len,), dtype="int64")
        label_length = label_length * ops.ones(shape=(batch_len,), dtype="int64")
        return ops.ctc_loss(y_true, y_pred, label_length, input_length, mask_index=0)

    inputs = keras.Input((6, 3))
    model = keras.Model(inputs, layers.Dense(5, activation="softmax")(inputs))
    model.compile("adam", loss=ctc)
    rng = np.random.default_rng(0)
    x = rng.random((4, 6, 3), dtype=np.float32)
    y = np.array([[1, 2], [3, 3], [4, 1], [2, 2]])
    history = model.fit(x, y, epochs=2, verbose=0)
    expected = to_numpy(ops.mean(ctc(y, model.predict(x, verbose=0))))
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


# -- transformer_asr: a train_step of its own reads dict batches with no y ---------------------

class _Seq2Seq(keras.Model):
    """A model that, like transformer_asr's, reads `{"source", "target"}` batches itself."""

    def __init__(self):
        super().__init__()
        self.encode = layers.Dense(4)
        self.embed = layers.Embedding(6, 4)
        self.classify = layers.Dense(6)
        self.loss_metric = keras.metrics.Mean(name="loss")

    def call(self, inputs):
        source, target = inputs
        context = ops.mean(self.encode(source), axis=1, keepdims=True)
        return self.classify(self.embed(target) + context)

    @property
    def metrics(self):
        return [self.loss_metric]

    def _loss(self, batch):
        source, target = batch["source"], batch["target"]
        preds = self([source, target[:, :-1]])
        one_hot = ops.one_hot(target[:, 1:], 6)
        mask = ops.logical_not(ops.equal(target[:, 1:], 0))
        return self.compute_loss(None, one_hot, preds, sample_weight=mask)

    def train_step(self, batch):
        with keras.GradientTape() as tape:
            loss = self._loss(batch)
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.loss_metric.update_state(loss)
        return {"loss": self.loss_metric.result()}

    def test_step(self, batch):
        self.loss_metric.update_state(self._loss(batch))
        return {"loss": self.loss_metric.result()}


def _seq2seq_data(n=8):
    rng = np.random.default_rng(0)
    target = rng.integers(1, 6, (n, 5)).astype("int32")
    target[:, -1] = 0
    return {"source": rng.random((n, 7, 3), dtype=np.float32), "target": target}


def test_fit_takes_dict_batches_without_targets_when_the_model_steps_itself():
    keras.utils.set_random_seed(0)
    model = _Seq2Seq()
    model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    data = _seq2seq_data()
    history = model.fit(data, batch_size=4, epochs=2, verbose=0, validation_data=data)
    assert set(history.history) == {"loss", "val_loss"}
    assert history.history["loss"][1] < history.history["loss"][0]
    value = model.evaluate(data, batch_size=8, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(value, float(model._loss(data)), rtol=1e-5)
    # a 1-tuple is x alone too, as Keras unpacks it
    model.fit(data, batch_size=4, epochs=1, verbose=0, validation_data=(data,))


class _AnchorPositivePairs(keras.utils.PyDataset):
    """metric_learning's batches: one stack of anchors and positives, no labels."""

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return np.random.default_rng(index).random((2, 4, 6), dtype=np.float32)


class _EmbeddingModel(keras.Model):
    def train_step(self, data):
        anchors, positives = data[0], data[1]
        with keras.GradientTape() as tape:
            similarities = ops.einsum("ae,pe->ap", self(anchors, training=True),
                                      self(positives, training=True)) / 0.2
            loss = self.compute_loss(y=ops.arange(4), y_pred=similarities)
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        for metric in self.metrics:
            metric.update_state(loss)
        return {m.name: m.result() for m in self.metrics}


def test_a_dataset_of_stacked_pairs_feeds_a_model_that_steps_itself():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    model = _EmbeddingModel(inputs, layers.UnitNormalization()(layers.Dense(3)(inputs)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(_AnchorPositivePairs(), epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.predict(np.ones((5, 6), "float32"), verbose=0).shape == (5, 3)


def test_a_compiled_loss_still_needs_targets_when_the_step_is_keras_own():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="received no target data y"):
        model.fit(np.zeros((4, 3), "float32"), verbose=0)
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        model.fit(np.zeros((4, 3), "float32"), np.zeros((4, 2)), verbose=0,
                  validation_data={"x": np.zeros((4, 3))})


# -- melgan: a front end that runs only in training, two tapes, inference on its output -------

class _MelFrontEnd(layers.Layer):
    """melgan's MelSpec: frames the waveform while training, the identity otherwise."""

    def call(self, audio, training=True):
        if training:
            real, imag = ops.stft(ops.squeeze(audio, -1), 16, 4, 16, center=False)
            return ops.log(real ** 2 + imag ** 2 + 1e-6)
        return audio


def test_a_call_default_of_training_true_is_used_when_no_phase_is_given():
    audio = np.random.default_rng(0).standard_normal((2, 64, 1)).astype("float32")
    front = _MelFrontEnd()
    assert front(audio).shape == (2, 13, 9)  # Keras: the signature's default, training=True
    assert front(audio, training=False).shape == (2, 64, 1)
    symbolic = front(keras.Input((None, 1)))
    assert symbolic.shape == (None, None, 9)
    assert layers.Dropout(0.5)(keras.Input((3,))).shape == (None, 3)


def test_a_model_takes_inputs_its_layers_accept_though_its_input_has_other_sizes():
    keras.utils.set_random_seed(0)
    waves = keras.Input((None, 1))
    generator = keras.Model(waves, layers.Conv1D(2, 3, padding="same")(_MelFrontEnd()(waves)))
    mels = np.random.default_rng(1).random((3, 5, 9), dtype=np.float32)
    out = generator.predict(mels, verbose=0)  # at inference the front end passes mels on
    assert out.shape == (3, 5, 2)
    conv = generator.layers[-1]
    np.testing.assert_allclose(out, to_numpy(conv(mels)), rtol=1e-6)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, None, 1\)"):
        generator.predict(np.zeros((3, 5, 4), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"incompatible with the model.*Conv1D"):
        generator(np.zeros((3, 5, 4), "float32"), training=False)


def test_two_tapes_opened_together_each_give_their_gradient():
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((4,)), layers.Dense(4)])
    discriminator = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    x = np.random.default_rng(0).random((5, 4), dtype=np.float32)

    def losses():
        fake = discriminator(generator(x))
        real = discriminator(x)
        gen_loss = ops.mean((fake - 1.0) ** 2)
        disc_loss = ops.mean((real - 1.0) ** 2) + ops.mean(fake ** 2)
        return gen_loss, disc_loss

    with keras.GradientTape() as gen_tape, keras.GradientTape() as disc_tape:
        gen_loss, disc_loss = losses()
    gen_grads = gen_tape.gradient(gen_loss, generator.trainable_weights)
    disc_grads = disc_tape.gradient(disc_loss, discriminator.trainable_weights)
    with keras.GradientTape(persistent=True) as tape:
        gen_loss, disc_loss = losses()
    for got, want in zip(gen_grads + disc_grads,
                         tape.gradient(gen_loss, generator.trainable_weights)
                         + tape.gradient(disc_loss, discriminator.trainable_weights)):
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-6)


# -- stft / speaker recognition: front ends on signals of unknown length -----------------------

@pytest.mark.parametrize("pool", [layers.MaxPooling1D, layers.AveragePooling1D])
def test_pooling_an_unknown_length_keeps_it_unknown(pool):
    assert pool(2)(keras.Input((None, 8))).shape == (None, None, 8)
    assert pool(3, strides=3)(keras.Input((None, 8))).shape == (None, None, 8)
    assert pool(2)(keras.Input((9, 8))).shape == (None, 4, 8)


def test_an_stft_front_end_on_an_unknown_length_gives_an_unknown_frame_count():
    signal = keras.Input((None, 1))
    spectrogram = layers.STFTSpectrogram(mode="log", frame_length=48, frame_step=24,
                                         fft_length=128, padding="same",
                                         expand_dims=True)(signal)
    assert spectrogram.shape == (None, None, 65, 1)
    features = layers.Conv2D(2, 3, activation="relu")(spectrogram)
    assert features.shape == (None, None, 63, 2)
    model = keras.Model(signal, layers.GlobalMaxPooling2D()(features))
    assert model.predict(np.zeros((2, 400, 1), "float32"), verbose=0).shape == (2, 2)


class _Frames(layers.Layer):
    """A layer with no compute_output_shape that frames its input 16 samples at a time."""

    def call(self, x):
        frames = (x.shape[1] - 16) // 8 + 1 if x.shape[1] >= 16 else 1
        return ops.ones((x.shape[0], frames, 4))


def test_a_framing_layer_without_compute_output_shape_gives_an_unknown_frame_count():
    assert _Frames()(keras.Input((None, 1))).shape == (None, None, 4)
    assert _Frames()(keras.Input((200, 1))).shape == (None, 24, 4)


# -- deep_q_network: Bellman targets from lists of rewards -----------------------------------

def test_lists_of_python_numbers_take_keras_dtypes_in_arithmetic():
    q = ops.ones((3,), "float32")
    rewards = [1.0, 0.0, 1.0]
    targets = rewards + 0.99 * q
    assert str(targets.dtype) == "float32"
    np.testing.assert_allclose(to_numpy(targets), [1.99, 0.99, 1.99], rtol=1e-6)
    assert str((q * [2, 3, 4]).dtype) == "float32"
    assert str(ops.add([1.0, 2.0, 3.0], q).dtype) == "float32"
    assert str(([1, 2, 3] + ops.ones((3,), "int32")).dtype) == "int32"
    assert str((ops.ones((3,), "int32") + [1.5, 2.0, 3.0]).dtype) == "float32"
    assert str((q - (1, 2, 3)).dtype) == "float32"
