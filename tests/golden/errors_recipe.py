"""Misuse of the Keras API and what the user gets: `run(K, case, workdir)`.

A case is plain JSON (`{"k": kind, ...}`) drawn by `all_cases()`: wrong shapes between
layers (Dense on another feature size after build, merging layers of mismatched shapes,
convolutions / recurrent layers on the wrong rank), labels that do not fit the loss (sparse
against one-hot, widths, class ids out of range, fractional ids, other row counts, extra
axes), unknown names in every place a string is accepted (losses, metrics, optimizers,
activations, initializers, regularizers, constraints, padding, data_format, ...), `fit`
arguments of the wrong kind, NaN / inf in the data, unbuilt subclassed models, `set_weights`
and `load_weights` that do not fit, save paths, saves that fail midway over an existing
file (does the previous file survive?), `compile` structures that do not match the outputs.
`run` takes the module ``K`` (``keras`` or ``kerasx``; this module imports neither) and
returns whether the call raised, the exception's type, the names of its classes and its
message, or the JSON result when it did not raise. ``family_fuzz_errors.py`` records
Keras's outcomes; ``tests/test_error_messages_differential.py`` replays them in kerasx.
"""
import contextlib
import io
import os
import random
import warnings

import numpy as np


def _rng(seed):
    return np.random.default_rng(seed)


def _x(seed, *shape):
    return _rng(seed).normal(size=shape).astype("float32")


def _seq(K, layers):
    return K.Sequential(layers)


# ---------------------------------------------------------------- cases

def c_dense_wrong_features(K, c, wd):
    layer = K.layers.Dense(c["units"])
    layer(_x(0, 2, c["built"]))
    if c["mode"] == "eager":
        return layer(_x(1, 2, c["given"]))
    return layer(K.Input((c["given"],)))


def c_model_wrong_features(K, c, wd):
    m = _seq(K, [K.Input((c["built"],)), K.layers.Dense(c["units"])])
    return m.predict(_x(1, 4, c["given"]), verbose=0)


def c_merge(K, c, wd):
    cls = getattr(K.layers, c["layer"])
    kw = {"axis": c["axis"]} if c["layer"] == "Concatenate" else {}
    lay = cls(**kw)
    if c["mode"] == "symbolic":
        return lay([K.Input(tuple(s)) for s in c["shapes"]])
    return lay([_x(i, 2, *s) for i, s in enumerate(c["shapes"])])


def c_rank(K, c, wd):
    lay = {"Conv2D": lambda: K.layers.Conv2D(2, 3), "LSTM": lambda: K.layers.LSTM(2),
           "Conv1D": lambda: K.layers.Conv1D(2, 2), "GRU": lambda: K.layers.GRU(2),
           "MaxPooling2D": lambda: K.layers.MaxPooling2D(),
           "BatchNormalization": lambda: K.layers.BatchNormalization(axis=3),
           "Conv3D": lambda: K.layers.Conv3D(2, 2)}[c["layer"]]()
    if c["mode"] == "symbolic":
        return lay(K.Input(tuple(c["shape"])))
    return lay(_x(0, 2, *c["shape"]))


def _fit_model(K, c):
    n_out = c.get("n_out", 3)
    act = c.get("act", "softmax")
    m = _seq(K, [K.Input((4,)), K.layers.Dense(n_out, activation=act)])
    m.compile(optimizer="sgd", loss=c["loss"])
    return m


def c_labels(K, c, wd):
    m = _fit_model(K, c)
    n = c.get("n", 8)
    x = _x(0, n, 4)
    y = np.asarray(c["y"], dtype=c.get("ydtype", "float32"))
    h = m.fit(x, y, epochs=1, batch_size=c.get("bs", 4), verbose=0)
    return h.history


def c_unknown_name(K, c, wd):
    where, name = c["where"], c["name"]
    L = K.layers
    if where == "compile_loss":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer="sgd", loss=name)
        return m.fit(_x(0, 4, 4), _x(1, 4, 3), verbose=0).history
    if where == "compile_metric":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer="sgd", loss="mse", metrics=[name])
        return m.fit(_x(0, 4, 4), _x(1, 4, 3), verbose=0).history
    if where == "compile_optimizer":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer=name, loss="mse")
        return m.fit(_x(0, 4, 4), _x(1, 4, 3), verbose=0).history
    if where == "losses.get":
        return K.losses.get(name)
    if where == "metrics.get":
        return K.metrics.get(name)
    if where == "optimizers.get":
        return K.optimizers.get(name)
    if where == "activations.get":
        return K.activations.get(name)
    if where == "initializers.get":
        return K.initializers.get(name)
    if where == "regularizers.get":
        return K.regularizers.get(name)
    if where == "constraints.get":
        return K.constraints.get(name)
    ctor = {
        "Dense.activation": lambda: L.Dense(2, activation=name),
        "Dense.kernel_initializer": lambda: L.Dense(2, kernel_initializer=name),
        "Dense.bias_initializer": lambda: L.Dense(2, bias_initializer=name),
        "Dense.kernel_regularizer": lambda: L.Dense(2, kernel_regularizer=name),
        "Dense.activity_regularizer": lambda: L.Dense(2, activity_regularizer=name),
        "Dense.kernel_constraint": lambda: L.Dense(2, kernel_constraint=name),
        "Dense.bias_constraint": lambda: L.Dense(2, bias_constraint=name),
        "Activation": lambda: L.Activation(name),
        "Conv2D.padding": lambda: L.Conv2D(2, 3, padding=name),
        "Conv2D.data_format": lambda: L.Conv2D(2, 3, data_format=name),
        "Conv1D.padding": lambda: L.Conv1D(2, 3, padding=name),
        "MaxPooling2D.padding": lambda: L.MaxPooling2D(padding=name),
        "MaxPooling2D.data_format": lambda: L.MaxPooling2D(data_format=name),
        "AveragePooling1D.padding": lambda: L.AveragePooling1D(2, padding=name),
        "GlobalAveragePooling2D.data_format": lambda: L.GlobalAveragePooling2D(data_format=name),
        "UpSampling2D.interpolation": lambda: L.UpSampling2D(interpolation=name),
        "LSTM.recurrent_activation": lambda: L.LSTM(2, recurrent_activation=name),
        "LSTM.recurrent_initializer": lambda: L.LSTM(2, recurrent_initializer=name),
        "GRU.activation": lambda: L.GRU(2, activation=name),
        "Embedding.embeddings_initializer": lambda: L.Embedding(5, 2, embeddings_initializer=name),
        "Embedding.embeddings_regularizer": lambda: L.Embedding(5, 2, embeddings_regularizer=name),
        "BatchNormalization.gamma_initializer": lambda: L.BatchNormalization(gamma_initializer=name),
        "BatchNormalization.beta_constraint": lambda: L.BatchNormalization(beta_constraint=name),
        "Conv2D.kernel_initializer": lambda: L.Conv2D(2, 3, kernel_initializer=name),
        "Conv2D.activation": lambda: L.Conv2D(2, 3, activation=name),
        "Conv2DTranspose.padding": lambda: L.Conv2DTranspose(2, 3, padding=name),
        "SeparableConv2D.depthwise_initializer": lambda: L.SeparableConv2D(2, 3, depthwise_initializer=name),
        "DepthwiseConv2D.padding": lambda: L.DepthwiseConv2D(3, padding=name),
        "Flatten.data_format": lambda: L.Flatten(data_format=name),
        "Cropping2D.data_format": lambda: L.Cropping2D(data_format=name),
        "ZeroPadding2D.data_format": lambda: L.ZeroPadding2D(data_format=name),
        "Bidirectional.merge_mode": lambda: L.Bidirectional(L.LSTM(2), merge_mode=name),
        "Resizing.interpolation": lambda: L.Resizing(4, 4, interpolation=name),
        "MultiHeadAttention.kernel_initializer": lambda: L.MultiHeadAttention(2, 2, kernel_initializer=name),
        "Input.dtype": lambda: K.Input((2,), dtype=name),
        "Dense.dtype": lambda: L.Dense(2, dtype=name),
    }[where]
    lay = ctor()
    # construction may be lazy: build and call
    if where.startswith(("Conv2D", "MaxPooling2D", "GlobalAveragePooling2D", "UpSampling2D",
                         "SeparableConv2D", "DepthwiseConv2D", "Cropping2D", "ZeroPadding2D",
                         "Conv2DTranspose", "Resizing")):
        return lay(_x(0, 1, 6, 6, 2))
    if where.startswith(("Conv1D", "AveragePooling1D", "LSTM", "GRU", "Bidirectional")):
        return lay(_x(0, 1, 6, 2))
    if where.startswith("Embedding"):
        return lay(np.array([[1, 2]]))
    if where.startswith("MultiHead"):
        v = _x(0, 1, 3, 2)
        return lay(v, v)
    if where.startswith("Flatten"):
        return lay(_x(0, 1, 3, 2))
    if where == "Input.dtype":
        return lay
    return lay(_x(0, 2, 3))


