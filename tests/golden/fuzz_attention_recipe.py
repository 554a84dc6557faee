"""Random attention cases: the attention layers alone and transformer blocks built from them.

A case is plain JSON drawn by `draw_case(seed)`: its sequence sources (float inputs, float
inputs behind `Masking`, token ids through `Embedding(mask_zero=True)`), the attention layer
(`MultiHeadAttention`, `GroupQueryAttention`, `Attention`, `AdditiveAttention`) with its
options and call arguments (explicit attention masks in several broadcast shapes, causal
masks, returned scores), or a stack of transformer blocks (token and position embeddings,
self-attention, residual `Add`, `LayerNormalization` / `RMSNormalization`, a Dense FFN).
`run_case(K, case, weights)` builds the functional model in ``K`` = ``keras`` or ``kerasx``
(this module imports neither) and returns its results as `training_recipe.plain_values`
does: symbolic output shapes and mask shapes, predictions, the masks carried by the outputs,
`count_params`, the attention layers' configs, two Adam steps on masked sequence targets
(losses and weights) and a same-library `.keras` round trip.
"""

import json
import os
import random
import tempfile

import numpy as np

try:
    from tests.golden.training_recipe import plain_values
except ImportError:  # run from tests/golden by the family generator
    from training_recipe import plain_values

KINDS = ("mha", "gqa", "dot", "additive", "block")


# -- the grammar ----------------------------------------------------------------------
def _source(r, name, length, dim, allow_mask=True, all_masked_row=False):
    kind = r.choice(["float", "masking", "tokens"]) if allow_mask else "float"
    spec = {"name": name, "kind": kind, "length": length, "dim": dim}
    if kind == "tokens":
        spec["vocab"] = r.randint(4, 9)
    if kind != "float":
        spec["all_masked_row"] = all_masked_row and r.random() < 0.5
    return spec


def _draw_mha(r, case):
    rank4 = r.random() < 0.2
    layer = {"num_heads": r.randint(1, 3), "key_dim": r.randint(2, 4),
             "use_bias": r.random() < 0.7,
             "dropout": r.choice([0.0, 0.0, 0.3])}
    if r.random() < 0.3:
        layer["value_dim"] = r.randint(2, 5)
    if r.random() < 0.3:
        layer["output_shape"] = r.choice([3, [2, 3], [4]])
    t, s, d = r.randint(2, 4), r.randint(2, 5), r.randint(2, 5)
    call = {}
    if rank4:
        a2 = r.randint(2, 3)
        axes = r.choice([None, [1], [2], [2], [1, 2]])
        layer["attention_axes"] = axes
        # padding masks (batch, t, a2) pair the steps of axis 2: masked sources attend there
        allow_mask = axes == [2]
        case["sources"] = [dict(_source(r, "q", t, d, allow_mask, True), extra=a2)]
        case["value"] = "q"
        if r.random() < 0.5:
            case["sources"].append(dict(_source(r, "v", t, r.randint(2, 5), allow_mask), extra=a2))
            case["value"] = "v"
    else:
        self_attention = r.random() < 0.4
        case["sources"] = [_source(r, "q", t, d, all_masked_row=True)]
        case["value"] = "q"
        if not self_attention:
            case["sources"].append(_source(r, "v", s, r.randint(2, 5), all_masked_row=True))
            case["value"] = "v"
            if r.random() < 0.3:
                case["sources"].append(_source(r, "k", s, r.randint(2, 5)))
                case["key"] = "k"
        call["use_causal_mask"] = r.random() < 0.35
        case["attention_mask"] = r.choice([None, None, "full", "row", "heads"])
    call["return_attention_scores"] = r.random() < 0.4
    case["layer"], case["call"] = layer, call


def _draw_gqa(r, case):
    kv = r.randint(1, 2)
    layer = {"head_dim": r.randint(2, 4), "num_query_heads": kv * r.randint(1, 3),
             "num_key_value_heads": kv, "use_bias": r.random() < 0.7,
             "dropout": r.choice([0.0, 0.0, 0.3])}
    t, s, d = r.randint(2, 4), r.randint(2, 5), r.randint(2, 5)
    case["sources"] = [_source(r, "q", t, d, all_masked_row=True)]
    case["value"] = "q"
    if r.random() < 0.6:  # Keras wants one feature size for query, key and value
        case["sources"].append(_source(r, "v", s, d, all_masked_row=True))
        case["value"] = "v"
        if r.random() < 0.3:
            case["sources"].append(_source(r, "k", s, d))
            case["key"] = "k"
    case["attention_mask"] = r.choice([None, None, "full", "row"])
    case["layer"] = layer
    case["call"] = {"use_causal_mask": r.random() < 0.35,
                    "return_attention_scores": r.random() < 0.4}


