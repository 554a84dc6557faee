"""Random models and the API facts a user reads off them, for Keras or kerasx.

`draw_recipe(seed)` draws a plain-JSON recipe: a Sequential (with or without an `Input`,
built or not) or a functional graph (one to three inputs of vectors, sequences or token ids
through `Embedding`, Dense / Conv1D / LSTM / GRU / pooling / normalization / reshaping /
merging layers, shared layers, nested Sequential and functional blocks, frozen layers,
explicit or automatic names, outputs and inputs as one tensor, a list, a dict or a nested
structure). `run_recipe(K, recipe)` builds it with the library module `K` after
`clear_session` and returns `(facts, arrays)`: JSON facts (summary texts for several
arguments, names, weight paths in each list, `get_layer`, inputs / outputs, count_params,
compute_output_shape / spec, normalised `get_config`, `to_json` round trip, `clone_model`
variants, predict's structure, layer input / output attributes) and the arrays predict
gives. Errors are recorded by exception type. Imports neither library.
``family_fuzz_model_api.py`` records Keras's facts; `tests/models/test_differential_model_api.py`
replays them in kerasx.

What is documented to differ is left out or normalised here: dtype policies in configs are
compared by name (kerasx writes a string), inbound nodes without Keras's default
`mask: None` / `training: False` keyword arguments, Sequential `.input` / `.output` (Keras
raises), and the structure of `compute_output_spec` (flattened: for a one-output list Keras
returns a list where both libraries' calls return the tensor). Models with
`Embedding(mask_zero=True)` are drawn but not kept in the golden family (Keras records the
mask as `NotEqual` nodes, which shift names and summaries).
"""

import json

import numpy as np

# --------------------------------------------------------------------------- grammar
def draw_recipe(seed):
    r = np.random.default_rng(seed)
    kind = str(r.choice(["sequential", "functional", "functional", "functional"]))
    if kind == "sequential":
        return _draw_sequential(r, seed)
    return _draw_functional(r, seed)


def _name(r, base, used):
    if r.random() < 0.5:
        return None
    for _ in range(20):
        name = f"{base}_{int(r.integers(0, 50))}"
        if name not in used:
            used.add(name)
            return name
    return None


def _draw_sequential(r, seed):
    used = set()
    seq_input = r.random() < 0.7
    rank = int(r.choice([2, 3]))
    shape = [int(r.integers(2, 6))] if rank == 2 else [int(r.integers(2, 5)), int(r.integers(2, 5))]
    layers = []
    cur_rank = rank
    for _ in range(int(r.integers(1, 5))):
        options = ["Dense", "Dense", "Dropout", "BatchNormalization", "Activation"]
        if cur_rank == 3:
            options += ["Conv1D", "LSTM", "Flatten", "GlobalAveragePooling1D"]
        else:
            options += ["RepeatVector"]
        cls = str(r.choice(options))
        spec = _layer_spec(r, cls, used)
        if cls in ("Flatten", "GlobalAveragePooling1D") or (cls == "LSTM" and not spec["return_sequences"]):
            cur_rank = 2
        elif cls == "RepeatVector":
            cur_rank = 3
        layers.append(spec)
    if r.random() < 0.3:
        layers.append({"class": "SeqBlock", "name": _name(r, "block", used),
                       "layers": [_layer_spec(r, "Dense", used), _layer_spec(r, "Dense", used)],
                       "trainable": bool(r.random() < 0.7)})
    return {"seed": seed, "kind": "sequential", "input": shape if seq_input else None,
            "name": _name(r, "seq", used),
            "build": (None if seq_input else str(r.choice(["none", "build", "call"]))),
            "layers": layers, "summary": _summary_args(r), "frozen": _frozen(r, len(layers))}


def _frozen(r, n):
    return sorted(int(i) for i in r.choice(n, size=int(r.integers(0, min(n, 2) + 1)), replace=False))