def c_fit_args(K, c, wd):
    kind = c["kind"]
    m = _fit_model(K, {"loss": "mse", "act": None})
    x, y = _x(0, 8, 4), _x(1, 8, 3)
    if kind == "validation_split_generator":
        def gen():
            while True:
                yield x[:4], y[:4]
        return m.fit(gen(), steps_per_epoch=2, validation_split=0.25, verbose=0).history
    if kind == "batch_size_pydataset":
        class DS(K.utils.PyDataset):
            def __len__(self):
                return 2

            def __getitem__(self, i):
                return x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]
        return m.fit(DS(), batch_size=4, verbose=0).history
    if kind == "batch_size_generator":
        def gen():
            for i in range(2):
                yield x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]
        return m.fit(gen(), batch_size=4, verbose=0).history
    if kind == "infinite_generator_no_steps":
        count = [0]

        def gen():
            while True:
                count[0] += 1
                if count[0] > 60:
                    raise RuntimeError("CAP: generator ran 60 batches without a limit")
                yield x[:4], y[:4]
        return m.fit(gen(), epochs=1, verbose=0).history
    if kind == "sample_weight_length":
        return m.fit(x, y, sample_weight=np.ones(c["n_sw"], "float32"), batch_size=4,
                     verbose=0).history
    if kind == "sample_weight_rank":
        return m.fit(x, y, sample_weight=np.ones((8, 3, 2), "float32"), batch_size=4,
                     verbose=0).history
    if kind == "class_weight_multi_output":
        inp = K.Input((4,))
        a = K.layers.Dense(3, activation="softmax", name="a")(inp)
        b = K.layers.Dense(3, activation="softmax", name="b")(inp)
        mm = K.Model(inp, [a, b])
        mm.compile(optimizer="sgd", loss="categorical_crossentropy")
        yy = np.eye(3, dtype="float32")[np.arange(8) % 3]
        return mm.fit(x, [yy, yy], class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0).history
    if kind == "class_weight_onehot":
        mm = _fit_model(K, {"loss": "categorical_crossentropy"})
        yy = np.eye(3, dtype="float32")[np.arange(8) % 3]
        return mm.fit(x, yy, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0).history
    if kind == "class_weight_missing_class":
        mm = _fit_model(K, {"loss": "sparse_categorical_crossentropy"})
        yy = np.arange(8) % 3
        return mm.fit(x, yy, class_weight={0: 1.0, 1: 2.0}, verbose=0).history
    if kind == "x_y_batch_mismatch":
        return m.fit(x, y[:c["ny"]], verbose=0).history
    if kind == "validation_data_bad":
        return m.fit(x, y, validation_data=(x,), verbose=0).history
    if kind == "validation_data_3":
        return m.fit(x, y, validation_data=(x, y, np.ones(8), np.ones(8)), verbose=0).history
    if kind == "validation_split_too_big":
        return m.fit(x, y, validation_split=c["vs"], verbose=0).history
    if kind == "epochs_float":
        return m.fit(x, y, epochs=1.5, verbose=0).history
    if kind == "x_none":
        return m.fit(None, y, verbose=0).history
    if kind == "x_list_of_lists":
        return m.fit(x.tolist(), y, verbose=0).history
    if kind == "x_string":
        return m.fit("abc", y, verbose=0).history
    if kind == "steps_and_array":
        return m.fit(x, y, steps_per_epoch=c["steps"], batch_size=4, verbose=0).history
    if kind == "unknown_kwarg":
        return m.fit(x, y, verbose=0, foo=1).history
    if kind == "fit_uncompiled":
        m2 = _seq(K, [K.Input((4,)), K.layers.Dense(3)])
        return m2.fit(x, y, verbose=0).history
    if kind == "evaluate_uncompiled":
        m2 = _seq(K, [K.Input((4,)), K.layers.Dense(3)])
        return m2.evaluate(x, y, verbose=0)
    if kind == "predict_with_y":
        return m.predict(x, y, verbose=0)
    if kind == "initial_epoch_ge_epochs":
        return m.fit(x, y, epochs=1, initial_epoch=3, verbose=0).history
    if kind == "dict_x_unknown_key":
        inp = K.Input((4,), name="a")
        mm = K.Model({"a": inp}, K.layers.Dense(3)(inp))
        mm.compile(optimizer="sgd", loss="mse")
        return mm.fit({"b": x}, y, verbose=0).history
    if kind == "two_inputs_one_array":
        i1, i2 = K.Input((4,)), K.Input((4,))
        mm = K.Model([i1, i2], K.layers.Dense(3)(K.layers.Concatenate()([i1, i2])))
        mm.compile(optimizer="sgd", loss="mse")
        return mm.fit(x, y, verbose=0).history
    if kind == "two_outputs_one_y":
        inp = K.Input((4,))
        mm = K.Model(inp, [K.layers.Dense(3)(inp), K.layers.Dense(3)(inp)])
        mm.compile(optimizer="sgd", loss="mse")
        return mm.fit(x, y, verbose=0).history
    if kind == "callbacks_not_list":
        return m.fit(x, y, verbose=0, callbacks="foo").history
    if kind == "callback_object_wrong":
        return m.fit(x, y, verbose=0, callbacks=[object()]).history
    raise KeyError(kind)


