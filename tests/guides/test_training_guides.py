"""Patterns from the keras.io training guides that once behaved differently from Keras 3.

Each test is a small program of its own reproducing one pattern a Keras user writes
(summaries, callbacks, custom metrics, custom training steps, saving), checked against
what Keras 3 does with the same code.
"""

import itertools

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


def _mlp(inputs=4, classes=3):
    x = keras.Input((inputs,))
    hidden = layers.Dense(8, activation="relu")(x)
    return keras.Model(x, layers.Dense(classes, activation="softmax")(hidden))


def _data(n=32, inputs=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, inputs), dtype=np.float32), rng.integers(0, classes, n)


# -- summaries -------------------------------------------------------------------------------

def test_summary_counts_calls_of_a_nested_functional_model_from_zero(capsys):
    def member():
        x = keras.Input((5,))
        return keras.Model(x, layers.Dense(1)(x))

    first, second = member(), member()
    x = keras.Input((5,))
    outputs = layers.average([first(x), first(x), second(x)])
    keras.Model(x, outputs).summary(line_length=160)
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if "(Average)" in line)
    cells = []
    for line in lines[start:]:
        if line.startswith(("├", "└")):
            break
        cells.append(line.split("│")[-2].strip())
    assert " ".join(cells) == (f"{first.name}[0][0], {first.name}[1][0], "
                               f"{second.name}[0][0]")


# -- fit's callback parameters ------------------------------------------------------------------

class _Params(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seen = dict(self.params)


@pytest.mark.parametrize("verbose", ["auto", 0, 2])
def test_callbacks_see_the_verbose_argument_as_passed(verbose):
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    probe = _Params()
    history = model.fit(*_data(), epochs=1, verbose=verbose, callbacks=[probe])
    assert probe.seen["verbose"] == verbose
    assert history.params["verbose"] == verbose


# -- == and != on tensors ----------------------------------------------------------------------

def test_equality_of_tensors_is_elementwise():
    a = ops.convert_to_tensor([1, 2, 3])
    b = ops.convert_to_tensor([1, 0, 3])
    np.testing.assert_array_equal(to_numpy(a == b), [True, False, True])
    np.testing.assert_array_equal(to_numpy(a != b), [False, True, False])
    np.testing.assert_array_equal(to_numpy(a == 2), [False, True, False])
    assert (a == None) is False and (a != None) is True  # noqa: E711
    assert {a: 1}[a] == 1  # still hashable


def test_variables_compare_with_values_elementwise_and_with_variables_by_identity():
    v = keras.Variable(1.0)
    w = keras.Variable(1.0)
    assert bool(v == 1.0) and not bool(v != 1.0)
    assert bool(v == ops.ones(()))
    assert [v, w].index(w) == 1 and w in [v, w] and (v == w) is False


def test_a_custom_metric_comparing_tensors_counts_matches():
    class TruePositives(keras.metrics.Metric):
        def __init__(self, name="true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")

        def update_state(self, y_true, y_pred, sample_weight=None):
            guess = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            same = ops.cast(ops.reshape(y_true, (-1, 1)), "int32") == ops.cast(guess, "int32")
            self.hits.assign_add(ops.sum(ops.cast(same, "float32")))

        def result(self):
            return self.hits.value

    x, y = _data(n=24)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[TruePositives()])
    logs = model.evaluate(x, y, batch_size=24, verbose=0, return_dict=True)
    expected = np.sum(np.argmax(model.predict(x, verbose=0), axis=1) == y)
    assert logs["true_positives"] == expected


# -- monitoring callbacks ----------------------------------------------------------------------

def _scores(values):
    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_score"] = values[epoch]

    return Score()


def test_model_checkpoint_messages_are_keras_s(tmp_path, capsys):
    path = str(tmp_path / "m_{epoch}.keras")
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="val_score", mode="min",
                                                 save_best_only=True, verbose=1)
    model.fit(*_data(), epochs=2, verbose=0, callbacks=[_scores([0.5, 0.7]), checkpoint])
    out = capsys.readouterr().out
    first = str(tmp_path / "m_1.keras")
    assert f"Epoch 1: val_score improved from None to 0.50000, saving model to {first}" in out
    assert f"Epoch 1: finished saving model to {first}" in out
    assert "Epoch 2: val_score did not improve from 0.50000" in out
    assert "m_2.keras" not in out


def test_early_stopping_reused_across_fits_starts_afresh():
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    stopper = keras.callbacks.EarlyStopping(monitor="val_score", mode="min", patience=1)
    model.fit(*_data(), epochs=3, verbose=0, callbacks=[_scores([0.1, 0.2, 0.3]), stopper])
    assert stopper.best == 0.1
    # a second fit whose values never reach the first fit's best still trains while improving
    history = model.fit(*_data(), epochs=3, verbose=0,
                        callbacks=[_scores([0.9, 0.8, 0.7]), stopper])
    assert len(history.history["loss"]) == 3 and stopper.best == 0.7