def _layer_spec(r, cls, used):
    spec = {"class": cls, "name": _name(r, cls.lower(), used)}
    if cls == "Dense":
        spec.update(units=int(r.integers(1, 6)), use_bias=bool(r.random() < 0.8),
                    activation=str(r.choice(["linear", "relu", "tanh"])))
    elif cls == "Conv1D":
        spec.update(filters=int(r.integers(1, 5)), kernel_size=int(r.integers(1, 3)), padding="same")
    elif cls in ("LSTM", "GRU"):
        spec.update(units=int(r.integers(1, 4)), return_sequences=bool(r.random() < 0.5))
    elif cls == "Dropout":
        spec.update(rate=0.25)
    elif cls == "Activation":
        spec.update(activation="relu")
    elif cls == "RepeatVector":
        spec.update(n=int(r.integers(2, 4)))
    elif cls == "BatchNormalization":
        spec.update(center=bool(r.random() < 0.8))
    return spec


def _summary_args(r):
    args = [{}]
    for _ in range(3):
        a = {}
        if r.random() < 0.4:
            a["line_length"] = int(r.integers(60, 130))
        if r.random() < 0.4:
            a["expand_nested"] = True
        if r.random() < 0.4:
            a["show_trainable"] = True
        if r.random() < 0.25:
            a["positions"] = "fractions"
        if r.random() < 0.25:
            a["layer_range"] = "middle"
        args.append(a)
    return args