def c_nan(K, c, wd):
    m = _fit_model(K, {"loss": "mse", "act": None})
    x, y = _x(0, 8, 4), _x(1, 8, 3)
    tgt = x if c["where"] == "x" else y
    tgt[c["row"], 0] = float(c["value"])
    out = {}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        h = m.fit(x, y, epochs=2, batch_size=4, verbose=0,
                  callbacks=[K.callbacks.TerminateOnNaN()] if c.get("ton") else [])
    out["loss"] = [float(v) for v in h.history["loss"]]
    out["warnings"] = sorted({str(i.category.__name__) for i in w})
    out["weights_finite"] = bool(all(np.isfinite(np.asarray(v)).all() for v in m.get_weights()))
    return out


def c_unbuilt_subclass(K, c, wd):
    class M(K.Model):
        def __init__(self):
            super().__init__()
            self.d = K.layers.Dense(3)

        def call(self, x):
            return self.d(x)
    m = M()
    op = c["op"]
    if op == "predict":
        return m.predict(_x(0, 4, 4), verbose=0).shape
    if op == "summary":
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            m.summary()
        return "printed"
    if op == "get_weights":
        return len(m.get_weights())
    if op == "save_weights":
        m.save_weights(os.path.join(wd, "u.weights.h5"))
        return "saved"
    if op == "count_params":
        return m.count_params()
    if op == "fit_uncompiled":
        return m.fit(_x(0, 4, 4), _x(1, 4, 3), verbose=0)
    if op == "evaluate":
        m.compile(optimizer="sgd", loss="mse")
        return m.evaluate(_x(0, 4, 4), _x(1, 4, 3), verbose=0)
    if op == "output_shape":
        return m.output_shape
    if op == "input":
        return m.input
    raise KeyError(op)


def c_set_weights(K, c, wd):
    m = _seq(K, [K.Input((4,)), K.layers.Dense(3), K.layers.Dense(2)])
    w = m.get_weights()
    kind = c["kind"]
    target = m if c.get("on") == "model" else m.layers[0]
    if target is not m:
        w = target.get_weights()
    if kind == "fewer":
        w = w[:-1]
    elif kind == "more":
        w = w + [np.zeros(2, "float32")]
    elif kind == "shape":
        w = [np.zeros((5, 3), "float32")] + w[1:]
    elif kind == "transposed":
        w = [w[0].T] + w[1:]
    elif kind == "bias_shape":
        w = [w[0], np.zeros((1, 3), "float32")] + w[2:]
    elif kind == "scalar":
        w = [1.0] + w[1:]
    elif kind == "not_list":
        w = w[0]
    target.set_weights(w)
    return "ok"


def c_load_weights(K, c, wd):
    a = _seq(K, [K.Input((4,)), K.layers.Dense(3), K.layers.Dense(2)])
    ext = c["ext"]
    p = os.path.join(wd, "a" + ext)
    if ext == ".keras":
        a.save(p)
    else:
        a.save_weights(p)
    kind = c["kind"]
    if kind == "units":
        b = _seq(K, [K.Input((4,)), K.layers.Dense(5), K.layers.Dense(2)])
    elif kind == "extra_layer":
        b = _seq(K, [K.Input((4,)), K.layers.Dense(3), K.layers.Dense(2), K.layers.Dense(2)])
    elif kind == "fewer_layers":
        b = _seq(K, [K.Input((4,)), K.layers.Dense(2)])
    elif kind == "input_size":
        b = _seq(K, [K.Input((6,)), K.layers.Dense(3), K.layers.Dense(2)])
    elif kind == "other_type":
        b = _seq(K, [K.Input((4,)), K.layers.Dense(3), K.layers.BatchNormalization()])
    elif kind == "missing_file":
        b = a
        p = os.path.join(wd, "nope" + ext)
    elif kind == "bad_ext":
        b = a
        p = os.path.join(wd, "a.txt")
        with open(p, "w") as f:
            f.write("x")
    b.load_weights(p)
    return "loaded"


def c_save_path(K, c, wd):
    m = _seq(K, [K.Input((4,)), K.layers.Dense(3)])
    name = c["name"]
    kind = c["kind"]
    p = os.path.join(wd, name)
    if kind == "save":
        m.save(p)
    elif kind == "save_weights":
        m.save_weights(p)
    elif kind == "load_model":
        K.saving.load_model(p)
    elif kind == "save_overwrite_false":
        m.save(p)
        m.save(p, overwrite=False)
    return sorted(os.listdir(wd))


def c_save_fail(K, c, wd):
    p = os.path.join(wd, "m" + c["ext"])
    m = _seq(K, [K.Input((4,)), K.layers.Dense(3)])
    if c["ext"] == ".keras":
        m.save(p)
    else:
        m.save_weights(p)
    before = _read(p)
    kind = c["kind"]
    err = None
    try:
        if kind == "unserializable_config":
            class Bad(K.layers.Layer):
                def __init__(self, thing=None, **kw):
                    super().__init__(**kw)
                    self.thing = thing

                def get_config(self):
                    return {**super().get_config(), "thing": self.thing}

                def call(self, x):
                    return x
            m2 = _seq(K, [K.Input((4,)), K.layers.Dense(3), Bad(thing=object())])
            m2.save(p)
        elif kind == "get_config_raises":
            class Bad2(K.layers.Layer):
                def get_config(self):
                    raise RuntimeError("boom in get_config")

                def call(self, x):
                    return x
            m2 = _seq(K, [K.Input((4,)), K.layers.Dense(3), Bad2()])
            m2.save(p)
        elif kind == "save_own_variables_raises":
            class Bad3(K.layers.Layer):
                def build(self, s):
                    self.w = self.add_weight(shape=(1,), initializer="ones")

                def save_own_variables(self, store):
                    raise RuntimeError("boom in save_own_variables")

                def call(self, x):
                    return x * self.w
            m2 = _seq(K, [K.Input((4,)), K.layers.Dense(3), Bad3()])
            if c["ext"] == ".keras":
                m2.save(p)
            else:
                m2.save_weights(p)
        elif kind == "weights_raise":
            class Bad4(K.layers.Layer):
                def build(self, s):
                    self.w = self.add_weight(shape=(1,), initializer="ones")

                def save_own_variables(self, store):
                    store["0"] = np.ones(1, "float32")
                    raise KeyboardInterrupt

                def call(self, x):
                    return x * self.w
            m2 = _seq(K, [K.Input((4,)), K.layers.Dense(3), Bad4()])
            m2.save_weights(p) if c["ext"] != ".keras" else m2.save(p)
    except BaseException as e:  # noqa
        err = (type(e).__name__, str(e)[:300])
    after = _read(p) if os.path.exists(p) else None
    leftovers = sorted(os.listdir(wd))
    return {"err": err, "survived": after == before, "files": leftovers}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def run(K, case, wd):
    """Runs `case` in the empty folder `wd`: `{"raised": True, "type", "mro", "msg"}` or
    `{"raised": False, "out", "warnings"}`."""
    fn = globals()["c_" + case["k"]]
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = fn(K, case, wd)
        ws = [f"{i.category.__name__}: {str(i.message)[:300]}" for i in w]
        try:
            if hasattr(out, "shape"):
                out = ["shape", list(out.shape)]
            import json
            json.dumps(out)
        except Exception:
            out = repr(type(out).__name__)
        return {"raised": False, "out": out, "warnings": ws[:5]}
    except BaseException as e:  # noqa
        if isinstance(e, (SystemExit,)):
            raise
        return {"raised": True, "type": type(e).__name__,
                "mro": [t.__name__ for t in type(e).__mro__],
                "msg": str(e)[:1500]}


