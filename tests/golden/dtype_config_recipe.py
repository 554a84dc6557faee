"""How layer and model configs write and read the dtype policy: the cases of
`family_dtype_config.py` (run by Keras) and of `tests/test_dtype_config.py` (run by kerasx).

Each case returns JSON values: a layer's `get_config()["dtype"]` for every way of giving
its dtype (a name, a `DTypePolicy`, a mixed or quantized policy, a policy map, the global
policy, `floatx`), the configs of wrappers, RNN cells and models, what `from_config` and
`deserialize_keras_object` make of each form of `dtype`, and the `config.json` of a saved
`.keras` file. Imports neither library: `K` is the module.
"""

import json
import os
import zipfile

# (layer class, constructor arguments, input shape for quantizing or None)
LAYERS = [
    ("Dense", {"units": 3}, None),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 3}, None),
    ("Embedding", {"input_dim": 5, "output_dim": 2}, None),
    ("Conv1D", {"filters": 2, "kernel_size": 2}, None),
    ("LSTM", {"units": 2}, None),
    ("BatchNormalization", {}, None),
    ("Normalization", {}, None),
    ("Dropout", {"rate": 0.1}, None),
    ("Activation", {"activation": "relu"}, None),
    ("Identity", {}, None),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, None),
    ("Rescaling", {"scale": 2.0}, None),
    ("CategoryEncoding", {"num_tokens": 3}, None),
    ("Discretization", {"bin_boundaries": [0.0, 1.0]}, None),
    ("SpatialDropout1D", {"rate": 0.1}, None),
]
DTYPES = [None, "float64", "mixed_float16", "bfloat16", "int32", "policy:mixed_bfloat16"]
# other dtype names a policy takes, given to two layers
OTHER_DTYPES = ["complex64", "uint8", "int16", "bool", "string"]
QUANTIZED = [("Dense", {"units": 3}, (None, 4), "int8"),
             ("Dense", {"units": 3}, (None, 4), "int4"),
             ("Dense", {"units": 3}, (None, 4), "float8"),
             ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 3}, (None, 4), "int8"),
             ("Embedding", {"input_dim": 5, "output_dim": 2}, (None,), "int8")]
QUANTIZED_NAMES = ["int8_from_float32", "float8_from_float32", "int4_from_mixed_bfloat16"]
# the forms of `dtype` a config may hold (objects are made by `_dtype_form`)
FORMS = ["str:float64", "str:mixed_bfloat16", "none", "dict:DTypePolicy:float64",
         "dict:FloatDTypePolicy:float16", "dict:DTypePolicy:mixed_float16",
         "dict-no-module:float64", "object:float64", "quantized:int8_from_float32",
         "map:mixed_float16"]


def _dtype(K, spec):
    if isinstance(spec, str) and spec.startswith("policy:"):
        return K.DTypePolicy(spec.split(":", 1)[1])
    return spec


def _dtype_form(K, form):
    kind, _, rest = form.partition(":")
    if kind == "str":
        return rest
    if kind == "none":
        return None
    if kind == "dict":
        cls, name = rest.split(":")
        return {"module": "keras", "class_name": cls, "config": {"name": name},
                "registered_name": None}
    if kind == "dict-no-module":
        return {"class_name": "DTypePolicy", "config": {"name": rest}}
    if kind == "object":
        return K.DTypePolicy(rest)
    if kind == "quantized":
        return K.dtype_policies.serialize(K.dtype_policies.get(rest))
    if kind == "map":
        return K.dtype_policies.serialize(K.dtype_policies.DTypePolicyMap(default_policy=rest))
    raise ValueError(form)


def _outcome(fn):
    try:
        return {"out": fn()}
    except Exception as e:  # the type is compared, the message is not
        return {"error": type(e).__name__}


def _layer_dtype(K, cls, kwargs, spec):
    layer = getattr(K.layers, cls)(name="probe", dtype=_dtype(K, spec), **kwargs)
    return layer.get_config()["dtype"]


def _quantized(K, cls, kwargs, shape, mode):
    layer = getattr(K.layers, cls)(name="probe", **kwargs)
    layer.build(shape)
    layer.quantize(mode)
    return layer.get_config()["dtype"]


def _policy_summary(K, layer):
    policy = layer.dtype_policy
    return [type(policy).__name__, policy.name, layer.get_config()["dtype"]]


def _from_config(K, form):
    config = K.layers.Dense(2, name="probe").get_config()
    config["dtype"] = _dtype_form(K, form)
    return _policy_summary(K, K.layers.Dense.from_config(config))


def _deserialized(K, form):
    config = K.saving.serialize_keras_object(K.layers.Dense(2, name="probe"))
    value = _dtype_form(K, form)
    if not isinstance(value, (str, dict, type(None))):
        return "object form is not JSON"
    config["config"]["dtype"] = value
    return _policy_summary(K, K.saving.deserialize_keras_object(json.loads(json.dumps(config))))


def _wrappers(K):
    L = K.layers
    bidi = L.Bidirectional(L.LSTM(2, dtype="float64", name="lstm"), name="bidi").get_config()
    outer = L.Bidirectional(L.LSTM(2, name="lstm"), dtype="float64", name="bidi").get_config()
    timed = L.TimeDistributed(L.Dense(2, dtype="mixed_float16", name="dense"),
                              name="timed").get_config()
    rnn = L.RNN(L.GRUCell(2, dtype="float64", name="cell"), name="rnn").get_config()
    stacked = L.StackedRNNCells([L.GRUCell(2, name="a"), L.LSTMCell(2, name="b")],
                                name="stacked").get_config()
    return {"bidirectional": [bidi["dtype"], bidi["layer"]["config"]["dtype"],
                              bidi["backward_layer"]["config"]["dtype"]],
            "bidirectional_outer": [outer["dtype"], outer["layer"]["config"]["dtype"]],
            "time_distributed": [timed["dtype"], timed["layer"]["config"]["dtype"]],
            "rnn_cell": [rnn["dtype"], rnn["cell"]["config"]["dtype"]],
            "stacked_cells": [stacked["dtype"]] + [c["config"]["dtype"]
                                                   for c in stacked["cells"]],
            "lstm_cell": L.LSTMCell(2, name="cell").get_config()["dtype"]}