def _draw_functional(r, seed):
    used = set()
    tensors = []  # dicts: rank, f, t, int, mask
    inputs = []
    for i in range(int(r.integers(1, 4))):
        kind = str(r.choice(["vec", "seq", "tokens"]))
        spec = {"kind": kind, "name": _name(r, "in", used)}
        if kind == "vec":
            spec["shape"] = [int(r.integers(2, 6))]
            tensors.append({"rank": 2, "f": spec["shape"][0], "int": False})
        elif kind == "seq":
            spec["shape"] = [int(r.integers(2, 5)), int(r.integers(2, 5))]
            tensors.append({"rank": 3, "t": spec["shape"][0], "f": spec["shape"][1], "int": False})
        else:
            spec["shape"] = [int(r.integers(2, 5))]
            spec["mask_zero"] = bool(r.random() < 0.5)
            tensors.append({"rank": 2, "f": spec["shape"][0], "int": True, "t": spec["shape"][0]})
        inputs.append(spec)
    nodes = []
    dense_nodes = []  # (node index, input f, input rank) of Dense layers for sharing
    for _ in range(int(r.integers(2, 8))):
        floats = [i for i, t in enumerate(tensors) if t["int"] is False]
        ints = [i for i, t in enumerate(tensors) if t["int"]]
        choices = ["layer"] * 4 + ["block"]
        if ints:
            choices += ["embed"] * 3
        if len(floats) >= 2:
            choices += ["merge"] * 2
        if dense_nodes:
            choices += ["shared"]
        op = str(r.choice(choices))
        if not floats and op != "embed":
            op = "embed"
        if op == "embed":
            src = int(r.choice(ints))
            node = {"op": "embed", "src": [src], "input_dim": 6, "output_dim": int(r.integers(2, 5)),
                    "mask_zero": bool(r.random() < 0.5), "name": _name(r, "embedding", used)}
            tensors.append({"rank": 3, "t": tensors[src]["t"], "f": node["output_dim"], "int": False})
            tensors[src]["int"] = None  # used once
        elif op == "layer":
            src = int(r.choice(floats))
            t = tensors[src]
            options = ["Dense", "Dense", "Dense", "Dropout", "BatchNormalization", "LayerNormalization"]
            options += ["Conv1D", "LSTM", "GRU", "Flatten", "GlobalAveragePooling1D"] if t["rank"] == 3 \
                else ["RepeatVector"]
            cls = str(r.choice(options))
            spec = _layer_spec(r, cls, used)
            node = {"op": "layer", "src": [src], "layer": spec,
                    "frozen": bool(r.random() < 0.2)}
            tensors.append(_out_shape(t, spec))
            if cls == "Dense":
                dense_nodes.append((len(nodes), t["f"], t["rank"]))
        elif op == "shared":
            k, f, rank = dense_nodes[int(r.integers(len(dense_nodes)))]
            cands = [i for i in floats if tensors[i]["f"] == f and tensors[i]["rank"] == rank]
            if not cands:
                continue
            src = int(r.choice(cands))
            node = {"op": "shared", "src": [src], "node": k}
            units = nodes[k]["layer"]["units"]
            tensors.append(dict(tensors[src], f=units))
        elif op == "merge":
            a = int(r.choice(floats))
            same = [i for i in floats if i != a and tensors[i]["rank"] == tensors[a]["rank"]
                    and tensors[i].get("t") == tensors[a].get("t")]
            if not same:
                continue
            b = int(r.choice(same))
            if tensors[b]["f"] == tensors[a]["f"] and r.random() < 0.6:
                cls = str(r.choice(["Add", "Multiply", "Average", "Maximum", "Subtract"]))
                out = dict(tensors[a])
            else:
                cls = "Concatenate"
                out = dict(tensors[a], f=tensors[a]["f"] + tensors[b]["f"])
            node = {"op": "merge", "src": [a, b], "class": cls, "name": _name(r, cls.lower(), used)}
            tensors.append(out)
        else:  # block
            src = int(r.choice(floats))
            t = tensors[src]
            units = [int(r.integers(1, 5)), int(r.integers(1, 5))]
            node = {"op": "block", "src": [src], "kind": str(r.choice(["sequential", "functional"])),
                    "units": units, "name": _name(r, "block", used),
                    "layer_names": [_name(r, "inner", used), _name(r, "inner", used)],
                    "frozen": str(r.choice(["no", "no", "block", "first"])),
                    "with_input": bool(r.random() < 0.5)}
            tensors.append(dict(t, f=units[1]))
        nodes.append(node)
    n_in = len(inputs)
    used_src = {s for node in nodes for s in node["src"]}
    leaves = [i for i in range(n_in, len(tensors)) if i not in used_src and not tensors[i]["int"]]
    candidates = [i for i in range(n_in, len(tensors)) if tensors[i]["int"] is False]
    if not candidates:
        candidates = [i for i in range(len(tensors)) if tensors[i]["int"] is False]
    if not candidates:
        return _draw_sequential(r, seed)
    if not leaves:
        leaves = [candidates[-1]]
    outs = list(leaves[:3])
    if r.random() < 0.3 and len(candidates) > len(outs):
        extra = [c for c in candidates if c not in outs]
        outs.append(int(r.choice(extra)))
    out_struct = str(r.choice(["single", "list", "dict", "nested", "tuple"])) if len(outs) > 1 \
        else str(r.choice(["single", "single", "list", "dict"]))
    in_struct = str(r.choice(["single", "list", "dict"])) if n_in > 1 \
        else str(r.choice(["single", "single", "list"]))
    return {"seed": seed, "kind": "functional", "inputs": inputs, "nodes": nodes,
            "outputs": outs, "out_struct": out_struct, "in_struct": in_struct,
            "out_names": [_name(r, "out", used) for _ in outs],
            "name": _name(r, "model", used), "summary": _summary_args(r)}


def _out_shape(t, spec):
    cls = spec["class"]
    if cls in ("Dense", "Conv1D"):
        return dict(t, f=spec.get("units", spec.get("filters")))
    if cls in ("LSTM", "GRU"):
        return dict(t, f=spec["units"]) if spec["return_sequences"] else {"rank": 2, "f": spec["units"], "int": False}
    if cls == "Flatten":
        return {"rank": 2, "f": t["t"] * t["f"], "int": False}
    if cls == "GlobalAveragePooling1D":
        return {"rank": 2, "f": t["f"], "int": False}
    if cls == "RepeatVector":
        return {"rank": 3, "t": spec["n"], "f": t["f"], "int": False}
    return dict(t)


# --------------------------------------------------------------------------- build
def make_layer(K, spec):
    spec = dict(spec)
    cls = spec.pop("class")
    if spec.get("name") is None:
        spec.pop("name", None)
    if cls == "SeqBlock":
        trainable = spec.pop("trainable")
        block = K.Sequential([make_layer(K, s) for s in spec.pop("layers")], **spec)
        block.trainable = trainable
        return block
    return getattr(K.layers, cls)(**spec)