BAD_NAMES = ["foo", "relu6x", "Adamm", "glorot_uniformm", "l3", "same_", "channels_middle"]


def cases():
    out = []
    # shapes
    for mode in ("eager", "symbolic"):
        for built, given in [(3, 4), (5, 2)]:
            out.append({"k": "dense_wrong_features", "units": 2, "built": built, "given": given,
                        "mode": mode})
        out.append({"k": "merge", "layer": "Concatenate", "axis": -1, "shapes": [[3, 2], [4, 2]],
                    "mode": mode})
        out.append({"k": "merge", "layer": "Concatenate", "axis": 1, "shapes": [[3, 2], [3]],
                    "mode": mode})
        out.append({"k": "merge", "layer": "Concatenate", "axis": 3, "shapes": [[3, 2], [3, 2]],
                    "mode": mode})
        for L in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Dot"):
            out.append({"k": "merge", "layer": L, "shapes": [[3], [4]], "mode": mode})
        out.append({"k": "merge", "layer": "Subtract", "shapes": [[3], [3], [3]], "mode": mode})
        out.append({"k": "merge", "layer": "Add", "shapes": [[3]], "mode": mode})
        out.append({"k": "merge", "layer": "Add", "shapes": [[3, 2], [3]], "mode": mode})
        for L, s in [("Conv2D", [5, 3]), ("Conv2D", [5, 5, 3, 2]), ("LSTM", [3]), ("GRU", [3]),
                     ("LSTM", [2, 3, 4]), ("Conv1D", [5]), ("MaxPooling2D", [4, 4]),
                     ("Conv3D", [4, 4, 2]), ("BatchNormalization", [3, 4])]:
            out.append({"k": "rank", "layer": L, "shape": s, "mode": mode})
    out.append({"k": "model_wrong_features", "units": 2, "built": 3, "given": 5})
    # labels
    sp = [0, 1, 2, 0, 1, 2, 0, 1]
    oh = np.eye(3)[sp].tolist()
    out += [
        {"k": "labels", "loss": "categorical_crossentropy", "y": sp},
        {"k": "labels", "loss": "categorical_crossentropy", "y": [[v] for v in sp]},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": oh},
        {"k": "labels", "loss": "categorical_crossentropy", "y": np.eye(4)[sp].tolist()},
        {"k": "labels", "loss": "categorical_crossentropy", "y": np.eye(2)[[v % 2 for v in sp]].tolist()},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": [0, 1, 5, 0, 1, 2, 0, 1],
         "ydtype": "int32"},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": [0, 1, -1, 0, 1, 2, 0, 1],
         "ydtype": "int32"},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": [0, 1.5, 2, 0, 1, 2, 0, 1]},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": [[v] for v in sp]},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": [[[v]] for v in sp]},
        {"k": "labels", "loss": "binary_crossentropy", "y": sp, "n_out": 1, "act": "sigmoid"},
        {"k": "labels", "loss": "binary_crossentropy", "y": oh, "n_out": 1, "act": "sigmoid"},
        {"k": "labels", "loss": "mse", "y": [[v, v, v, v] for v in sp]},
        {"k": "labels", "loss": "mse", "y": [[[v, v, v]] for v in sp]},
        {"k": "labels", "loss": "mse", "y": sp[:6]},
        {"k": "labels", "loss": "mse", "y": [[v, v, v] for v in sp][:5]},
        {"k": "labels", "loss": "categorical_crossentropy", "y": oh[:6]},
        {"k": "labels", "loss": "categorical_crossentropy", "y": [[r] for r in oh]},
        {"k": "labels", "loss": "sparse_categorical_crossentropy", "y": ["a"] * 8, "ydtype": "str"},
        {"k": "labels", "loss": "binary_crossentropy", "y": [[2.0]] * 8, "n_out": 1,
         "act": "sigmoid"},
        {"k": "labels", "loss": "kl_divergence", "y": sp},
        {"k": "labels", "loss": "hinge", "y": np.eye(4)[sp].tolist()},
        {"k": "labels", "loss": "categorical_hinge", "y": sp},
        {"k": "labels", "loss": "cosine_similarity", "y": np.eye(4)[sp].tolist()},
    ]
    # unknown names
    wheres = ["compile_loss", "compile_metric", "compile_optimizer", "losses.get", "metrics.get",
              "optimizers.get", "activations.get", "initializers.get", "regularizers.get",
              "constraints.get", "Dense.activation", "Dense.kernel_initializer",
              "Dense.bias_initializer", "Dense.kernel_regularizer", "Dense.activity_regularizer",
              "Dense.kernel_constraint", "Dense.bias_constraint", "Activation", "Conv2D.padding",
              "Conv2D.data_format", "Conv1D.padding", "MaxPooling2D.padding",
              "MaxPooling2D.data_format", "AveragePooling1D.padding",
              "GlobalAveragePooling2D.data_format", "UpSampling2D.interpolation",
              "LSTM.recurrent_activation", "LSTM.recurrent_initializer", "GRU.activation",
              "Embedding.embeddings_initializer", "Embedding.embeddings_regularizer",
              "BatchNormalization.gamma_initializer", "BatchNormalization.beta_constraint",
              "Conv2D.kernel_initializer", "Conv2D.activation", "Conv2DTranspose.padding",
              "SeparableConv2D.depthwise_initializer", "DepthwiseConv2D.padding",
              "Flatten.data_format", "Cropping2D.data_format", "ZeroPadding2D.data_format",
              "Bidirectional.merge_mode", "Resizing.interpolation",
              "MultiHeadAttention.kernel_initializer", "Input.dtype", "Dense.dtype"]
    r = random.Random(40)
    for w in wheres:
        out.append({"k": "unknown_name", "where": w, "name": r.choice(BAD_NAMES)})
    for w in ["Dense.activation", "compile_loss", "compile_metric", "Conv2D.padding",
              "compile_optimizer"]:
        out.append({"k": "unknown_name", "where": w, "name": "RELU" if "act" in w else "MSE"})
    # fit args
    for kind in ["validation_split_generator", "batch_size_pydataset", "batch_size_generator",
                 "infinite_generator_no_steps", "sample_weight_rank",
                 "class_weight_multi_output", "class_weight_onehot", "class_weight_missing_class",
                 "validation_data_bad", "validation_data_3", "epochs_float", "x_none",
                 "x_list_of_lists", "x_string", "unknown_kwarg", "fit_uncompiled",
                 "evaluate_uncompiled", "predict_with_y", "initial_epoch_ge_epochs",
                 "dict_x_unknown_key", "two_inputs_one_array", "two_outputs_one_y",
                 "callbacks_not_list", "callback_object_wrong"]:
        out.append({"k": "fit_args", "kind": kind})
    for n in (6, 10):
        out.append({"k": "fit_args", "kind": "sample_weight_length", "n_sw": n})
    for ny in (6, 1):
        out.append({"k": "fit_args", "kind": "x_y_batch_mismatch", "ny": ny})
    for vs in (1.0, 1.5, -0.1):
        out.append({"k": "fit_args", "kind": "validation_split_too_big", "vs": vs})
    out.append({"k": "fit_args", "kind": "steps_and_array", "steps": 5})
    # NaN
    for where in ("x", "y"):
        for value in ("nan", "inf"):
            out.append({"k": "nan", "where": where, "value": value, "row": 1})
    out.append({"k": "nan", "where": "x", "value": "nan", "row": 1, "ton": True})
    # unbuilt subclass
    for op in ("predict", "summary", "get_weights", "save_weights", "count_params",
               "fit_uncompiled", "evaluate", "output_shape", "input"):
        out.append({"k": "unbuilt_subclass", "op": op})
    for on in ("model", "layer"):
        for kind in ("fewer", "more", "shape", "transposed", "bias_shape", "scalar", "not_list"):
            out.append({"k": "set_weights", "kind": kind, "on": on})
    for ext in (".weights.h5", ".keras"):
        for kind in ("units", "extra_layer", "fewer_layers", "input_size", "other_type",
                     "missing_file", "bad_ext"):
            out.append({"k": "load_weights", "kind": kind, "ext": ext})
    for kind, name in [("save", "m"), ("save", "m.h5x"), ("save", "m.weights.h5"),
                       ("save", "m.tf"), ("save_weights", "m.h5"), ("save_weights", "m.keras"),
                       ("save_weights", "m"), ("load_model", "m.txt"), ("load_model", "none.keras"),
                       ("save_overwrite_false", "m.keras")]:
        out.append({"k": "save_path", "kind": kind, "name": name})
    for ext in (".keras", ".weights.h5"):
        for kind in ("unserializable_config", "get_config_raises", "save_own_variables_raises",
                     "weights_raise"):
            if ext == ".weights.h5" and kind in ("unserializable_config", "get_config_raises"):
                continue
            out.append({"k": "save_fail", "kind": kind, "ext": ext})
    return out