def _draw_dot(r, case, additive):
    t, s, d = r.randint(2, 4), r.randint(2, 5), r.randint(2, 5)
    case["sources"] = [_source(r, "q", t, d, all_masked_row=True),
                       _source(r, "v", s, d, all_masked_row=True)]
    case["value"] = "v"
    if r.random() < 0.3:
        case["sources"].append(_source(r, "k", s, d))
        case["key"] = "k"
    layer = {"use_scale": r.random() < 0.5, "dropout": r.choice([0.0, 0.0, 0.3])}
    if not additive:
        layer["score_mode"] = r.choice(["dot", "dot", "concat"])
    case["layer"] = layer
    case["call"] = {"use_causal_mask": r.random() < 0.35,
                    "return_attention_scores": r.random() < 0.4}


def _draw_block(r, case):
    length, dim = r.randint(3, 5), r.choice([4, 6])
    case["vocab"] = r.randint(5, 9)
    case["length"], case["dim"] = length, dim
    case["positions"] = r.random() < 0.7
    case["all_masked_row"] = r.random() < 0.15
    blocks = []
    for _ in range(r.randint(1, 2)):
        attention = r.choice(["mha", "mha", "gqa", "dot"])
        block = {"attention": attention, "causal": r.random() < 0.5,
                 "norm": r.choice(["layer", "rms"]), "pre_norm": r.random() < 0.4,
                 "ffn": r.randint(4, 8), "activation": r.choice(["relu", "gelu", "silu"]),
                 "epsilon": r.choice([1e-6, 1e-3])}
        if attention == "mha":
            block["heads"] = r.choice([1, 2])
            block["key_dim"] = r.randint(2, 4)
        elif attention == "gqa":
            block["kv"] = r.choice([1, 2])
            block["heads"] = block["kv"] * r.choice([1, 2])
            block["head_dim"] = r.randint(2, 3)
        else:
            block["use_scale"] = r.random() < 0.5
        blocks.append(block)
    case["blocks"] = blocks
    case["head"] = r.randint(1, 3)


def draw_case(seed):
    """One case as plain JSON; the kind cycles with the seed."""
    r = random.Random(seed)
    kind = KINDS[seed % len(KINDS)]
    case = {"seed": seed, "kind": kind, "batch": r.randint(2, 3), "key": None}
    if kind == "mha":
        _draw_mha(r, case)
    elif kind == "gqa":
        _draw_gqa(r, case)
    elif kind in ("dot", "additive"):
        _draw_dot(r, case, additive=kind == "additive")
    else:
        _draw_block(r, case)
    case["train"] = (case.get("layer", {}).get("dropout", 0.0) == 0.0
                     and (r.random() < 0.7 or kind == "block"))
    return case


# -- data -----------------------------------------------------------------------------
def _padding(rng, batch, length, all_masked_row):
    """A (batch, length) bool array of kept steps: random gaps and trailing padding."""
    keep = rng.random((batch, length)) < 0.8
    for b in range(batch):
        keep[b, rng.integers(1, length + 1):] = False
        keep[b, 0] = True
    if all_masked_row:
        keep[batch - 1] = False
    return keep


def case_data(case):
    """Inputs by name (NumPy arrays, the same in both libraries)."""
    rng = np.random.default_rng(case["seed"])
    batch, data = case["batch"], {}
    if case["kind"] == "block":
        keep = _padding(rng, batch, case["length"], case["all_masked_row"])
        tokens = rng.integers(1, case["vocab"], (batch, case["length"]))
        data["tokens"] = np.where(keep, tokens, 0).astype("int32")
        if case["positions"]:
            data["positions"] = np.tile(np.arange(case["length"], dtype="int32"), (batch, 1))
    else:
        for src in case["sources"]:
            steps = [src["length"]] + ([src["extra"]] if "extra" in src else [])
            rows = batch * (src["length"] if "extra" in src else 1)
            if src["kind"] == "tokens":  # padded along the last step axis
                keep = _padding(rng, rows, steps[-1], src["all_masked_row"])
                tokens = rng.integers(1, src["vocab"], (batch, *steps))
                data[src["name"]] = np.where(keep.reshape(tokens.shape), tokens, 0)
                data[src["name"]] = data[src["name"]].astype("int32")
                continue
            x = rng.normal(size=(batch, *steps, src["dim"])).astype("float32")
            if src["kind"] == "masking":
                keep = _padding(rng, rows, steps[-1], src["all_masked_row"])
                x = np.where(keep.reshape(batch, *steps, 1), x, 0.0).astype("float32")
            data[src["name"]] = x
        kind = case.get("attention_mask")
        if kind:
            t = case["sources"][0]["length"]
            s = next(src["length"] for src in case["sources"] if src["name"] == case["value"])
            shape = {"full": (t, s), "row": (1, s),
                     "heads": (case["layer"].get("num_heads", 1), t, s)}[kind]
            mask = rng.random((batch, *shape)) < 0.75
            mask[..., 0] = True
            data["attention_mask"] = mask
    return data