def test_reduce_lr_on_plateau_reused_across_fits_starts_afresh():
    model = _mlp()
    model.compile(keras.optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy")
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_score", mode="min", patience=1,
                                               factor=0.5)
    model.fit(*_data(), epochs=1, verbose=0, callbacks=[_scores([0.1]), reduce])
    model.fit(*_data(), epochs=2, verbose=0, callbacks=[_scores([0.9, 0.8]), reduce])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)


# -- logs passed to callbacks ------------------------------------------------------------------

def test_every_hook_receives_a_logs_dict():
    seen = []

    class Keys(keras.callbacks.Callback):
        def _record(self, hook, logs):
            seen.append((hook, sorted(logs.keys())))

    for hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
                 "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
                 "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                 "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
        if hook.endswith(("batch_begin", "batch_end")) or "epoch" in hook:
            setattr(Keys, hook, lambda self, i, logs=None, h=hook: self._record(h, logs))
        else:
            setattr(Keys, hook, lambda self, logs=None, h=hook: self._record(h, logs))

    x, y = _data(n=8)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mean_absolute_error"])
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_split=0.5, callbacks=[Keys()])
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[Keys()])
    model.predict(x, batch_size=8, verbose=0, callbacks=[Keys()])
    logs = dict(seen)
    assert logs["on_train_begin"] == logs["on_epoch_begin"] == logs["on_predict_end"] == []
    assert logs["on_train_batch_begin"] == logs["on_test_begin"] == []
    assert logs["on_train_batch_end"] == ["loss", "mean_absolute_error"]
    assert logs["on_epoch_end"] == ["loss", "mean_absolute_error", "val_loss",
                                    "val_mean_absolute_error"]
    assert logs["on_predict_batch_end"] == ["outputs"]


# -- the data a custom train_step / test_step / predict_step receives ---------------------------

class _Recorder(keras.Model):
    """A functional model whose steps record the structure of the data they receive."""

    seen = []

    def train_step(self, data):
        type(self).seen.append(("train", len(data)))
        x, y = data[0], data[1] if len(data) > 1 else None
        with keras.GradientTape() as tape:
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
        self.optimizer.apply(tape.gradient(loss, self.trainable_variables),
                             self.trainable_variables)
        return {"loss": loss}

    def test_step(self, data):
        type(self).seen.append(("test", len(data)))
        return super().test_step(data)

    def predict_step(self, data):
        type(self).seen.append(("predict", len(data)))
        return super().predict_step(data)


def _recorder():
    x = keras.Input((4,))
    model = _Recorder(x, layers.Dense(1)(x))
    model.compile("sgd", "mse")
    _Recorder.seen = []
    return model