# ---------------------------------------------------------------- second batch

def c_misc(K, c, wd):
    kind = c["kind"]
    L = K.layers
    x, y = _x(0, 8, 4), _x(1, 8, 3)
    if kind == "policy":
        return str(K.dtype_policies.DTypePolicy(c["name"]).name)
    if kind == "layer_dtype":
        return L.Dense(2, dtype=c["name"])(_x(0, 2, 3)).shape
    if kind == "padding_case":
        return L.Conv2D(2, 3, padding=c["name"])(_x(0, 1, 6, 6, 2)).shape
    if kind == "pool_padding_case":
        return L.MaxPooling2D(padding=c["name"])(_x(0, 1, 6, 6, 2)).shape
    if kind == "data_format_case":
        return L.Conv2D(2, 3, data_format=c["name"])(_x(0, 1, 6, 6, 2)).shape
    if kind == "act_case":
        return L.Dense(2, activation=c["name"])(_x(0, 2, 3)).shape
    if kind == "opt_case":
        return type(K.optimizers.get(c["name"])).__name__
    if kind == "loss_case":
        m = _fit_model(K, {"loss": c["name"]})
        return m.fit(x, np.eye(3, dtype="float32")[np.arange(8) % 3], verbose=0).history.keys().__len__()
    if kind == "metrics_string":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer="sgd", loss="mse", metrics=c["name"])
        return sorted(m.fit(x, y, verbose=0).history)
    if kind == "loss_weights_len":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer="sgd", loss="mse", loss_weights=[1.0, 2.0])
        return sorted(m.fit(x, y, verbose=0).history)
    if kind == "loss_list_len":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer="sgd", loss=["mse", "mae"])
        return sorted(m.fit(x, y, verbose=0).history)
    if kind == "metrics_list_len":
        inp = K.Input((4,))
        mm = K.Model(inp, [L.Dense(3)(inp), L.Dense(3)(inp)])
        mm.compile(optimizer="sgd", loss="mse", metrics=[["mae"], ["mae"], ["mae"]])
        return sorted(mm.fit(x, [y, y], verbose=0).history)
    if kind == "loss_dict_badkey":
        inp = K.Input((4,))
        mm = K.Model(inp, [L.Dense(3, name="a")(inp), L.Dense(3, name="b")(inp)])
        mm.compile(optimizer="sgd", loss={"a": "mse", "c": "mse"})
        return sorted(mm.fit(x, [y, y], verbose=0).history)
    if kind == "y_dict_badkey":
        inp = K.Input((4,))
        mm = K.Model(inp, {"a": L.Dense(3, name="a")(inp), "b": L.Dense(3, name="b")(inp)})
        mm.compile(optimizer="sgd", loss="mse")
        return sorted(mm.fit(x, {"a": y, "c": y}, verbose=0).history)
    if kind == "compile_bad_type":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer="sgd", loss=3)
        return sorted(m.fit(x, y, verbose=0).history)
    if kind == "optimizer_bad_type":
        m = _fit_model(K, {"loss": "mse"})
        m.compile(optimizer=3, loss="mse")
        return sorted(m.fit(x, y, verbose=0).history)
    if kind == "sample_weight_generator":
        m = _fit_model(K, {"loss": "mse", "act": None})

        def gen():
            for i in range(2):
                yield x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]
        return sorted(m.fit(gen(), sample_weight=np.ones(8), verbose=0).history)
    if kind == "class_weight_regression":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0).history)
    if kind == "class_weight_bad_key":
        m = _fit_model(K, {"loss": "sparse_categorical_crossentropy"})
        return sorted(m.fit(x, np.arange(8) % 3, class_weight={"a": 1.0}, verbose=0).history)
    if kind == "validation_steps_no_data":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, validation_steps=2, verbose=0).history)
    if kind == "batch_size_negative":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, batch_size=-2, verbose=0).history)
    if kind == "batch_size_float":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, batch_size=2.5, verbose=0).history)
    if kind == "steps_per_epoch_zero":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, steps_per_epoch=0, verbose=0).history)
    if kind == "epochs_negative":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, epochs=-1, verbose=0).history)
    if kind == "epochs_string":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, epochs="2", verbose=0).history)
    if kind == "verbose_bad":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, verbose="loud").history)
    if kind == "shuffle_bad":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(x, y, shuffle="yes", verbose=0).history)
    if kind == "evaluate_wrong_features":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return m.evaluate(_x(0, 8, 5), y, verbose=0)
    if kind == "predict_wrong_rank":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return m.predict(_x(0, 8, 4, 1), verbose=0).shape
    if kind == "predict_1d":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return m.predict(_x(0, 4), verbose=0).shape
    if kind == "predict_batch_size_zero":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return m.predict(x, batch_size=0, verbose=0).shape
    if kind == "train_on_batch_wrong":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return m.train_on_batch(x, y[:5])
    if kind == "embedding_float":
        return L.Embedding(5, 2)(np.array([[0.5, 1.0]], "float32")).shape
    if kind == "embedding_oob":
        return np.asarray(L.Embedding(5, 2)(np.array([[7, 1]]))).shape
    if kind == "reshape_bad":
        return L.Reshape((5,))(_x(0, 2, 2, 3)).shape
    if kind == "reshape_bad_symbolic":
        return L.Reshape((5,))(K.Input((2, 3))).shape
    if kind == "dense_rank1":
        return L.Dense(2)(np.ones(3, "float32")).shape
    if kind == "dense_units_zero":
        return L.Dense(0)
    if kind == "dense_units_float":
        return L.Dense(2.5)
    if kind == "dense_units_negative":
        return L.Dense(-1)
    if kind == "dropout_rate":
        return L.Dropout(1.5)
    if kind == "conv_filters_zero":
        return L.Conv2D(0, 3)
    if kind == "conv_kernel_too_big":
        return L.Conv2D(2, 7)(_x(0, 1, 5, 5, 2)).shape
    if kind == "conv_kernel_too_big_symbolic":
        return L.Conv2D(2, 7)(K.Input((5, 5, 2))).shape
    if kind == "conv_channels_changed":
        lay = L.Conv2D(2, 3)
        lay(_x(0, 1, 5, 5, 2))
        return lay(_x(0, 1, 5, 5, 3)).shape
    if kind == "lstm_features_changed":
        lay = L.LSTM(2)
        lay(_x(0, 1, 5, 2))
        return lay(_x(0, 1, 5, 3)).shape
    if kind == "mha_mismatch":
        lay = L.MultiHeadAttention(2, 4)
        return lay(_x(0, 2, 3, 4), _x(1, 3, 5, 4)).shape
    if kind == "input_shape_int":
        return K.Input(shape=4)
    if kind == "input_shape_none_list":
        return K.Input(shape=[None, "a"])
    if kind == "model_bad_inputs":
        return K.Model(inputs=_x(0, 2, 3), outputs=_x(0, 2, 3))
    if kind == "model_disconnected":
        a, b = K.Input((3,)), K.Input((3,))
        return K.Model(a, L.Dense(2)(b))
    if kind == "sequential_non_layer":
        return K.Sequential([L.Dense(2), "relu"])
    if kind == "sequential_add_input_twice":
        return K.Sequential([K.Input((3,)), L.Dense(2), K.Input((2,))])
    if kind == "duplicate_layer_names":
        inp = K.Input((3,))
        return K.Model(inp, L.Dense(2, name="d")(L.Dense(3, name="d")(inp)))
    if kind == "get_layer_missing":
        m = _fit_model(K, {"loss": "mse"})
        return m.get_layer("nope")
    if kind == "get_layer_index":
        m = _fit_model(K, {"loss": "mse"})
        return m.get_layer(index=7)
    if kind == "unbuilt_subclass_save":
        class M(K.Model):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.d = L.Dense(3)

            def call(self, x):
                return self.d(x)
        M().save(os.path.join(wd, "u.keras"))
        return "saved"
    if kind == "load_weights_skip_mismatch":
        a = _seq(K, [K.Input((4,)), L.Dense(3), L.Dense(2)])
        p = os.path.join(wd, "a.weights.h5")
        a.save_weights(p)
        b = _seq(K, [K.Input((4,)), L.Dense(5), L.Dense(2)])
        b.load_weights(p, skip_mismatch=True)
        return "loaded"
    if kind == "set_weights_int_dtype":
        lay = L.Dense(3)
        lay.build((None, 4))
        lay.set_weights([np.ones((4, 3), "int64"), np.ones(3, "int64")])
        return str(np.asarray(lay.get_weights()[0]).dtype)
    if kind == "set_weights_unbuilt":
        lay = L.Dense(3)
        lay.set_weights([np.ones((4, 3), "float32"), np.ones(3, "float32")])
        return "ok"
    if kind == "load_model_weights_file":
        m = _fit_model(K, {"loss": "mse"})
        p = os.path.join(wd, "a.weights.h5")
        m.save_weights(p)
        return type(K.saving.load_model(p)).__name__
    if kind == "load_model_garbage":
        p = os.path.join(wd, "a.keras")
        with open(p, "wb") as f:
            f.write(b"not a zip file")
        return type(K.saving.load_model(p)).__name__
    if kind == "load_model_custom_missing":
        class Custom(L.Layer):
            def call(self, x):
                return x
        m = _seq(K, [K.Input((4,)), Custom(name="cu")])
        p = os.path.join(wd, "a.keras")
        m.save(p)
        return type(K.saving.load_model(p)).__name__
    if kind == "load_weights_garbage_h5":
        p = os.path.join(wd, "a.weights.h5")
        with open(p, "wb") as f:
            f.write(b"not an h5 file")
        m = _fit_model(K, {"loss": "mse"})
        m.load_weights(p)
        return "loaded"
    if kind == "save_dir_missing":
        m = _fit_model(K, {"loss": "mse"})
        m.save(os.path.join(wd, "no", "such", "dir", "m.keras"))
        return "saved"
    if kind == "fit_string_y":
        m = _fit_model(K, {"loss": "mse"})
        return m.fit(x, np.array(["a"] * 8), verbose=0)
    if kind == "fit_object_x":
        m = _fit_model(K, {"loss": "mse"})
        return m.fit(np.array([object()] * 8), y, verbose=0)
    if kind == "fit_ragged_list":
        m = _fit_model(K, {"loss": "mse"})
        return m.fit([[1, 2, 3, 4], [1, 2]], y[:2], verbose=0)
    if kind == "fit_int_x":
        m = _fit_model(K, {"loss": "mse", "act": None})
        return sorted(m.fit(np.ones((8, 4), "int64"), y, verbose=0).history)
    if kind == "fit_bool_y":
        m = _fit_model(K, {"loss": "binary_crossentropy", "act": "sigmoid", "n_out": 1})
        return sorted(m.fit(x, np.arange(8) % 2 == 0, verbose=0).history)
    if kind == "fit_y_none_loss":
        m = _fit_model(K, {"loss": "mse"})
        return sorted(m.fit(x, verbose=0).history)
    if kind == "activation_call_int":
        return K.activations.get(3)
    if kind == "initializer_call_bad_shape":
        return K.initializers.GlorotUniform()(shape=(3,))
    if kind == "initializer_kwargs":
        return K.initializers.get({"class_name": "RandomNormal", "config": {"stdev": 1.0}})
    if kind == "regularizer_negative":
        return K.regularizers.L2(-1.0)
    if kind == "optimizer_lr_string":
        return K.optimizers.Adam(learning_rate="fast")
    if kind == "optimizer_unknown_kwarg":
        return K.optimizers.Adam(lr=0.1)
    if kind == "optimizer_clip_both":
        return K.optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    if kind == "losses_reduction_bad":
        return K.losses.MeanSquaredError(reduction="average")
    if kind == "losses_from_logits_sparse_bad_axis":
        return K.losses.SparseCategoricalCrossentropy(axis=0)(np.array([0, 1]), _x(0, 2, 3))
    if kind == "metric_update_bad_shape":
        mt = K.metrics.CategoricalAccuracy()
        mt.update_state(np.eye(3)[[0, 1]], _x(0, 2, 4))
        return float(mt.result())
    if kind == "callback_monitor_missing":
        m = _fit_model(K, {"loss": "mse", "act": None})
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            m.fit(x, y, epochs=2, verbose=0,
                  callbacks=[K.callbacks.EarlyStopping(monitor="val_los")])
        return "ran"
    if kind == "checkpoint_bad_ext":
        m = _fit_model(K, {"loss": "mse", "act": None})
        m.fit(x, y, epochs=1, verbose=0,
              callbacks=[K.callbacks.ModelCheckpoint(os.path.join(wd, "ck.h5x"))])
        return "ran"
    if kind == "checkpoint_weights_only_bad_ext":
        m = _fit_model(K, {"loss": "mse", "act": None})
        m.fit(x, y, epochs=1, verbose=0,
              callbacks=[K.callbacks.ModelCheckpoint(os.path.join(wd, "ck.keras"),
                                                     save_weights_only=True)])
        return "ran"
    raise KeyError(kind)


