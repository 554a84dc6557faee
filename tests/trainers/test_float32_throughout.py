"""A float32 model computes in float32 from the data to the update: no op output and
no gradient on the tape is float64 (NumPy 2 keeps float32 next to Python floats,
but a NumPy float64 scalar or a default-dtype `asarray(1.0)` would promote)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.autodiff import tape as tape_module
from kerasx.autodiff.tensor import Tensor
from kerasx import layers


def _dtype_name(value):
    return str(getattr(value, "dtype", ""))


@pytest.fixture
def float64_seen(monkeypatch):
    """Every place a float64 array appeared on the tape: op outputs and gradients."""
    seen = []
    tensor_init, node_init = Tensor.__init__, tape_module.Node.__init__

    def checked_tensor(self, value, *args, **kwargs):
        if "float64" in _dtype_name(value):
            seen.append(("output", tuple(value.shape)))
        tensor_init(self, value, *args, **kwargs)

    def checked_node(self, parents, vjp, n_out=1):
        def checked_vjp(grad):
            grads = vjp(grad)
            for g in grads:
                if "float64" in _dtype_name(g):
                    seen.append(("gradient", getattr(vjp, "__qualname__", repr(vjp))))
            return grads

        node_init(self, parents, checked_vjp, n_out)

    monkeypatch.setattr(Tensor, "__init__", checked_tensor)
    monkeypatch.setattr(tape_module.Node, "__init__", checked_node)
    return seen


def _mlp():
    return [layers.Dense(16, activation="relu", kernel_regularizer="l2",
                         activity_regularizer=keras.regularizers.L1(1e-3)),
            layers.Dropout(0.2), layers.LayerNormalization(),
            layers.Dense(16, activation="gelu"), layers.AlphaDropout(0.1),
            layers.GaussianNoise(0.1)]


def _cnn():
    return [layers.Reshape((4, 4, 1)),
            layers.Conv2D(8, 3, padding="same", kernel_constraint=keras.constraints.MaxNorm(2)),
            layers.BatchNormalization(), layers.ReLU(), layers.MaxPooling2D(2),
            layers.Conv2D(8, 2, activation="relu"), layers.GlobalAveragePooling2D()]


def _rnn():
    return [layers.Reshape((4, 4)), layers.LSTM(8, return_sequences=True, dropout=0.1),
            layers.GRU(8, recurrent_dropout=0.1), layers.Dense(8, activation="tanh")]


HEADS = {
    "sparse_categorical_crossentropy": (3, "softmax", lambda n, rng: rng.integers(0, 3, n)),
    "categorical_crossentropy": (3, "softmax",
                                 lambda n, rng: np.eye(3, dtype="float32")[rng.integers(0, 3, n)]),
    "binary_crossentropy": (1, "sigmoid", lambda n, rng: rng.integers(0, 2, (n, 1)).astype("float32")),
    "mse": (2, None, lambda n, rng: rng.normal(size=(n, 2)).astype("float32")),
    "huber": (2, None, lambda n, rng: rng.normal(size=(n, 2)).astype("float32")),
}


@pytest.mark.parametrize("body,loss,optimizer", [
    (_mlp, "sparse_categorical_crossentropy", keras.optimizers.Adam),
    (_mlp, "categorical_crossentropy", lambda: keras.optimizers.AdamW(1e-3, clipnorm=1.0)),
    (_cnn, "sparse_categorical_crossentropy", lambda: keras.optimizers.SGD(0.01, momentum=0.9,
                                                                          nesterov=True)),
    (_cnn, "binary_crossentropy", keras.optimizers.RMSprop),
    (_rnn, "mse", keras.optimizers.Nadam),
    (_rnn, "huber", lambda: keras.optimizers.Adagrad(global_clipnorm=1.0)),
    (_mlp, "mse", keras.optimizers.Adamax),
    (_cnn, "categorical_crossentropy", keras.optimizers.Adadelta),
    (_mlp, "binary_crossentropy", keras.optimizers.Lion),
])
def test_training_stays_float32(body, loss, optimizer, float64_seen):
    units, activation, make_y = HEADS[loss]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 16)).astype("float32")
    y = make_y(40, rng)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(16,))] + body()
                             + [layers.Dense(units, activation=activation)])
    model.compile(optimizer=optimizer(), loss=loss,
                  metrics=["mae"] if activation is None else ["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, verbose=0)
    assert float64_seen == []
    assert all(str(w.dtype) == "float32" for w in model.weights)
    assert all(str(v.dtype) in ("float32", "int64", "int32") for v in model.optimizer.variables)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(x, verbose=0).dtype == np.float32
    # the checker sees float64 when it appears (so an empty list above means something)
    with keras.GradientTape() as tape:
        w = keras.Variable(np.ones(3, "float32"))
        out = keras.ops.sum(keras.ops.cast(w, "float64") * 2.0)
    tape.gradient(out, [w])
    assert float64_seen


def test_functional_text_and_batch_norm_models_stay_float32(float64_seen):
    rng = np.random.default_rng(1)
    tokens = rng.integers(1, 50, (40, 12))
    numbers = rng.normal(size=(40, 6)).astype("float32")
    y = rng.integers(0, 2, (40, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    text_in = keras.Input(shape=(12,), dtype="int32")
    number_in = keras.Input(shape=(6,))
    text = layers.Embedding(50, 8)(text_in)
    text = layers.Conv1D(8, 3, activation="relu")(text)
    text = layers.GlobalMaxPooling1D()(text)
    number = layers.Dense(8)(number_in)
    number = layers.BatchNormalization()(number)
    number = layers.ReLU()(number)
    joined = layers.Concatenate()([text, number])
    out = layers.Dense(1, activation="sigmoid")(joined)
    model = keras.Model([text_in, number_in], out)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC()])
    model.fit([tokens, numbers], y, batch_size=16, epochs=2, validation_split=0.2, verbose=0)
    assert float64_seen == []
    assert all(str(w.dtype) == "float32" for w in model.weights)
    assert model.predict([tokens, numbers], verbose=0).dtype == np.float32