def _targets(case, outputs):
    rng = np.random.default_rng(case["seed"] + 1000)
    shape = tuple(outputs.shape)
    return rng.normal(size=(case["batch"], *shape[1:])).astype("float32")


# -- building -------------------------------------------------------------------------
def _input_for(K, case, name, data):
    array = data[name]
    return K.Input(array.shape[1:], dtype=str(array.dtype) if array.dtype != bool else "bool",
                   name=name)


def _embed_source(K, src, tensor):
    if src["kind"] == "tokens":
        return K.layers.Embedding(src["vocab"], src["dim"], mask_zero=True,
                                  name=f"embed_{src['name']}")(tensor)
    if src["kind"] == "masking":
        return K.layers.Masking(0.0, name=f"masking_{src['name']}")(tensor)
    return tensor


def _attention_layer(K, case):
    kw, kind = dict(case["layer"]), case["kind"]
    if kind == "mha":
        if "output_shape" in kw and isinstance(kw["output_shape"], list):
            kw["output_shape"] = tuple(kw["output_shape"])
        if kw.get("attention_axes") is not None:
            kw["attention_axes"] = tuple(kw["attention_axes"])
        return K.layers.MultiHeadAttention(name="attention", **kw)
    if kind == "gqa":
        return K.layers.GroupQueryAttention(name="attention", **kw)
    if kind == "dot":
        return K.layers.Attention(name="attention", **kw)
    return K.layers.AdditiveAttention(name="attention", **kw)


def _build_layer_model(K, case, data):
    inputs = {name: _input_for(K, case, name, data) for name in data}
    seqs = {src["name"]: _embed_source(K, src, inputs[src["name"]]) for src in case["sources"]}
    layer = _attention_layer(K, case)
    call = dict(case["call"])
    query, value = seqs["q"], seqs[case["value"]]
    key = seqs[case["key"]] if case.get("key") else None
    if case["kind"] in ("mha", "gqa"):
        if key is not None:
            call["key"] = key
        if "attention_mask" in inputs:
            call["attention_mask"] = inputs["attention_mask"]
        out = layer(query, value, **call)
    else:
        out = layer([query, value] + ([key] if key is not None else []), **call)
    outputs = list(out) if isinstance(out, (list, tuple)) else [out]
    return list(inputs.values()), outputs, [layer]


def _norm(K, block, name):
    if block["norm"] == "rms":
        return K.layers.RMSNormalization(epsilon=block["epsilon"], name=name)
    return K.layers.LayerNormalization(epsilon=block["epsilon"], name=name)


def _block(K, block, x, dim, index):
    name = f"block{index}"
    h = _norm(K, block, f"{name}_norm1")(x) if block["pre_norm"] else x
    if block["attention"] == "mha":
        layer = K.layers.MultiHeadAttention(block["heads"], block["key_dim"],
                                            name=f"{name}_attention")
        a = layer(h, h, use_causal_mask=block["causal"])
    elif block["attention"] == "gqa":
        layer = K.layers.GroupQueryAttention(block["head_dim"], block["heads"], block["kv"],
                                             name=f"{name}_attention")
        a = layer(h, h, use_causal_mask=block["causal"])
    else:
        layer = K.layers.Attention(use_scale=block["use_scale"], name=f"{name}_attention")
        a = layer([h, h], use_causal_mask=block["causal"])
    x = K.layers.Add(name=f"{name}_add1")([x, a])
    if not block["pre_norm"]:
        x = _norm(K, block, f"{name}_norm1")(x)
    h = _norm(K, block, f"{name}_norm2")(x) if block["pre_norm"] else x
    h = K.layers.Dense(block["ffn"], activation=block["activation"], name=f"{name}_ffn1")(h)
    h = K.layers.Dense(dim, name=f"{name}_ffn2")(h)
    x = K.layers.Add(name=f"{name}_add2")([x, h])
    if not block["pre_norm"]:
        x = _norm(K, block, f"{name}_norm2")(x)
    return x, layer