def cases2():
    out = []
    for name in ("foo", "float31", "int", "channels_middle", "mixed_float32", "mixed_int8"):
        out.append({"k": "misc", "kind": "policy", "name": name})
        out.append({"k": "misc", "kind": "layer_dtype", "name": name})
    for name in ("SAME", "Valid", "causal", "full"):
        out.append({"k": "misc", "kind": "padding_case", "name": name})
        out.append({"k": "misc", "kind": "pool_padding_case", "name": name})
    for name in ("CHANNELS_LAST", "channels-last", "NHWC"):
        out.append({"k": "misc", "kind": "data_format_case", "name": name})
    for name in ("Relu", "ReLU", "Softmax", "linear ", "leakyrelu"):
        out.append({"k": "misc", "kind": "act_case", "name": name})
    for name in ("Adam", "ADAM", "SGD", "RMSProp", "adam_w"):
        out.append({"k": "misc", "kind": "opt_case", "name": name})
    for name in ("CategoricalCrossentropy", "categorical_crossentropy ", "CCE", "crossentropy",
                 "categoricalcrossentropy"):
        out.append({"k": "misc", "kind": "loss_case", "name": name})
    for name in ("accuracy", "mae"):
        out.append({"k": "misc", "kind": "metrics_string", "name": name})
    for kind in ["loss_weights_len", "loss_list_len", "metrics_list_len", "loss_dict_badkey",
                 "y_dict_badkey", "compile_bad_type", "optimizer_bad_type",
                 "sample_weight_generator", "class_weight_regression", "class_weight_bad_key",
                 "validation_steps_no_data", "batch_size_negative", "batch_size_float",
                 "steps_per_epoch_zero", "epochs_negative", "epochs_string", "verbose_bad",
                 "shuffle_bad", "evaluate_wrong_features", "predict_wrong_rank", "predict_1d",
                 "predict_batch_size_zero", "train_on_batch_wrong", "embedding_float",
                 "embedding_oob", "reshape_bad", "reshape_bad_symbolic", "dense_rank1",
                 "dense_units_zero", "dense_units_float", "dense_units_negative", "dropout_rate",
                 "conv_filters_zero", "conv_kernel_too_big", "conv_kernel_too_big_symbolic",
                 "conv_channels_changed", "lstm_features_changed", "mha_mismatch",
                 "input_shape_int", "input_shape_none_list", "model_bad_inputs",
                 "model_disconnected", "sequential_non_layer", "sequential_add_input_twice",
                 "duplicate_layer_names", "get_layer_missing", "get_layer_index",
                 "unbuilt_subclass_save", "load_weights_skip_mismatch", "set_weights_int_dtype",
                 "set_weights_unbuilt", "load_model_weights_file", "load_model_garbage",
                 "load_model_custom_missing", "load_weights_garbage_h5", "save_dir_missing",
                 "fit_string_y", "fit_object_x", "fit_ragged_list", "fit_int_x", "fit_bool_y",
                 "fit_y_none_loss", "activation_call_int", "initializer_call_bad_shape",
                 "initializer_kwargs", "regularizer_negative", "optimizer_lr_string",
                 "optimizer_unknown_kwarg", "optimizer_clip_both", "losses_reduction_bad",
                 "losses_from_logits_sparse_bad_axis", "metric_update_bad_shape",
                 "callback_monitor_missing", "checkpoint_bad_ext",
                 "checkpoint_weights_only_bad_ext"]:
        out.append({"k": "misc", "kind": kind})
    return out


