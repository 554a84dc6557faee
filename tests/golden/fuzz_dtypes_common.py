"""What the `fuzz_dtypes` family (run with Keras) and its test (run with kerasx) share: a
seeded grammar of small models under random dtype policies (`random_recipe`), the model
built from a recipe in either library (`build(K, recipe)` with `K` the library's top
module) and what is measured on it (`measure`). Imports neither library.

A recipe sets the global policy (through `keras.config.set_dtype_policy`,
`keras.mixed_precision.set_global_policy` or a `DTypePolicy` object), gives each layer a
`dtype` (None, a policy name or a `DTypePolicy`) among float32, float16, bfloat16,
mixed_float16 and mixed_bfloat16 (float64 too with `with_float64`, which Keras on JAX
computes only with 64-bit floats enabled), an `Input` dtype (floats, int32 / int64 for
`Embedding`) and the form of the data (float32 / float64 arrays, a Python list, a tensor).
"""

import numpy as np

POLICIES = ("float32", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16")
KINDS = ("dense", "conv1d", "conv2d", "embed", "rnn", "attention", "merge", "norm")


class Draw:
    """The random choices of one recipe."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def coin(self, p=0.5):
        return bool(self.rng.random() < p)

    def int(self, low, high):
        return int(self.rng.integers(low, high + 1))


def _layer_dtype(d, policies, p_set=0.35):
    """None, a policy name or `{"policy": name}` (a `DTypePolicy` object)."""
    if not d.coin(p_set):
        return None
    name = d.pick(policies)
    return {"policy": name} if d.coin(0.3) else name


def random_recipe(seed, with_float64=False, half=True):
    """A JSON-able recipe of one model, its training and its data (`half=False`: no
    float16 / bfloat16 anywhere, for backends without them)."""
    d = Draw(seed)
    policies = (POLICIES if half else ("float32",)) + (("float64",) if with_float64 else ())
    floats = (None, "float32", "float16" if half else "float32") + (
        ("float64",) if with_float64 else ())
    r = {"seed": seed}
    r["global"] = None if d.coin(0.25) else {
        "how": d.pick(("config", "mixed", "object")), "name": d.pick(policies)}
    r["floatx"] = d.pick((None, None, None, "float64")) if with_float64 else None
    kind = r["kind"] = d.pick(KINDS)
    layers = []

    def add(cls, **kw):
        kw["dtype"] = _layer_dtype(d, policies)
        layers.append([cls, kw])

    if kind in ("dense", "norm", "merge"):
        r["input_shape"] = [d.int(2, 5)]
        r["input_dtype"] = d.pick(floats + ("int32",))
        if kind == "norm":
            add(d.pick(("BatchNormalization", "LayerNormalization")))
        if kind == "merge":
            r["merge"] = d.pick(("Add", "Concatenate", "Multiply", "Average", "Maximum"))
            r["merge_dtype"] = _layer_dtype(d, policies)
            r["branch_dtypes"] = [_layer_dtype(d, policies, 0.6), _layer_dtype(d, policies, 0.6)]
        add("Dense", units=d.int(2, 4), activation=d.pick((None, "relu", "tanh", "sigmoid")))
        if d.coin():
            add("Dropout", rate=0.0)
        if d.coin(0.4):
            add(d.pick(("BatchNormalization", "LayerNormalization")))
    elif kind in ("conv1d", "conv2d"):
        nd = 1 if kind == "conv1d" else 2
        r["input_shape"] = [5] * nd + [d.int(1, 3)]
        r["input_dtype"] = d.pick(floats)
        add(f"Conv{nd}D", filters=d.int(2, 3), kernel_size=d.pick((1, 2, 3)),
            padding=d.pick(("valid", "same")))
        if d.coin():
            add(d.pick((f"MaxPooling{nd}D", f"AveragePooling{nd}D")), pool_size=2)
        if d.coin(0.4):
            add("BatchNormalization")
        add(d.pick((f"GlobalAveragePooling{nd}D", f"GlobalMaxPooling{nd}D", "Flatten")))
    elif kind == "embed":
        r["input_shape"] = [d.int(2, 4)]
        r["input_dtype"] = d.pick(("int32", "int64", None, "float32"))
        add("Embedding", input_dim=7, output_dim=d.int(2, 4))
        add(d.pick(("GlobalAveragePooling1D", "Flatten", "GlobalMaxPooling1D")))
    elif kind == "rnn":
        r["input_shape"] = [d.int(2, 4), d.int(1, 3)]
        r["input_dtype"] = d.pick(floats[:2] + floats[3:])
        add(d.pick(("SimpleRNN", "LSTM", "GRU")), units=d.int(2, 3))
    else:  # attention
        r["input_shape"] = [d.int(2, 4), d.int(2, 4)]
        r["input_dtype"] = d.pick(floats[:2] + floats[3:])
        if d.coin():
            add("MultiHeadAttention", num_heads=d.int(1, 2), key_dim=2, self_attention=True)
        else:
            add(d.pick(("Attention", "AdditiveAttention")), self_attention=True)
        add("GlobalAveragePooling1D")
    r["layers"] = layers
    r["n_classes"] = d.int(2, 4)
    head = r["head"] = d.pick(("softmax_act", "dense_softmax", "dense_linear"))
    r["head_dtype"] = _layer_dtype(d, policies, 0.5)
    r["act_dtype"] = d.pick((None, "float32", "float32", {"policy": "float32"},
                             "float16" if half else None))
    r["loss"] = "mse" if head == "dense_linear" else "sparse_categorical_crossentropy"
    r["metrics"] = d.pick(([], ["accuracy"], ["mae"], ["accuracy", "mse"]))
    r["metrics"] = [m for m in r["metrics"] if (m == "accuracy") != (head == "dense_linear")]
    r["optimizer"] = {"class": d.pick(("SGD", "Adam")), "lr": 0.05}
    if d.coin(0.35):
        r["loss_scale"] = {"initial_scale": d.pick((2.0 ** 15, 2.0 ** 4, 2.0 ** 40, 2.0 ** 60)),
                           "dynamic_growth_steps": d.pick((1, 2, 3, 2000))}
    int_input = r["input_dtype"] in ("int32", "int64")
    r["x_form"] = "int" if int_input else d.pick(("float32", "float64", "list", "tensor"))
    r["batch"] = d.int(2, 4)
    r["steps"] = d.int(1, 3)
    return r


def make_data(r):
    """`(x, y)`: two batches of inputs and targets."""
    rng = np.random.default_rng(r["seed"] + 1000)
    shape = [r["batch"] * 2] + list(r["input_shape"])
    if r["kind"] == "embed":
        x = rng.integers(0, 7, size=shape)
        if r["x_form"] != "int":
            x = x.astype(np.float32)
    elif r["input_dtype"] == "int32":
        x = rng.integers(-3, 4, size=shape)
    else:
        x = rng.normal(size=shape)
    if r["head"] == "dense_linear":
        y = rng.normal(size=(shape[0], r["n_classes"]))
    else:
        y = rng.integers(0, r["n_classes"], size=(shape[0],))
    return x, y


def _dtype_arg(K, spec):
    return K.DTypePolicy(spec["policy"]) if isinstance(spec, dict) else spec


def set_policies(K, r):
    """Sets floatx and the global policy of recipe `r` (undo with `reset_policies`)."""
    K.utils.clear_session()
    if r.get("floatx"):
        K.backend.set_floatx(r["floatx"])
    g = r["global"]
    if g is None:
        return
    if g["how"] == "config":
        K.config.set_dtype_policy(g["name"])
    elif g["how"] == "mixed":
        K.mixed_precision.set_global_policy(g["name"])
    else:
        K.config.set_dtype_policy(K.DTypePolicy(g["name"]))


def reset_policies(K):
    K.backend.set_floatx("float32")
    K.config.set_dtype_policy("float32")
    K.utils.clear_session()


def build(K, r):
    """The functional model of recipe `r` in library `K`."""
    L = K.layers
    kw_in = {"dtype": r["input_dtype"]} if r["input_dtype"] else {}
    inputs = K.Input(shape=tuple(r["input_shape"]), **kw_in)
    h = inputs
    if r["kind"] == "merge":
        a = L.Dense(3, dtype=_dtype_arg(K, r["branch_dtypes"][0]))(h)
        b = L.Dense(3, dtype=_dtype_arg(K, r["branch_dtypes"][1]))(h)
        h = getattr(L, r["merge"])(dtype=_dtype_arg(K, r["merge_dtype"]))([a, b])
    for cls, kw in r["layers"]:
        kw = dict(kw, dtype=_dtype_arg(K, kw.get("dtype")))
        self_attention = kw.pop("self_attention", False)
        layer = getattr(L, cls)(**kw)
        if self_attention:
            h = layer(h, h) if cls == "MultiHeadAttention" else layer([h, h])
        else:
            h = layer(h)
    head_dtype = _dtype_arg(K, r["head_dtype"])
    if r["head"] == "dense_softmax":
        h = L.Dense(r["n_classes"], activation="softmax", dtype=head_dtype)(h)
    else:
        h = L.Dense(r["n_classes"], dtype=head_dtype)(h)
        if r["head"] == "softmax_act":
            h = L.Activation("softmax", dtype=_dtype_arg(K, r["act_dtype"]))(h)
    return K.Model(inputs, h)


def dtype_str(x):
    """The dtype name of a tensor, array or variable."""
    return str(np.dtype(x.dtype)) if not isinstance(x.dtype, str) else x.dtype


def to_f64(x):
    a = np.asarray(x)
    if "bfloat16" in str(a.dtype):
        a = a.astype(np.float32)
    return np.asarray(a, dtype=np.float64)


def layer_dtypes(model):
    """Per layer: class, `dtype`, `compute_dtype`, `variable_dtype`, the policy's name and
    class, its weights' dtypes and its symbolic output's dtype."""
    rows = []
    for layer in model.layers:
        rows.append({
            "class": type(layer).__name__,
            "dtype": str(layer.dtype),
            "compute_dtype": str(layer.compute_dtype),
            "variable_dtype": str(layer.variable_dtype),
            "policy": layer.dtype_policy.name,
            "policy_class": type(layer.dtype_policy).__name__,
            "weights": [dtype_str(w) for w in layer.weights],
            "output": dtype_str(layer.output),
        })
    return rows


def _x_as(K, r, x):
    form = r["x_form"]
    if form == "list":
        return x.tolist()
    if form == "tensor":
        return K.ops.convert_to_tensor(x.astype(np.float32))
    return x.astype(np.float64) if form == "float64" else (x if form == "int" else
                                                            x.astype(np.float32))


def measure(K, r, weights=None):
    """`(w0, results)`: the model's initial weights (or `weights`, set) and what Keras
    gives: layer dtypes, the eager output on the first batch, `train_on_batch` logs and
    the weights after, the loss-scale state, a 2-epoch `fit` history and `evaluate`."""
    x, y = make_data(r)
    res = {}
    try:
        set_policies(K, r)
        res["global_policy"] = K.config.dtype_policy().name
        model = build(K, r)
        res["layers"] = layer_dtypes(model)
        if weights is not None:
            model.set_weights(weights)
        w0 = [np.asarray(w) for w in model.get_weights()]
        out = model(_x_as(K, r, x[: r["batch"]]))
        res["eager_dtype"] = dtype_str(out)
        res["eager"] = to_f64(out)
        optimizer = getattr(K.optimizers, r["optimizer"]["class"])(
            learning_rate=r["optimizer"]["lr"])
        if r.get("loss_scale"):
            optimizer = K.optimizers.LossScaleOptimizer(optimizer, **r["loss_scale"])
        model.compile(optimizer=optimizer, loss=r["loss"], metrics=r["metrics"],
                      jit_compile=False)
        res["optimizer_class"] = type(model.optimizer).__name__
        xt = x.astype(np.float32) if r["x_form"] in ("list", "tensor") else x
        res["train"] = [
            {k: float(v) for k, v in model.train_on_batch(
                xt[: r["batch"]], y[: r["batch"]], return_dict=True).items()}
            for _ in range(r["steps"])]
        res["w_after"] = [to_f64(w) for w in model.get_weights()]
        res["w_after_dtypes"] = [dtype_str(w) for w in model.get_weights()]
        if res["optimizer_class"] == "LossScaleOptimizer":
            res["scale"] = float(np.asarray(model.optimizer.dynamic_scale))
            res["iterations"] = int(np.asarray(model.optimizer.iterations))
        history = model.fit(xt, y, batch_size=r["batch"], epochs=2, shuffle=False, verbose=0)
        res["history"] = {k: [float(v) for v in vs] for k, vs in history.history.items()}
        res["evaluate"] = {k: float(v) for k, v in model.evaluate(
            xt, y, batch_size=r["batch"], verbose=0, return_dict=True).items()}
        return w0, res
    finally:
        reset_policies(K)


def tolerance(results):
    """`(rtol, atol)` for the values of a case: float32 2e-5; a float16 layer anywhere
    1e-2 (float16 keeps 11 significant bits, and the sum orders differ); a bfloat16 one
    4e-2 (8 bits)."""
    names = [results["global_policy"]] + [row["compute_dtype"] for row in results["layers"]]
    if any("bfloat16" in n for n in names):
        return 4e-2, 4e-2
    if any("float16" in n for n in names):
        return 1e-2, 1e-2
    return 2e-5, 2e-5
