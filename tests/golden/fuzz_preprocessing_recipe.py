"""Run a preprocessing case of `fuzz_preprocessing_grammar.py` with Keras or kerasx.

`run_layer(K, recipe, arrays, workdir)` builds the layer (``K`` = ``keras`` or ``kerasx``;
this module imports neither), adapts it, calls it, and returns ``(outputs, meta)``:
outputs are NumPy arrays (``y``; the vocabulary, idf weights, mean / variance or bin
boundaries after `adapt`; ``y_roundtrip`` of a layer rebuilt from its own config), meta
the output dtype and shape, `get_config()`, and the symbolic output shape and dtype of a
call on `Input`s with an unknown batch size (or the error raised at a stage).
`run_model` builds a model of preprocessing layers then trainable layers, predicts and
trains it two steps; `load_and_predict` reloads a saved one.
"""

import json
import os
import traceback

import numpy as np

# A converter for string inputs (Keras on TensorFlow takes `tf.constant`s in `predict`).
STRING_INPUT = None
# The library's own conversion to NumPy, for arrays `np.asarray` cannot read.
TO_NUMPY = None
TUPLE_KEYS = ("ngrams", "factor", "value_range")
TRAINABLE = ("Dense", "Embedding")


def to_np(y):
    """A layer output as a NumPy array; strings as `str`."""
    if hasattr(y, "numpy") and not isinstance(y, np.ndarray):
        y = y.numpy()
    elif TO_NUMPY is not None and not isinstance(y, (np.ndarray, list, tuple)):
        y = TO_NUMPY(y)
    y = np.asarray(y)
    if y.dtype.kind in "OS":
        as_str = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else str(v),
                              otypes=[str])
        y = as_str(y) if y.size else y.astype(str)
    return y


def _input(a):
    if a.dtype.kind == "U" and STRING_INPUT is not None:
        return STRING_INPUT(a)
    return a