def _kw_name(name):
    return {} if name is None else {"name": name}


def build_model(K, recipe):
    if recipe["kind"] == "sequential":
        layers = [make_layer(K, s) for s in recipe["layers"]]
        for i in recipe["frozen"]:
            layers[i].trainable = False
        entries = ([K.Input(tuple(recipe["input"]))] if recipe["input"] else []) + layers
        model = K.Sequential(entries, **_kw_name(recipe["name"]))
        return model
    tensors = []
    for spec in recipe["inputs"]:
        dtype = "int32" if spec["kind"] == "tokens" else "float32"
        tensors.append(K.Input(tuple(spec["shape"]), dtype=dtype, **_kw_name(spec["name"])))
    inputs = list(tensors)
    built_layers = []
    for node in recipe["nodes"]:
        src = [tensors[i] for i in node["src"]]
        if node["op"] == "embed":
            layer = K.layers.Embedding(node["input_dim"], node["output_dim"],
                                       mask_zero=node["mask_zero"], **_kw_name(node["name"]))
        elif node["op"] == "layer":
            layer = make_layer(K, node["layer"])
            if node["frozen"]:
                layer.trainable = False
        elif node["op"] == "shared":
            layer = built_layers[node["node"]]
        elif node["op"] == "merge":
            layer = getattr(K.layers, node["class"])(**_kw_name(node["name"]))
        else:
            layer = _block(K, node, src[0].shape)
        built_layers.append(layer)
        out = layer(src if node["op"] == "merge" else src[0])
        tensors.append(out)
    outs = [tensors[i] for i in recipe["outputs"]]
    if recipe["out_names"] and any(recipe["out_names"]):
        # named heads through Identity layers, as users name outputs
        outs = [K.layers.Identity(name=n)(o) if n else o for o, n in zip(outs, recipe["out_names"])]
    outputs = _structure(outs, recipe["out_struct"], "out")
    if recipe["in_struct"] == "single":
        model_inputs = inputs[0] if len(inputs) == 1 else inputs
    elif recipe["in_struct"] == "list":
        model_inputs = inputs
    else:
        model_inputs = {t.name: t for t in inputs}
    return K.Model(model_inputs, outputs, **_kw_name(recipe["name"]))


def _structure(items, kind, prefix):
    if kind == "single":
        return items[0] if len(items) == 1 else items
    if kind == "list":
        return list(items)
    if kind == "tuple":
        return tuple(items)
    if kind == "dict":
        return {f"{prefix}{i}": x for i, x in enumerate(items)}
    return {"first": items[0], "rest": list(items[1:])}


def _block(K, node, shape):
    names = node["layer_names"]
    d1 = K.layers.Dense(node["units"][0], activation="relu", **_kw_name(names[0]))
    d2 = K.layers.Dense(node["units"][1], **_kw_name(names[1]))
    if node["kind"] == "sequential":
        entries = ([K.Input(tuple(shape[1:]))] if node["with_input"] else []) + [d1, d2]
        block = K.Sequential(entries, **_kw_name(node["name"]))
    else:
        x = K.Input(tuple(shape[1:]))
        block = K.Model(x, d2(d1(x)), **_kw_name(node["name"]))
    if node["frozen"] == "block":
        block.trainable = False
    elif node["frozen"] == "first":
        d1.trainable = False
    return block


# --------------------------------------------------------------------------- facts
def _err(e):
    return {"error": type(e).__name__}


