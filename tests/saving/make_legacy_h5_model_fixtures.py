"""Writes the Keras-made legacy HDF5 models that test_legacy_h5_models.py reads, into
`fixtures/`, so the default suite checks reading them without Keras.

- `legacy_functional.h5`: `model.save("....h5")` of a compiled, trained functional
  model (Dense, BatchNormalization, Dropout; Adam, mse, mae), with its optimizer state.
- `legacy_sequential.h5`: the same of an uncompiled Sequential model.
- `legacy_objects.h5`: a Sequential model compiled with loss and metric objects (stored in
  the legacy `{"class_name", "config"}` form) and SGD with momentum, trained three steps.
- `legacy_h5_models.json`: the inputs, the models' predictions, the compiled model's
  loss, metrics and optimizer configuration, the third model's optimizer variables.

Only this script imports keras. Run it from the repository root:
    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python \
        tests/saving/make_legacy_h5_model_fixtures.py
"""

import json
import os

import numpy as np

import keras

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    inputs = keras.Input((3,), name="features")
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    hidden = keras.layers.Dropout(0.25)(keras.layers.BatchNormalization()(hidden))
    functional = keras.Model(inputs, keras.layers.Dense(2, name="head")(hidden))
    functional.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    functional.fit(rng.normal(size=(16, 3)).astype("float32"),
                   rng.normal(size=(16, 2)).astype("float32"), batch_size=8, epochs=2,
                   verbose=0)
    sequential = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="tanh"),
                                   keras.layers.Dense(1, activation="sigmoid")])
    objects = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu"),
                                keras.layers.Dense(1)])
    objects.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                    loss=keras.losses.MeanSquaredError(),
                    metrics=[keras.metrics.MeanAbsoluteError(), "mse"])
    objects.fit(rng.normal(size=(12, 3)).astype("float32"),
                rng.normal(size=(12, 1)).astype("float32"), batch_size=4, verbose=0)
    functional.save(os.path.join(OUT, "legacy_functional.h5"))
    sequential.save(os.path.join(OUT, "legacy_sequential.h5"))
    objects.save(os.path.join(OUT, "legacy_objects.h5"))
    x = rng.normal(size=(4, 3)).astype("float32")
    record = {
        "x": x.tolist(),
        "functional": functional.predict(x, verbose=0).tolist(),
        "sequential": sequential.predict(x, verbose=0).tolist(),
        "loss": functional.loss,
        "learning_rate": float(functional.optimizer.learning_rate),
        "optimizer": type(functional.optimizer).__name__,
        "objects": objects.predict(x, verbose=0).tolist(),
        "objects_optimizer": {v.path: np.asarray(v.numpy()).tolist()
                              for v in objects.optimizer.variables},
    }
    with open(os.path.join(OUT, "legacy_h5_models.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