def layer_config(spec, workdir):
    """The constructor arguments of `spec`: JSON lists back to tuples where Keras wants
    them, a `{"__lines__": [...]}` vocabulary written to a file in `workdir`."""
    cfg = {}
    for key, value in spec["config"].items():
        if key in TUPLE_KEYS and isinstance(value, list):
            value = tuple(value)
        if isinstance(value, dict) and "__lines__" in value:
            path = os.path.join(workdir, f"vocabulary_{len(os.listdir(workdir))}.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(value["__lines__"]) + "\n")
            value = path
        cfg[key] = value
    return cfg


def build_layer(K, spec, workdir):
    return getattr(K.layers, spec["class"])(**layer_config(spec, workdir))


def adapt_layer(layer, spec, arrays):
    if spec.get("adapt"):
        layer.adapt(_input(arrays[spec["adapt"]]))
    if spec.get("readapt"):
        layer.adapt(_input(arrays[spec["readapt"]]))


def call_layer(layer, spec, arrays):
    if spec.get("as_list"):
        xs = [arrays[k].tolist() for k in spec["inputs"]]
    elif spec.get("tuple_input") and STRING_INPUT is not None:
        xs = [STRING_INPUT(arrays[k]) for k in spec["inputs"]]
    else:
        xs = [_input(arrays[k]) for k in spec["inputs"]]
    kwargs = dict(spec.get("call_kwargs", {}))
    for key, name in spec.get("call_arrays", {}).items():
        kwargs[key] = arrays[name]
    return layer(tuple(xs) if spec.get("tuple_input") else xs[0], **kwargs)


def layer_state(layer):
    """What `adapt` learnt, as arrays."""
    out = {}
    name = type(layer).__name__
    if hasattr(layer, "get_vocabulary"):
        out["vocabulary"] = np.array([str(v) for v in layer.get_vocabulary()])
        out["vocabulary_plain"] = np.array(
            [str(v) for v in layer.get_vocabulary(include_special_tokens=False)])
        out["vocabulary_size"] = np.array(int(layer.vocabulary_size()))
    lookup = getattr(layer, "_lookup_layer", layer)
    if getattr(lookup, "output_mode", None) == "tf_idf":
        out["idf"] = to_np(lookup.idf_weights).astype(np.float32)
    if name == "Normalization":
        for key in ("mean", "variance"):
            if getattr(layer, key, None) is not None:
                out[key] = to_np(getattr(layer, key)).astype(np.float32)
    if name == "Discretization" and layer.bin_boundaries is not None:
        out["bin_boundaries"] = np.asarray(layer.bin_boundaries, dtype=np.float64)
    return out


def _symbolic(K, spec, arrays, workdir):
    inputs = []
    for key in spec["inputs"]:
        a = arrays[key]
        dtype = "string" if a.dtype.kind == "U" else str(a.dtype)
        inputs.append(K.Input(batch_shape=(None,) + a.shape[1:] if a.ndim else (),
                              dtype=dtype))
    layer = build_layer(K, spec, workdir)
    adapt_layer(layer, spec, arrays)
    out = layer(tuple(inputs)) if spec.get("tuple_input") else layer(inputs[0])
    return list(out.shape), str(out.dtype)


def _error(stage, e):
    return [stage, type(e).__name__, str(e)[:300]]


def run_layer(K, recipe, arrays, workdir):
    """A layer case: see the module docstring."""
    spec = recipe["layer"]
    outs, meta = {}, {}
    stage = "construct"
    try:
        layer = build_layer(K, spec, workdir)
        stage = "adapt"
        adapt_layer(layer, spec, arrays)
        stage = "call"
        y = to_np(call_layer(layer, spec, arrays))
    except Exception as e:
        meta["error"] = _error(stage, e)
        return outs, meta
    outs["y"] = y
    meta["y_dtype"], meta["y_shape"] = str(y.dtype), list(y.shape)
    outs.update(layer_state(layer))
    config = layer.get_config()
    meta["config"] = json.loads(json.dumps(config, default=repr))
    if recipe.get("roundtrip"):
        try:
            outs["y_roundtrip"] = to_np(call_layer(type(layer).from_config(config), spec,
                                                   arrays))
        except Exception as e:
            meta["roundtrip_error"] = _error("roundtrip", e)
    try:
        meta["symbolic_shape"], meta["symbolic_dtype"] = _symbolic(K, spec, arrays, workdir)
    except Exception as e:
        meta["symbolic_error"] = _error("symbolic", e)
    return outs, meta


def build_model(K, recipe, arrays, workdir):
    layers = []
    for spec in recipe["layers"]:
        layer = build_layer(K, spec, workdir)
        adapt_layer(layer, spec, arrays)
        layers.append(layer)
    x = arrays["x"]
    inp = K.Input(shape=x.shape[1:], dtype="string" if x.dtype.kind == "U" else str(x.dtype))
    if recipe["model"] == "sequential":
        return K.Sequential([inp] + layers)
    h = inp
    for layer in layers:
        h = layer(h)
    return K.Model(inp, h)


def run_model(K, recipe, arrays, workdir, init=None, save=None):
    """A model case: predictions, two training steps (or two epochs of `fit`), weights,
    `evaluate`; the trainable layers start from `init` when given (else their own
    initial weights, returned as ``init<j>_<i>``)."""
    outs, meta = {}, {}
    try:
        model = build_model(K, recipe, arrays, workdir)
        trainable = [layer for layer in model.layers if type(layer).__name__ in TRAINABLE]
        for j, layer in enumerate(trainable):
            if init is not None:
                layer.set_weights([init[f"init{j}_{i}"]
                                   for i in range(len(layer.get_weights()))])
            for i, w in enumerate(layer.get_weights()):
                outs[f"init{j}_{i}"] = to_np(w)
        x, y = _input(arrays["x"]), arrays["y"]
        outs["pred"] = to_np(model.predict(x, verbose=0))
        outs["pred_test"] = to_np(model(_input(arrays["x_test"])))
        meta["out_shape"] = list(model.outputs[0].shape)
        meta["count_params"] = model.count_params()
        optimizer = K.optimizers.Adam(0.01) if recipe["opt"] == "adam" else \
            K.optimizers.SGD(0.05)
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
        if recipe.get("fit"):
            h = model.fit(x, y, batch_size=recipe["fit"], epochs=2, shuffle=False, verbose=0)
            outs["history"] = np.array([h.history["loss"], h.history["mae"]], np.float32)
        else:
            logs = [model.train_on_batch(x, y, return_dict=True) for _ in range(2)]
            outs["losses"] = np.array([[r["loss"], r["mae"]] for r in logs], np.float32)
        for j, layer in enumerate(trainable):
            for i, w in enumerate(layer.get_weights()):
                outs[f"after{j}_{i}"] = to_np(w)
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
        outs["eval"] = np.array([logs["loss"], logs["mae"]], np.float32)
        outs["pred_after"] = to_np(model.predict(x, verbose=0))
        if save:
            model.save(save)
    except Exception as e:
        meta["error"] = _error("model", e)
        meta["trace"] = traceback.format_exc()[-2000:]
    return outs, meta


def load_and_predict(K, path, arrays):
    model = K.models.load_model(path)
    return {"pred": to_np(model.predict(_input(arrays["x"]), verbose=0)),
            "pred_test": to_np(model(_input(arrays["x_test"])))}