def _try(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - an error is a fact
        return _err(e)


def _shape(s):
    return None if s is None else [None if d is None else int(d) for d in s]


def _struct(x, leaf):
    if isinstance(x, dict):
        return {"dict": [[str(k), _struct(v, leaf)] for k, v in x.items()]}
    if isinstance(x, tuple):
        return {"tuple": [_struct(v, leaf) for v in x]}
    if isinstance(x, list):
        return {"list": [_struct(v, leaf) for v in x]}
    return leaf(x)


def _tensor_fact(t):
    if hasattr(t, "shape") and hasattr(t, "dtype"):
        fact = {"shape": _shape(t.shape), "dtype": str(getattr(t.dtype, "name", t.dtype))}
        if hasattr(t, "name") and not isinstance(t, np.ndarray):
            fact["name"] = str(t.name)
        return fact
    return repr(type(t).__name__)


def weight_facts(ws):
    """`[path, name, shape, trainable]` of each variable."""
    return [[w.path, w.name, _shape(w.shape), bool(w.trainable)] for w in ws]


def normalise_config(obj):
    """Config JSON with what is documented to differ made equal: dtype policies as their
    name (kerasx writes a string)."""
    if isinstance(obj, dict):
        if obj.get("class_name") == "DTypePolicy" and "config" in obj:
            return obj["config"]["name"]
        out = {k: normalise_config(v) for k, v in obj.items()}
        if "args" in out and isinstance(out.get("kwargs"), dict):
            # inbound node: kerasx leaves out Keras's default `mask: None` / `training: False`
            out["kwargs"] = {k: v for k, v in out["kwargs"].items()
                             if (k, v) not in (("mask", None), ("training", False))}
        return out
    if isinstance(obj, (list, tuple)):
        return [normalise_config(v) for v in obj]
    return obj


def summary_text(model, **kwargs):
    lines = []
    try:
        model.summary(print_fn=lambda s, line_break=True: lines.append(s), **kwargs)
    except Exception as e:  # noqa: BLE001
        return _err(e)
    return "\n".join(lines)


def _summary_kwargs(model, args):
    kwargs = {k: v for k, v in args.items() if k not in ("positions", "layer_range")}
    if args.get("positions"):
        n = 4 + (1 if args.get("show_trainable") else 0) - (0 if _is_functional_graph(model) else 1)
        kwargs["positions"] = [round((i + 1) / n, 3) for i in range(n)]
    if args.get("layer_range"):
        layers = model.layers
        if len(layers) >= 2:
            kwargs["layer_range"] = [layers[len(layers) // 3].name, layers[-1].name]
    return kwargs


def _is_functional_graph(model):
    # the "Connected to" column appears for graph models with merges / several inputs
    return type(model).__name__ == "Functional"


def sample_inputs(recipe, rng):
    if recipe["kind"] == "sequential":
        return rng.normal(size=[3] + recipe["input"]).astype("float32") if recipe["input"] else None
    xs = []
    for spec in recipe["inputs"]:
        if spec["kind"] == "tokens":
            xs.append(rng.integers(0, 6, size=[3] + spec["shape"]).astype("int32"))
        else:
            xs.append(rng.normal(size=[3] + spec["shape"]).astype("float32"))
    return xs


def _model_inputs(model, recipe, xs):
    if recipe["in_struct"] == "single" and len(xs) == 1:
        return xs[0]
    if recipe["in_struct"] == "dict":
        return dict(zip(model.input, xs))
    return list(xs)


def set_seeded_weights(model, seed):
    rng = np.random.default_rng(seed + 1000)
    ws = [rng.uniform(0.1, 0.9, size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(ws)


def run_recipe(K, recipe):
    K.utils.clear_session()
    facts = {}
    arrays = {}
    model = build_model(K, recipe)
    seq_build = recipe.get("build")
    rng = np.random.default_rng(recipe["seed"])
    xs = sample_inputs(recipe, rng)
    if recipe["kind"] == "sequential" and recipe["input"] is None:
        feat = [int(rng.integers(2, 5))]
        if any(s["class"] in ("Conv1D", "LSTM", "Flatten", "GlobalAveragePooling1D")
               for s in recipe["layers"][:1]):
            feat = [3] + feat
        facts["unbuilt_summary"] = summary_text(model)
        facts["unbuilt_layers"] = [l.name for l in model.layers]
        facts["unbuilt_weights"] = _try(lambda: weight_facts(model.weights))
        facts["unbuilt_count_params"] = _try(model.count_params)
        facts["unbuilt_inputs"] = _try(lambda: _struct(model.inputs, _tensor_fact))
        x_seq = rng.normal(size=[3] + feat).astype("float32")
        if seq_build == "build":
            _try(lambda: model.build((None, *feat)))
        elif seq_build == "call":
            _try(lambda: model(x_seq))
        xs = x_seq
    facts.update(api_facts(K, model, recipe))
    if not getattr(model, "built", False):
        return facts, arrays
    facts["n_weights"] = len(model.get_weights())
    set_seeded_weights(model, recipe["seed"])
    x = xs if recipe["kind"] == "sequential" else _model_inputs(model, recipe, xs)
    if recipe["kind"] == "sequential":
        arrays["x_0"] = xs
    else:
        for i, a in enumerate(xs):
            arrays[f"x_{i}"] = a
    pred = _try(lambda: model.predict(x, verbose=0))
    facts["predict"] = _struct(pred, _tensor_fact) if not _is_err(pred) else pred
    if not _is_err(pred):
        for i, leaf in enumerate(_leaves(pred)):
            arrays[f"predict_{i}"] = np.asarray(leaf)
    eager = _try(lambda: model(x))
    facts["eager"] = _struct(eager, lambda t: _shape(t.shape)) if not _is_err(eager) else eager
    facts["weights_after_set"] = _try(lambda: [list(np.asarray(w).shape) for w in model.get_weights()])
    facts.update(clone_facts(K, model, recipe, x))
    return facts, arrays


def _is_err(v):
    return isinstance(v, dict) and set(v) == {"error"}


def _leaves(x):
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


def api_facts(K, model, recipe):
    f = {}
    f["model_name"] = model.name
    f["class"] = type(model).__name__
    f["built"] = bool(model.built)
    f["layers"] = [[l.name, type(l).__name__, bool(l.trainable)] for l in model.layers]
    f["summaries"] = [summary_text(model, **_summary_kwargs(model, a)) for a in recipe["summary"]]
    if not model.built:
        return f
    f["weights"] = weight_facts(model.weights)
    f["trainable_weights"] = weight_facts(model.trainable_weights)
    f["non_trainable_weights"] = weight_facts(model.non_trainable_weights)
    f["count_params"] = _try(model.count_params)
    f["get_layer_index"] = [_try(lambda i=i: model.get_layer(index=i).name) for i in range(len(model.layers))]
    f["get_layer_name"] = [_try(lambda l=l: model.get_layer(name=l.name) is l) for l in model.layers]
    f["inputs"] = _try(lambda: _struct(model.inputs, _tensor_fact))
    f["outputs"] = _try(lambda: _struct(model.outputs, _tensor_fact))
    if recipe["kind"] != "sequential":
        # Keras's Sequential raises for `.input` / `.output` (a known Keras bug kerasx
        # does not copy)
        f["input"] = _try(lambda: _struct(model.input, _tensor_fact))
        f["output"] = _try(lambda: _struct(model.output, _tensor_fact))
    f["input_shape"] = _try(lambda: _struct(model.input_shape, lambda s: s))
    f["output_shape"] = _try(lambda: _struct(model.output_shape, lambda s: s))
    f["layer_io"] = [[_try(lambda l=l: _struct(l.input, _tensor_fact)),
                      _try(lambda l=l: _struct(l.output, _tensor_fact))] for l in model.layers]
    in_shapes = _try(lambda: _struct(_model_input(model, recipe), lambda t: tuple(t.shape)))
    f["compute_output_shape"] = _try(lambda: _struct(
        model.compute_output_shape(_unstruct(in_shapes)), lambda s: _shape(s)))
    # flattened: for a one-output list Keras's spec is a list, kerasx's (like both
    # libraries' calls) the tensor
    f["compute_output_spec"] = _try(lambda: [[_shape(t.shape), str(t.dtype)] for t in _leaves(
        model.compute_output_spec(_model_input(model, recipe)))])
    f["compute_output_shape_batch"] = _try(lambda: _struct(
        model.compute_output_shape(_unstruct(_with_batch(in_shapes, 7))), lambda s: _shape(s)))
    config = _try(model.get_config)
    f["config"] = normalise_config(json.loads(json.dumps(config, default=str)))
    text = _try(model.to_json)
    f["json_ok"] = not _is_err(text)
    if not _is_err(text):
        f["to_json"] = normalise_config(json.loads(text))
        again = _try(lambda: K.models.model_from_json(text))
        if _is_err(again):
            f["from_json"] = again
        else:
            f["from_json"] = {"name": again.name, "layers": [l.name for l in again.layers],
                              "weights": _try(lambda: weight_facts(again.weights)),
                              "summary": summary_text(again)}
    return f


def _model_input(model, recipe):
    if recipe["kind"] == "sequential":
        return model.inputs[0]
    return model.input


def _with_batch(s, n):
    if isinstance(s, dict) and "dict" in s:
        return {"dict": [[k, _with_batch(v, n)] for k, v in s["dict"]]}
    if isinstance(s, dict) and "list" in s:
        return {"list": [_with_batch(v, n) for v in s["list"]]}
    if isinstance(s, dict) and "tuple" in s:
        return {"tuple": [_with_batch(v, n) for v in s["tuple"]]}
    if isinstance(s, (list, tuple)):
        return (n,) + tuple(s)[1:]
    return s


def _unstruct(s):
    if isinstance(s, dict) and set(s) == {"error"}:
        raise ValueError("no input")
    if isinstance(s, dict) and "dict" in s:
        return {k: _unstruct(v) for k, v in s["dict"]}
    if isinstance(s, dict) and "list" in s:
        return [_unstruct(v) for v in s["list"]]
    if isinstance(s, dict) and "tuple" in s:
        return tuple(_unstruct(v) for v in s["tuple"])
    return s


def _rename(K):
    def clone(layer):
        config = layer.get_config()
        config["name"] = layer.name + "_c"
        return layer.__class__.from_config(config)
    return clone


def clone_facts(K, model, recipe, x):
    f = {}

    def describe(c):
        return {"name": c.name, "layers": [[l.name, type(l).__name__] for l in c.layers],
                "weights": weight_facts(c.weights),
                "inputs": _try(lambda: _struct(c.inputs, _tensor_fact))}

    plain = _try(lambda: K.models.clone_model(model))
    f["clone"] = plain if _is_err(plain) else describe(plain)
    if not _is_err(plain):
        out = _try(lambda: plain.predict(x, verbose=0))
        f["clone_predict"] = _struct(out, lambda t: _shape(t.shape)) if not _is_err(out) else out
    renamed = _try(lambda: K.models.clone_model(model, clone_function=_rename(K)))
    f["clone_renamed"] = renamed if _is_err(renamed) else describe(renamed)
    if recipe["kind"] == "sequential":
        given = K.Input(tuple(model.inputs[0].shape[1:]), name="new_input")
        with_in = _try(lambda: K.models.clone_model(model, input_tensors=given))
        f["clone_input_tensors"] = with_in if _is_err(with_in) else dict(
            describe(with_in), kind=type(with_in).__name__)
    if recipe["kind"] == "functional":
        rec = _try(lambda: K.models.clone_model(model, clone_function=_rename(K), recursive=True))
        f["clone_recursive"] = rec if _is_err(rec) else describe(rec)

        def call_function(layer, *args, **kwargs):
            out = layer(*args, **kwargs)
            if type(layer).__name__ == "Dense":
                return K.layers.Activation("relu", name=layer.name + "_act")(out)
            return out
        called = _try(lambda: K.models.clone_model(model, call_function=call_function))
        f["clone_call_function"] = called if _is_err(called) else describe(called)
        new_inputs = _try(lambda: [K.Input(t.shape[1:], dtype=t.dtype, name=f"new_{i}")
                                   for i, t in enumerate(model.inputs)])
        if not _is_err(new_inputs):
            given = new_inputs[0] if len(new_inputs) == 1 else new_inputs
            with_in = _try(lambda: K.models.clone_model(model, input_tensors=given))
            f["clone_input_tensors"] = with_in if _is_err(with_in) else describe(with_in)
    return f