# ---------------------------------------------------------------- third batch

def c_more(K, c, wd):
    kind = c["kind"]
    L = K.layers
    x, y = _x(0, 8, 4), _x(1, 8, 3)
    if kind == "time_distributed_rank2":
        return L.TimeDistributed(L.Dense(2))(_x(0, 2, 3)).shape
    if kind == "bidirectional_rank2":
        return L.Bidirectional(L.LSTM(2))(_x(0, 2, 3)).shape
    if kind == "global_pool_rank":
        return L.GlobalAveragePooling2D()(_x(0, 2, 3, 4)).shape
    if kind == "attention_dims":
        return L.Attention()([_x(0, 2, 3, 4), _x(1, 2, 5, 6)]).shape
    if kind == "conv_channels_first_rank":
        return L.Conv2D(2, 3, data_format="channels_first")(_x(0, 1, 2, 6)).shape
    if kind == "embedding_input_dim_zero":
        return L.Embedding(0, 2)
    if kind == "normalization_adapt_shape":
        n = L.Normalization(axis=-1)
        n.adapt(_x(0, 10, 3))
        return n(_x(1, 2, 4)).shape
    if kind == "sparse_two_columns":
        m = _fit_model(K, {"loss": "sparse_categorical_crossentropy"})
        return sorted(m.fit(x, np.zeros((8, 2), "int32"), verbose=0).history)
    if kind == "y_dict_missing_output":
        inp = K.Input((4,))
        mm = K.Model(inp, {"a": L.Dense(3, name="a")(inp), "b": L.Dense(3, name="b")(inp)})
        mm.compile(optimizer="sgd", loss={"a": "mse", "b": "mse"})
        return sorted(mm.fit(x, {"a": y}, verbose=0).history)
    if kind == "y_list_too_long":
        inp = K.Input((4,))
        mm = K.Model(inp, [L.Dense(3)(inp), L.Dense(3)(inp)])
        mm.compile(optimizer="sgd", loss="mse")
        return sorted(mm.fit(x, [y, y, y], verbose=0).history)
    if kind == "sample_weight_list_len":
        inp = K.Input((4,))
        mm = K.Model(inp, [L.Dense(3)(inp), L.Dense(3)(inp)])
        mm.compile(optimizer="sgd", loss="mse")
        return sorted(mm.fit(x, [y, y], sample_weight=[np.ones(8)] * 3, verbose=0).history)
    if kind == "class_weight_extra_class":
        mm = _fit_model(K, {"loss": "sparse_categorical_crossentropy"})
        return sorted(mm.fit(x, np.arange(8) % 3, class_weight={0: 1.0, 1: 1.0, 2: 1.0, 7: 2.0},
                             verbose=0).history)
    if kind == "deserialize_unknown_layer":
        return L.deserialize({"class_name": "Foo", "config": {}})
    if kind == "optimizer_unknown_class":
        return K.optimizers.get({"class_name": "Foo", "config": {}})
    if kind == "initializer_unknown_class":
        return L.Dense(2, kernel_initializer={"class_name": "Foo", "config": {}})
    if kind == "from_config_bad_key":
        return L.Dense.from_config({"units": 2, "foo": 1})
    if kind == "model_from_json_garbage":
        return K.models.model_from_json("{not json")
    if kind == "set_weights_nested":
        m = _seq(K, [K.Input((4,)), L.Dense(3)])
        m.set_weights([[np.zeros((4, 3)), np.zeros(3)]])
        return "ok"
    if kind == "set_weights_dtype_string":
        lay = L.Dense(3)
        lay.build((None, 4))
        lay.set_weights([np.full((4, 3), "a"), np.zeros(3)])
        return "ok"
    if kind == "add_weight_bad_shape":
        lay = L.Layer()
        return lay.add_weight(shape=(-1, 2))
    if kind == "layer_call_no_args":
        return L.Dense(2)()
    if kind == "layer_call_string":
        return L.Dense(2)("abc")
    if kind == "layer_call_list_numbers":
        return L.Dense(2)([[1.0, 2.0, 3.0]]).shape
    if kind == "model_call_wrong_dict_key":
        inp = K.Input((4,), name="a")
        mm = K.Model({"a": inp}, L.Dense(3)(inp))
        return mm({"b": x}).shape
    if kind == "predict_generator_wrong_shape":
        m = _fit_model(K, {"loss": "mse"})

        def gen():
            for i in range(2):
                yield _x(i, 4, 5)
        return m.predict(gen(), verbose=0).shape
    if kind == "fit_generator_bad_tuple":
        m = _fit_model(K, {"loss": "mse"})

        def gen():
            for i in range(2):
                yield (x[:4], y[:4], np.ones(4), np.ones(4))
        return sorted(m.fit(gen(), verbose=0).history)
    if kind == "fit_generator_yields_none":
        m = _fit_model(K, {"loss": "mse"})

        def gen():
            for i in range(2):
                yield None
        return sorted(m.fit(gen(), verbose=0).history)
    if kind == "evaluate_y_none":
        m = _fit_model(K, {"loss": "mse"})
        return m.evaluate(x, verbose=0)
    if kind == "compile_loss_weights_dict_badkey":
        inp = K.Input((4,))
        mm = K.Model(inp, [L.Dense(3, name="a")(inp), L.Dense(3, name="b")(inp)])
        mm.compile(optimizer="sgd", loss="mse", loss_weights={"a": 1.0, "c": 2.0})
        return sorted(mm.fit(x, [y, y], verbose=0).history)
    if kind == "metric_name_typo_in_dict":
        inp = K.Input((4,))
        mm = K.Model(inp, [L.Dense(3, name="a")(inp), L.Dense(3, name="b")(inp)])
        mm.compile(optimizer="sgd", loss="mse", metrics={"a": ["mae"], "z": ["mae"]})
        return sorted(mm.fit(x, [y, y], verbose=0).history)
    if kind == "reduce_lr_monitor_typo":
        m = _fit_model(K, {"loss": "mse", "act": None})
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.fit(x, y, epochs=2, verbose=0,
                  callbacks=[K.callbacks.ReduceLROnPlateau(monitor="val_los")])
        return sorted({i.category.__name__ for i in w})
    if kind == "early_stopping_monitor_absent":
        m = _fit_model(K, {"loss": "mse", "act": None})
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.fit(x, y, epochs=2, verbose=0,
                  callbacks=[K.callbacks.EarlyStopping(monitor="val_loss")])
        return sorted({i.category.__name__ for i in w})
    if kind == "input_negative":
        return K.Input((-1, 3))
    if kind == "input_batch_shape_and_shape":
        return K.Input(shape=(3,), batch_shape=(2, 3))
    if kind == "dropout_noise_shape_bad":
        return L.Dropout(0.5, noise_shape=(1, 5))(_x(0, 2, 3), training=True).shape
    if kind == "reshape_two_minus_one":
        return L.Reshape((-1, -1))(_x(0, 2, 6)).shape
    if kind == "permute_bad":
        return L.Permute((1, 1))(_x(0, 2, 3, 4)).shape
    if kind == "repeat_vector_rank":
        return L.RepeatVector(3)(_x(0, 2, 3, 4)).shape
    if kind == "lambda_unserializable_save":
        m = _seq(K, [K.Input((4,)), L.Lambda(lambda t: t * 2)])
        m.save(os.path.join(wd, "l.keras"))
        return "saved"
    if kind == "lambda_load_unsafe":
        m = _seq(K, [K.Input((4,)), L.Lambda(lambda t: t * 2)])
        p = os.path.join(wd, "l.keras")
        m.save(p)
        return type(K.saving.load_model(p)).__name__
    raise KeyError(kind)


