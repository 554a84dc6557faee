"""Writes whole models saved by Keras 2 (`tf_keras`, TensorFlow's Keras before Keras 3)
in the legacy HDF5 format, which test_keras2_h5_models.py reads, into `fixtures/`.

- `keras2_functional.h5`: a compiled, trained functional model (Dense, BatchNormalization
  with Keras 2's list `axis`, Dropout; Adam, mse, mae).
- `keras2_sequential.h5`: a compiled, trained Sequential model whose first layer takes
  `input_shape` (Embedding, LSTM, GRU, Dense; RMSprop with momentum, binary cross-entropy
  given as an object, accuracy).
- `keras2_architecture.json` and `keras2_weights.h5`: `model.to_json()` and
  `model.save_weights(...)` of an uncompiled functional model (LSTM, BatchNormalization
  over the time axis's features, Conv1D, global pooling), the Keras 2 way of keeping a
  model apart from its weights.
- `keras2_h5_models.json`: the inputs, the models' predictions, the optimizer variables
  and the evaluation logs.

Only this script imports TensorFlow. Run it from the repository root with TensorFlow and
tf_keras installed:
    TF_USE_LEGACY_KERAS=1 python tests/saving/make_keras2_h5_fixtures.py
"""

import json
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def _functional(rng):
    inputs = keras.Input((3,), name="features")
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    hidden = keras.layers.Dropout(0.25)(keras.layers.BatchNormalization()(hidden))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(hidden))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x = rng.normal(size=(16, 3)).astype("float32")
    model.fit(x, rng.normal(size=(16, 2)).astype("float32"), batch_size=8, epochs=2, verbose=0)
    return model, rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype(
        "float32")


def _sequential(rng):
    model = keras.Sequential([
        keras.layers.Embedding(20, 4, input_shape=(6,)),
        keras.layers.LSTM(5, return_sequences=True),
        keras.layers.GRU(3),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(0.01, momentum=0.5),
                  loss=keras.losses.BinaryCrossentropy(), metrics=["accuracy"])
    x = rng.integers(0, 20, size=(16, 6)).astype("int32")
    model.fit(x, rng.integers(0, 2, size=(16, 1)).astype("float32"), batch_size=8, verbose=0)
    return model, rng.integers(0, 20, size=(4, 6)).astype("int32"), rng.integers(
        0, 2, size=(4, 1)).astype("float32")


def _json_and_weights(rng):
    inputs = keras.Input((5, 3))
    hidden = keras.layers.LSTM(4, return_sequences=True)(inputs)
    hidden = keras.layers.BatchNormalization(beta_initializer="random_normal",
                                             moving_mean_initializer="random_normal")(hidden)
    hidden = keras.layers.Conv1D(2, 3, padding="same", activation="tanh")(hidden)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(hidden))
    with open(os.path.join(OUT, "keras2_architecture.json"), "w") as f:
        f.write(model.to_json())
    model.save_weights(os.path.join(OUT, "keras2_weights.h5"))
    x = rng.normal(size=(4, 5, 3)).astype("float32")
    return {"x": x.tolist(), "predictions": model.predict(x, verbose=0).tolist()}


def main():
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    record = {"tf_keras": keras.__version__}
    for name, make in (("functional", _functional), ("sequential", _sequential)):
        model, x, y = make(rng)
        model.save(os.path.join(OUT, f"keras2_{name}.h5"))
        record[name] = {
            "x": x.tolist(), "y": y.tolist(),
            "predictions": model.predict(x, verbose=0).tolist(),
            "evaluate": dict(zip(model.metrics_names,
                                 map(float, model.evaluate(x, y, verbose=0)))),
            "optimizer": {v.name: np.asarray(v.numpy()).tolist()
                          for v in model.optimizer.variables},
        }
    record["json_and_weights"] = _json_and_weights(rng)
    with open(os.path.join(OUT, "keras2_h5_models.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
