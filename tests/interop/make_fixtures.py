"""Regenerate the real-Keras-3 `.keras` fixtures in `fixtures/`.

Only this script imports keras; kerasx's tests read the results with h5py,
zipfile and NumPy. Run it from the repository root::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python tests/interop/make_fixtures.py

What it writes:

- `<model>.keras` + `<model>.npz` for an MLP, a small MNIST-style convnet, an
  LSTM model and a functional two-output model: each trained a few steps (so
  its optimizer has state), with its predictions on fixed inputs, one more
  training batch and the predictions after one more `train_on_batch` step on
  it (the continued-training check).
- `opt_<name>.keras` + `optimizers.npz`: a `Dense` model trained two steps
  with each Keras optimizer, with the same kind of predictions. Slots of equal
  shape (Adam's momentum and velocity) can only be told apart by training on.
- `lambda.keras`: a model with a `Lambda` layer holding a Python lambda, for
  the safe-mode check.
- `layer_structures.json`: for one small model per layer type, the spec that
  builds it and the HDF5 layout (`save_weights`) Keras gives it after one
  training step: every group, and every dataset with its shape and dtype.

The versions used are recorded in `versions.json`.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from specs import (INT_INPUTS, LAYER_SPECS, NO_KERAS_FIXTURE, build_spec_model,  # noqa: E402
                   h5_layout, spec_data)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def mlp():
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ], name="mlp")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 3, size=(32,))
    return model, x, y, True


def convnet():
    model = keras.Sequential([
        keras.Input(shape=(12, 12, 1)),
        keras.layers.Conv2D(4, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ], name="convnet")
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(32, 12, 12, 1)).astype("float32")
    y = rng.integers(0, 10, size=(32,))
    # Dropout draws different masks in kerasx and Keras: no continued-training check.
    return model, x, y, False


def lstm():
    model = keras.Sequential([
        keras.Input(shape=(5, 3)),
        keras.layers.LSTM(6),
        keras.layers.Dense(2),
    ], name="lstm_model")
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 5, 3)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    return model, x, y, True


def two_output():
    inputs = keras.Input(shape=(6,), name="features")
    hidden = keras.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    reg = keras.layers.Dense(1, name="reg")(hidden)
    cls = keras.layers.Dense(3, activation="softmax", name="cls")(hidden)
    model = keras.Model(inputs, [reg, cls], name="two_output")
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.5})
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = {"reg": rng.normal(size=(32, 1)).astype("float32"), "cls": rng.integers(0, 3, size=(32,))}
    return model, x, y, True


MODELS = {"mlp": mlp, "convnet": convnet, "lstm": lstm, "two_output": two_output}


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def make(name):
    keras.utils.set_random_seed(0)
    model, x, y, continue_check = MODELS[name]()
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(OUT, f"{name}.keras"))
    arrays = {"x": x[:4]}
    for i, p in enumerate(_as_list(model.predict(x[:4], verbose=0))):
        arrays[f"pred_{i}"] = p
    if continue_check:
        # One more step on a fixed batch, then predictions: the optimizer state must match.
        bx = x[8:16]
        by = {k: v[8:16] for k, v in y.items()} if isinstance(y, dict) else y[8:16]
        model.train_on_batch(bx, by)
        arrays["step_x"] = bx
        if isinstance(by, dict):
            for i, key in enumerate(["reg", "cls"]):
                arrays[f"step_y_{i}"] = by[key]
        else:
            arrays["step_y_0"] = by
        for i, p in enumerate(_as_list(model.predict(x[:4], verbose=0))):
            arrays[f"after_step_{i}"] = p
    np.savez(os.path.join(OUT, f"{name}.npz"), **arrays)


# -- optimizers ------------------------------------------------------------------------
def _optimizers():
    o = keras.optimizers
    return {
        "sgd": o.SGD(0.1),
        "sgd_momentum": o.SGD(0.1, momentum=0.9, nesterov=True),
        "adam": o.Adam(0.01),
        "adam_amsgrad": o.Adam(0.01, amsgrad=True),
        "adam_schedule": o.Adam(o.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)),
        "adam_ema": o.Adam(0.01, use_ema=True),
        "adamw": o.AdamW(0.01, weight_decay=0.01),
        "rmsprop": o.RMSprop(0.01),
        "rmsprop_centered": o.RMSprop(0.01, momentum=0.5, centered=True),
        "adagrad": o.Adagrad(0.1),
        "adadelta": o.Adadelta(1.0),
        "adamax": o.Adamax(0.01),
        "nadam": o.Nadam(0.01),
        "ftrl": o.Ftrl(0.1),
        "lion": o.Lion(0.01),
        "lamb": o.Lamb(0.01),
        "adafactor": o.Adafactor(0.01),
    }


def make_optimizers():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    arrays = {"x": x[:4], "step_x": x[8:16], "step_y": y[8:16]}
    for name, optimizer in _optimizers().items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)],
                                 name=f"opt_{name}")
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        path = os.path.join(OUT, f"opt_{name}.keras")
        model.save(path)
        # Continue in a reloaded copy: training on after save() trips over a donated JAX
        # buffer with schedules in Keras 3.15.
        model = keras.models.load_model(path)
        arrays[f"{name}/pred"] = model.predict(x[:4], verbose=0)
        model.train_on_batch(x[8:16], y[8:16])
        arrays[f"{name}/after_step"] = model.predict(x[:4], verbose=0)
    np.savez(os.path.join(OUT, "optimizers.npz"), **arrays)


# -- a Lambda layer ----------------------------------------------------------------------
def make_lambda():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda x: x * 2.0 + 1.0),
                              keras.layers.Dense(2)], name="with_lambda")
    model.save(os.path.join(OUT, "lambda.keras"))


# -- one model per layer type ------------------------------------------------------------
def make_layer_structures():
    import tempfile

    out = {}
    for name, (spec, inputs) in LAYER_SPECS.items():
        if name in NO_KERAS_FIXTURE:
            continue
        keras.utils.set_random_seed(0)
        model = build_spec_model(keras, name)
        model.compile(optimizer="adam", loss="mse")
        xs, y = spec_data(name, inputs)
        model.fit(xs if len(xs) > 1 else xs[0], y, batch_size=8, epochs=1, verbose=0)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.weights.h5")
            model.save_weights(path)
            out[name] = {"spec": spec, "inputs": inputs, "int_inputs": name in INT_INPUTS,
                         "layout": h5_layout(path)}
    with open(os.path.join(OUT, "layer_structures.json"), "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")


def main(names):
    os.makedirs(OUT, exist_ok=True)
    for name in names or list(MODELS) + ["optimizers", "lambda", "layers"]:
        if name == "optimizers":
            make_optimizers()
        elif name == "lambda":
            make_lambda()
        elif name == "layers":
            make_layer_structures()
        else:
            make(name)
        print("wrote", name)
    import h5py
    import jax

    with open(os.path.join(OUT, "versions.json"), "w") as f:
        json.dump({"keras": keras.__version__, "backend": keras.backend.backend(),
                   "jax": jax.__version__, "numpy": np.__version__, "h5py": h5py.__version__,
                   "python": sys.version.split()[0]}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