def _subclassed_model(K):
    class Tiny(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = K.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    return Tiny


def _models(K):
    L = K.layers
    seq = K.Sequential([K.Input((4,), name="x"), L.Dense(2, name="d")], name="seq")
    inputs = K.Input((4,), name="x")
    functional = K.Model(inputs, L.Dense(2, dtype="float64", name="d")(inputs), name="f")
    tiny = _subclassed_model(K)
    config = functional.get_config()
    return {"sequential": seq.get_config()["dtype"],
            "sequential_layers": [e["config"]["dtype"] for e in seq.get_config()["layers"]],
            "functional_has_dtype": "dtype" in config,
            "functional_layers": [e["config"]["dtype"] for e in config["layers"]],
            "subclassed": tiny(name="tiny").get_config()["dtype"],
            "subclassed_mixed": tiny(name="tiny", dtype="mixed_float16").get_config()["dtype"]}


def _input_layers(K):
    L = K.layers
    return {"default": L.InputLayer(shape=(3,), name="i").get_config()["dtype"],
            "int32": L.InputLayer(shape=(3,), dtype="int32", name="i").get_config()["dtype"]}


def _global_policy(K):
    out = {}
    K.config.set_dtype_policy("mixed_float16")
    try:
        out["dense"] = K.layers.Dense(2, name="d").get_config()["dtype"]
        out["dense_own"] = K.layers.Dense(2, dtype="float32", name="d").get_config()["dtype"]
        out["input_layer"] = K.layers.InputLayer(shape=(3,), name="i").get_config()["dtype"]
        out["sequential"] = K.Sequential([K.layers.Dense(2, name="d")],
                                         name="s").get_config()["dtype"]
    finally:
        K.config.set_dtype_policy("float32")
    K.config.set_floatx("float64")
    try:
        out["floatx64_dense"] = K.layers.Dense(2, name="d").get_config()["dtype"]
        out["floatx64_input_layer"] = K.layers.InputLayer(shape=(3,),
                                                          name="i").get_config()["dtype"]
    finally:
        K.config.set_floatx("float32")
    return out


def _policy_map(K):
    policy_map = K.dtype_policies.DTypePolicyMap(default_policy="mixed_float16")
    return K.layers.Dense(2, dtype=policy_map, name="d").get_config()["dtype"]


def _without_object_ids(value):
    if isinstance(value, dict):
        return {k: _without_object_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_without_object_ids(v) for v in value]
    return value


def saved_config(K, workdir):
    """The `config.json` of a saved Sequential (an `Input`, a float64 Dense, a mixed
    Dense, a default Dense), without `shared_object_id` (object ids of one process)."""
    L = K.layers
    model = K.Sequential([K.Input((4,), name="x"), L.Dense(3, dtype="float64", name="wide"),
                          L.Dense(3, dtype="mixed_bfloat16", name="mixed"),
                          L.Dense(2, name="plain")], name="saved")
    path = os.path.join(workdir, "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    return _without_object_ids(config)


def all_cases():
    """Case names, in order; `run(K, name, workdir)` gives each one's value."""
    names = [f"layer-{cls}-{spec}" for cls, _, _ in LAYERS for spec in DTYPES]
    names += [f"layer-{cls}-{spec}" for cls in ("Dense", "Identity") for spec in OTHER_DTYPES]
    names += [f"quantize-{cls}-{mode}" for cls, _, _, mode in QUANTIZED]
    names += [f"quantized_name-{name}" for name in QUANTIZED_NAMES]
    names += [f"from_config-{form}" for form in FORMS]
    names += [f"deserialize-{form}" for form in FORMS]
    names += ["wrappers", "models", "input_layers", "global_policy", "policy_map",
              "serialize_dense", "metric_mean", "saved_config"]
    return names


def run(K, name, workdir):
    """The JSON value of case `name` (`{"out": ...}` or `{"error": type name}`)."""
    kind, _, rest = name.partition("-")
    if kind == "layer":
        cls, spec = rest.split("-", 1)
        kwargs = next(k for c, k, _ in LAYERS if c == cls)
        return _outcome(lambda: _layer_dtype(K, cls, kwargs, None if spec == "None" else spec))
    if kind == "quantize":
        cls, mode = rest.split("-")
        _, kwargs, shape, _ = next(q for q in QUANTIZED if q[0] == cls and q[3] == mode)
        return _outcome(lambda: _quantized(K, cls, kwargs, shape, mode))
    if kind == "quantized_name":
        return _outcome(lambda: _layer_dtype(K, "Dense", {"units": 3}, rest))
    if kind == "from_config":
        return _outcome(lambda: _from_config(K, rest))
    if kind == "deserialize":
        return _outcome(lambda: _deserialized(K, rest))
    simple = {"wrappers": _wrappers, "models": _models, "input_layers": _input_layers,
              "global_policy": _global_policy, "policy_map": _policy_map,
              "serialize_dense": lambda K: K.saving.serialize_keras_object(
                  K.layers.Dense(2, dtype="float64", name="d")),
              "metric_mean": lambda K: [K.metrics.Mean(name="m").get_config(),
                                        K.metrics.Mean(name="m", dtype="float64").get_config()],
              "saved_config": lambda K: saved_config(K, workdir)}
    return _outcome(lambda: simple[name](K))
