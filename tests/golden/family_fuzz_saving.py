"""Golden values of Keras 3 model files: four models (functional with shared, nested and
reused layers and a dict of outputs; a Sequential CNN; a registered subclassed model; an
uncompiled recurrent Sequential) trained two steps and saved by Keras, with what Keras's
own reload of each file gives.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_saving.py
"""

import json
import os
import sys
import tempfile
import zipfile

import numpy as np

import keras
from make_golden import HERE, Golden, f32, to_np
from fuzz_saving_common import fuzz_model_class, h5_layout


FuzzModel = fuzz_model_class(keras)


def functional_model():
    L = keras.layers
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    inner = keras.Sequential([keras.Input((6,)), L.Dense(4, activation="tanh"),
                              L.BatchNormalization(momentum=0.5)], name="inner")
    seq = L.Embedding(7, 4)(tokens)
    seq = L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="concat")(seq)
    seq = L.MultiHeadAttention(num_heads=2, key_dim=2)(seq, seq)
    seq = L.GlobalAveragePooling1D()(seq)
    merged = L.Concatenate()([inner(a), inner(b), seq])
    reused = L.Dense(12, activation="relu")
    trunk = reused(reused(merged))
    outputs = {"reg": L.Dense(2, name="reg")(trunk),
               "cls": L.Dense(3, activation="softmax", name="cls")(trunk)}
    model = keras.Model([a, b, tokens], outputs, name="fn_model")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, amsgrad=True),
                  loss={"reg": keras.losses.MeanSquaredError(),
                        "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.5},
                  metrics={"reg": ["mae"], "cls": ["accuracy"]})
    return model


def sequential_cnn():
    L = keras.layers
    model = keras.Sequential([
        keras.Input((5, 6, 2)), L.Conv2D(3, 2, padding="same", activation="relu"),
        L.DepthwiseConv2D(2, padding="same"), L.MaxPooling2D(2), L.BatchNormalization(),
        L.SeparableConv2D(2, 2, padding="same"), L.GlobalAveragePooling2D(),
        L.Dropout(0.0), L.Dense(3, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(num_thresholds=20)])
    return model


def subclassed():
    model = FuzzModel(units=[4, 3], out_units=3)
    model(np.zeros((1, 4), "float32"))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9,
                                                 nesterov=True),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=[])
    return model


def recurrent_uncompiled():
    L = keras.layers
    return keras.Sequential([keras.Input((4, 3)), L.LSTM(3, return_sequences=True),
                             L.Conv1D(2, 2, padding="causal"), L.Flatten(), L.Dense(2)],
                            name="rnn_model")


def drop_shared_ids(config):
    if isinstance(config, dict):
        return {k: drop_shared_ids(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, list):
        return [drop_shared_ids(v) for v in config]
    return config


def make_fuzz_saving():
    g = Golden(
        "fuzz_saving",
        seed=71,
        description=(
            "Each case: a model (`model`: functional / sequential_cnn / subclassed / "
            "recurrent) trained two steps with fit(batch_size=4, shuffle=False) on x "
            "(inputs x0, x1, ...) and y (targets y0, ...; dict outputs in the order of "
            "`output_names`), saved by Keras to fuzz_saving_<name>.keras (and "
            "save_weights to fuzz_saving_<name>.weights.h5 for the cases with "
            "`weights_file`). Keras then reloads the file in a fresh session: pred_i = "
            "its predictions on x, opt_i = its optimizer variables (names in "
            "`optimizer_names`), `eval` = evaluate(return_dict=True), `metrics_names`, "
            "w1_i = its weights after one train_on_batch(x, y). `metadata_keys` / "
            "`weights_layout` describe the archive Keras wrote (its model.weights.h5 has "
            "the layout of save_weights' file: path, shape, dtype of each dataset); `json` is model.to_json(), equal to the archive's config.json "
            "without its `shared_object_id` entries."),
    )
    rng = np.random.default_rng(71)
    n = 8
    builders = {"functional": functional_model, "sequential_cnn": sequential_cnn,
                "subclassed": subclassed, "recurrent": recurrent_uncompiled}
    for name, build in builders.items():
        keras.backend.clear_session()
        keras.utils.set_random_seed(71)
        model = build()
        if name == "functional":
            xs = [f32(rng.normal(size=(n, 6))), f32(rng.normal(size=(n, 6))),
                  rng.integers(0, 7, (n, 5)).astype("int32")]
            ys = [f32(rng.normal(size=(n, 2))), rng.integers(0, 3, (n, 1)).astype("int32")]
            fit_y = {"reg": ys[0], "cls": ys[1]}
        elif name == "sequential_cnn":
            xs = [f32(rng.normal(size=(n, 5, 6, 2)))]
            ys = [np.eye(3, dtype="float32")[rng.integers(0, 3, n)]]
            fit_y = ys[0]
        elif name == "subclassed":
            xs = [f32(rng.normal(size=(n, 4)))]
            ys = [np.eye(3, dtype="float32")[rng.integers(0, 3, n)]]
            fit_y = ys[0]
        else:
            xs = [f32(rng.normal(size=(n, 4, 3)))]
            ys, fit_y = [], None
        fit_x = xs if len(xs) > 1 else xs[0]
        if fit_y is not None:
            model.fit(fit_x, fit_y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        path = os.path.join(HERE, f"fuzz_saving_{name}.keras")
        model.save(path)
        with_weights_file = name == "recurrent"
        with tempfile.TemporaryDirectory() as tmp:
            wpath = (os.path.join(HERE, f"fuzz_saving_{name}.weights.h5") if with_weights_file
                     else os.path.join(tmp, "w.weights.h5"))
            model.save_weights(wpath)
            weights_file_layout = h5_layout(open(wpath, "rb").read())
        as_json = model.to_json()
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
            metadata = json.loads(z.read("metadata.json"))
            layout = h5_layout(z.read("model.weights.h5"))
        keras.backend.clear_session()
        loaded = keras.saving.load_model(path)
        arrays = {f"x{i}": x for i, x in enumerate(xs)}
        arrays.update({f"y{i}": y for i, y in enumerate(ys)})
        out = loaded.predict(fit_x, verbose=0)
        outs = [out[k] for k in ("reg", "cls")] if isinstance(out, dict) else [out]
        arrays.update({f"pred_{i}": to_np(o) for i, o in enumerate(outs)})
        # `json` holds config.json but for Keras's per-process `shared_object_id`s
        assert json.loads(as_json) == drop_shared_ids(config)
        assert weights_file_layout == layout  # the archive's weights file is that file
        meta = {"model": name, "weights_file": with_weights_file,
                "metadata_keys": sorted(metadata), "weights_layout": layout,
                "json": as_json, "output_names": ["reg", "cls"] if name == "functional" else None}
        if fit_y is not None:
            ev = loaded.evaluate(fit_x, fit_y, verbose=0, return_dict=True)
            meta["eval"] = {k: float(v) for k, v in ev.items()}
            meta["metrics_names"] = list(loaded.metrics_names)
            meta["optimizer_names"] = [v.path for v in loaded.optimizer.variables]
            arrays.update({f"opt_{i}": to_np(v) for i, v in enumerate(loaded.optimizer.variables)})
            loaded.train_on_batch(fit_x, fit_y)
            arrays.update({f"w1_{i}": w for i, w in enumerate(loaded.get_weights())})
        g.add(name, type(model).__name__, "keras", {}, arrays, **meta)
    g.write()


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    make_fuzz_saving()