def cases3():
    kinds = ["time_distributed_rank2", "bidirectional_rank2", "global_pool_rank", "attention_dims",
             "conv_channels_first_rank", "embedding_input_dim_zero", "normalization_adapt_shape",
             "sparse_two_columns", "y_dict_missing_output", "y_list_too_long",
             "sample_weight_list_len", "class_weight_extra_class", "deserialize_unknown_layer",
             "optimizer_unknown_class", "initializer_unknown_class", "from_config_bad_key",
             "model_from_json_garbage", "set_weights_nested", "set_weights_dtype_string",
             "add_weight_bad_shape", "layer_call_no_args", "layer_call_string",
             "layer_call_list_numbers", "model_call_wrong_dict_key",
             "predict_generator_wrong_shape", "fit_generator_bad_tuple",
             "fit_generator_yields_none", "evaluate_y_none", "compile_loss_weights_dict_badkey",
             "metric_name_typo_in_dict", "reduce_lr_monitor_typo", "early_stopping_monitor_absent",
             "input_negative", "input_batch_shape_and_shape", "dropout_noise_shape_bad",
             "reshape_two_minus_one", "permute_bad", "repeat_vector_rank",
             "lambda_unserializable_save", "lambda_load_unsafe"]
    return [{"k": "more", "kind": k} for k in kinds]


def all_cases():
    """Every case, each with a unique label `id`."""
    out = []
    for i, case in enumerate(cases() + cases2() + cases3()):
        detail = next((str(case[key]) for key in ("kind", "where", "layer", "loss", "mode")
                       if key in case), "")
        out.append({**case, "id": f"{i:03d}-{case['k']}-{detail}"})
    return out