def test_steps_receive_x_y_without_sample_weights_as_keras():
    model = _recorder()
    x, y = _data(n=8)
    model.fit(x, y.astype("float32"), batch_size=8, epochs=1, verbose=0)
    model.fit(x, y.astype("float32"), sample_weight=np.ones(8), batch_size=8, verbose=0)
    model.evaluate(x, y.astype("float32"), batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    model.train_on_batch(x, y.astype("float32"))
    # predict_step gets the batch of x itself (8 rows), train_on_batch (x, y, None), as Keras
    assert _Recorder.seen == [("train", 2), ("train", 3), ("test", 2), ("predict", 8),
                              ("train", 3)]


def test_a_train_step_unpacking_x_and_y_trains_under_fit():
    class Unpacking(keras.Model):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            self.optimizer.apply(tape.gradient(loss, self.trainable_variables),
                                 self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x = keras.Input((4,))
    model = Unpacking(x, layers.Dense(1)(x))
    model.compile("sgd", "mse", metrics=["mae"])
    features, targets = _data(n=16)
    history = model.fit(features, targets.astype("float32"), batch_size=8, epochs=2, verbose=0)
    # the compiled metrics' nested dict is logged entry by entry, as Keras logs it
    assert sorted(history.history) == ["loss", "mae"]
    assert all(isinstance(v, float) for v in history.history["mae"])


def test_a_gan_style_step_gets_its_images_themselves():
    received = []

    class Unsupervised(keras.Model):
        def train_step(self, data):
            received.append((isinstance(data, tuple), len(data)))
            images = data[0] if isinstance(data, tuple) else data
            with keras.GradientTape() as tape:
                loss = ops.mean(ops.square(self(images)))
            self.optimizer.apply(tape.gradient(loss, self.trainable_variables),
                                 self.trainable_variables)
            return {"loss": loss}

    x = keras.Input((4,))
    model = Unsupervised(x, layers.Dense(2)(x))
    model.compile("sgd")
    history = model.fit(_data(n=8)[0], batch_size=4, epochs=1, verbose=0)
    # as Keras: fit(x) hands a step the batch of x itself, not a tuple (4 rows each)
    assert received == [(False, 4), (False, 4)] and len(history.history["loss"]) == 1


# -- hand-written training loops -----------------------------------------------------------------

def test_iterating_a_py_dataset_stops_after_its_last_batch():
    class Halves(keras.utils.PyDataset):
        def __init__(self, x):
            super().__init__()
            self.x = x

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return self.x[index * 2:index * 2 + 2]

    # (at most 5 batches drawn, so a dataset that never stops fails instead of hanging)
    batches = [batch.tolist() for batch in itertools.islice(Halves(np.arange(5)), 5)]
    assert batches == [[0, 1], [2, 3], [4]]

    class Endless(Halves):
        @property
        def num_batches(self):
            return None

    endless = iter(Endless(np.arange(5)))
    assert [next(endless).tolist() for _ in range(4)] == [[0, 1], [2, 3], [4], []]


def test_a_scalar_tensor_takes_a_format_spec():
    loss = ops.convert_to_tensor(1.23456)
    assert f"{loss:.2f}" == "1.23" and f"{keras.Variable(2.5):.1f}" == "2.5"
    assert f"{loss}" == str(loss)
    with pytest.raises(TypeError):
        f"{ops.ones((2,)):.2f}"


# -- saving ------------------------------------------------------------------------------------

def test_a_sequential_model_starting_with_a_functional_model_is_built():
    x = keras.Input((6,))
    base = keras.Model(x, layers.Dense(4)(x), name="base")
    model = keras.Sequential([base, layers.Dense(2, name="head")])
    assert model.built and model.input_shape == (None, 6)
    assert model.layers == [base, model.get_layer("head")]
    assert model.count_params() == 6 * 4 + 4 + 4 * 2 + 2
    config = model.get_config()
    assert [layer["class_name"] for layer in config["layers"]] == ["InputLayer", "Functional",
                                                                   "Dense"]
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                               "config": {"name": "float32"}, "registered_name": None}
    again = keras.Sequential.from_config(config)
    assert again.built and again.count_params() == model.count_params()


def test_a_layer_built_by_hand_keeps_its_build_shape():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    layer = Scale()
    layer.build((None, 3))
    assert layer.get_build_config() == {"input_shape": (None, 3)}
    dense = layers.Dense(2)
    dense.build(input_shape=(None, 5))
    assert dense.get_build_config() == {"input_shape": (None, 5)}


def test_save_assets_and_load_assets_round_trip_through_a_keras_file(tmp_path):
    import zipfile

    @keras.saving.register_keras_serializable(package="guides_test")
    class Vocabulary(layers.Dense):
        def __init__(self, vocab=None, **kwargs):
            super().__init__(**kwargs)
            self.vocab = vocab

        def save_assets(self, inner_path):
            with open(f"{inner_path}/vocabulary.txt", "w") as f:
                f.write(self.vocab)

        def load_assets(self, inner_path):
            with open(f"{inner_path}/vocabulary.txt") as f:
                self.vocab = f.read().upper()

    model = keras.Sequential([keras.Input((3,)), Vocabulary(vocab="a b c", units=2)])
    path = str(tmp_path / "assets.keras")
    model.save(path)
    names = zipfile.ZipFile(path).namelist()
    assert names[:3] == ["metadata.json", "config.json", "model.weights.h5"]
    assert names[3:] == ["assets/layers/vocabulary/vocabulary.txt"]
    restored = keras.models.load_model(path)
    assert restored.layers[0].vocab == "A B C"
    np.testing.assert_allclose(restored.predict(np.ones((1, 3)), verbose=0),
                               model.predict(np.ones((1, 3)), verbose=0))


def test_assets_pointing_outside_their_folder_are_refused(tmp_path):
    import zipfile

    @keras.saving.register_keras_serializable(package="guides_test")
    class Reader(layers.Dense):
        def load_assets(self, inner_path):
            raise AssertionError("must not be reached")

    model = keras.Sequential([keras.Input((3,)), Reader(units=2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("assets/../evil.txt", b"x")
    with pytest.raises(ValueError, match="outside the assets folder"):
        keras.models.load_model(path)


def test_keras_2_compiled_loss_and_compiled_metrics_in_a_custom_step():
    class Keras2Style(keras.Model):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            self.compiled_loss(y, y_pred)
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x = keras.Input((4,))
    model = Keras2Style(x, layers.Dense(1)(x))
    model.compile("sgd", "mse", metrics=["mae"])
    features, targets = _data(n=16)
    targets = targets.astype("float32")[:, None]
    with pytest.warns(UserWarning, match="deprecated"):
        history = model.fit(features, targets, batch_size=16, epochs=2, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    with pytest.warns(UserWarning, match="deprecated"):
        logs = model.evaluate(features, targets, batch_size=16, verbose=0, return_dict=True)
    error = model.predict(features, verbose=0) - targets
    assert logs["loss"] == pytest.approx(float(np.mean(error ** 2)), rel=1e-5)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(error))), rel=1e-5)