def _build_block_model(K, case, data):
    inputs = {name: _input_for(K, case, name, data) for name in data}
    dim = case["dim"]
    x = K.layers.Embedding(case["vocab"], dim, mask_zero=True, name="tokens_embed")(
        inputs["tokens"])
    if case["positions"]:
        p = K.layers.Embedding(case["length"], dim, name="positions_embed")(inputs["positions"])
        x = K.layers.Add(name="embed_add")([x, p])
    stages, layers = [], []
    for i, block in enumerate(case["blocks"]):
        x, layer = _block(K, block, x, dim, i)
        stages.append(x)
        layers.append(layer)
    head = K.layers.Dense(case["head"], name="head")(x)
    return list(inputs.values()), [head] + stages[:-1], layers


def _config(K, layer):
    config = layer.get_config()
    dtype = config.get("dtype")
    if isinstance(dtype, dict):  # a DTypePolicy's serialization: its name
        config["dtype"] = dtype["config"]["name"]
    return json.dumps(config, sort_keys=True, default=repr)


def _mask_of(K, tensor):
    if hasattr(tensor, "_keras_mask"):
        return tensor._keras_mask
    return K.src.backend.get_keras_mask(tensor)  # a JAX array cannot hold attributes


def _np(t):
    return None if t is None else np.asarray(t).astype("int8")


def build_model(K, case):
    """(model, its inputs as a list of arrays) of a case in ``K``, with seeded weights."""
    data = case_data(case)
    inputs, outputs, _ = _build(K, case, data)
    return K.Model(inputs, outputs), list(data.values())


def _build(K, case, data):
    K.utils.set_random_seed(case["seed"])
    build = _build_block_model if case["kind"] == "block" else _build_layer_model
    return build(K, case, data)


def run_case(K, case, init_weights=None):
    """Build and run a case in ``K``; returns (initial weights, results)."""
    data = case_data(case)
    inputs, outputs, layers = _build(K, case, data)
    # Returned scores: Keras 3.15.1 gives them the softmax's mask and, in MultiHeadAttention,
    # the symbolic shape (batch, heads, T, T) whatever the value's length S; neither is kept.
    scores = case["kind"] != "block" and case["call"]["return_attention_scores"]
    kept = outputs[:1] if scores else outputs
    # shapes and counts as JSON text, which the golden files keep as one string each
    res = {"symbolic": json.dumps([[list(o.shape), None if getattr(o, "_keras_mask", None)
                                    is None else list(o._keras_mask.shape)] for o in kept])}
    model = K.Model(inputs, outputs)
    if init_weights is not None:
        model.set_weights(init_weights)
    w0 = [np.asarray(w) for w in model.get_weights()]
    x = [data[name] for name in data]
    got = model(x, training=False)
    got = got if isinstance(got, (list, tuple)) else [got]
    res["outputs"] = [np.asarray(g) for g in got]
    res["masks"] = [_np(_mask_of(K, g)) for g in got[:len(kept)]]
    res["predict"] = model.predict(x, verbose=0)
    res["count_params"] = json.dumps(model.count_params())
    res["weight_shapes"] = json.dumps([list(w.shape) for w in model.weights])
    res["configs"] = [_config(K, layer) for layer in layers]
    # Saved before training: trained weights differ from Keras's by rounding, which the
    # outputs at some padded steps amplify past the comparison's tolerance.
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        again = K.saving.load_model(path)
        res["reloaded"] = again.predict(x, verbose=0)
    if case["train"]:
        train_model = K.Model(inputs, outputs[0])
        train_model.compile(K.optimizers.Adam(0.01), "mse")
        y = _targets(case, outputs[0])
        res["losses"] = [train_model.train_on_batch(x, y) for _ in range(2)]
        res["test_loss"] = train_model.test_on_batch(x, y)
        # A key projection's bias adds the same amount to every score of a query, which the
        # softmax cancels: its gradient is rounding noise that Adam scales up to full steps.
        res["weights"] = [np.asarray(w) for w in model.weights
                          if not w.path.endswith("key/bias")]
    return w0, plain_values(res)
