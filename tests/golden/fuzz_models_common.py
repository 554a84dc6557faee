"""Random functional model recipes: structures, merges, attention, regularization, custom pieces.

A recipe is plain JSON: named inputs (floats or token ids), a list of layer steps (a layer
spec and the tensor ids it is called on), the output heads and their structure (single,
list, tuple, dict or nested), compile arguments in every accepted form, and what to run.
`draw_recipe(K, seed)` draws one step by step, keeping the steps library ``K`` accepts;
`run_recipe(K, recipe, weights)` builds and runs it in ``K`` = ``keras`` or ``kerasx``
(this module imports neither) and returns the results as `training_recipe.plain_values`
does. ``family_fuzz_models.py`` records Keras's results; the tests replay them in kerasx.
"""

import random

import numpy as np

try:
    from tests.golden.training_recipe import make_object as compile_objects, plain_values
except ImportError:  # run from tests/golden by the family generator
    from training_recipe import make_object as compile_objects, plain_values

ACTIVATIONS = [None, "relu", "tanh", "sigmoid", "gelu", "swish", "softplus", "elu"]
LAMBDAS = ("square", "affine", "sin")
REGRESSION_LOSSES = ["mse", "mae", "huber", "log_cosh", {"cls": "MeanSquaredError"},
                     {"cls": "Huber", "kw": {"delta": 0.5}}, {"cls": "MeanAbsoluteError",
                                                              "kw": {"reduction": "sum"}}]
CATEGORICAL_LOSSES = ["categorical_crossentropy", {"cls": "KLDivergence"},
                      {"cls": "CategoricalCrossentropy", "kw": {"label_smoothing": 0.1}}]
REGRESSION_METRICS = ["mae", "mse", {"cls": "RootMeanSquaredError"},
                      {"cls": "MeanAbsoluteError", "kw": {"name": "abs_err"}}]
CATEGORICAL_METRICS = ["accuracy", "categorical_accuracy", {"cls": "TopKCategoricalAccuracy",
                                                            "kw": {"k": 2}}]


# -- custom pieces, defined once per library ------------------------------------------
_CUSTOM = {}


def custom_classes(K):
    """`PenaltyLayer`, `ScaleLayer` and `PenaltyModel` written against library ``K``."""
    key = K.__name__
    if key in _CUSTOM:
        return _CUSTOM[key]

    class PenaltyLayer(K.layers.Layer):
        """Adds ``rate * mean(x ** 2)`` with `add_loss` and returns ``tanh(x)``."""

        def __init__(self, rate=0.1, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, x):
            self.add_loss(self.rate * K.ops.mean(K.ops.square(x)))
            return K.ops.tanh(x)

    class ScaleLayer(K.layers.Layer):
        """Multiplies the last axis by a weight with its own regularizer and constraint."""

        def __init__(self, regularizer=None, constraint=None, **kwargs):
            super().__init__(**kwargs)
            self.regularizer = regularizer
            self.constraint = constraint

        def build(self, shape):
            self.scale = self.add_weight(shape=(shape[-1],), initializer="ones", name="scale",
                                         regularizer=self.regularizer,
                                         constraint=self.constraint)

        def call(self, x):
            return x * self.scale

    class PenaltyModel(K.Model):
        """A functional model whose `compute_loss` adds ``0.05 * mean(y_pred ** 2)``."""

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            loss = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                        training=training)
            extra = [K.ops.mean(K.ops.square(t)) for t in K.tree.flatten(y_pred)]
            return loss + 0.05 * sum(extra)

    _CUSTOM[key] = dict(PenaltyLayer=PenaltyLayer, ScaleLayer=ScaleLayer,
                        PenaltyModel=PenaltyModel)
    return _CUSTOM[key]


def _lambda_fn(K, name):
    return {"square": lambda t: K.ops.square(t),
            "affine": lambda t: t * 0.5 + 1.0,
            "sin": lambda t: K.ops.sin(t)}[name]


def make_object(K, spec):
    """A regularizer / constraint / loss / metric object from ``{"mod", "cls", "kw"}``."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [make_object(K, s) for s in spec]
    if "cls" in spec:
        return getattr(getattr(K, spec["mod"]), spec["cls"])(**spec.get("kw", {}))
    return {k: make_object(K, v) for k, v in spec.items()}


def make_layer(K, spec):
    """A layer from ``{"cls", "kw", ...}``; nested models from their own specs."""
    kw = {k: (make_object(K, v) if isinstance(v, dict) and "mod" in v else v)
          for k, v in spec.get("kw", {}).items()}
    cls = spec["cls"]
    if cls == "Sequential":
        layer = K.Sequential([make_layer(K, s) for s in spec["layers"]], **kw)
    elif cls == "Functional":
        inp = K.Input(tuple(spec["shape"]))
        x = inp
        for s in spec["layers"]:
            x = make_layer(K, s)(x)
        layer = K.Model(inp, x, **kw)
    elif cls == "Lambda":
        layer = K.layers.Lambda(_lambda_fn(K, spec["fn"]), **kw)
    elif cls in ("PenaltyLayer", "ScaleLayer"):
        layer = custom_classes(K)[cls](**kw)
    else:
        layer = getattr(K.layers, cls)(**kw)
    if spec.get("frozen"):
        layer.trainable = False
    return layer


def apply_step(K, tensors, step):
    """Call the step's layer on its tensors; returns the new tensors."""
    layer = make_layer(K, step["layer"])
    args = [[tensors[i] for i in a] if isinstance(a, list) else tensors[a] for a in step["args"]]
    kwargs = dict(step.get("kwargs", {}))
    for name in ("key", "value"):
        if name in kwargs:
            kwargs[name] = tensors[kwargs[name]]
    out = layer(*args, **kwargs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


# -- the grammar ----------------------------------------------------------------------
def _reg(r):
    return r.choice([
        {"mod": "regularizers", "cls": "L1", "kw": {"l1": 0.01}},
        {"mod": "regularizers", "cls": "L2", "kw": {"l2": 0.02}},
        {"mod": "regularizers", "cls": "L1L2", "kw": {"l1": 0.005, "l2": 0.01}},
        {"mod": "regularizers", "cls": "OrthogonalRegularizer",
         "kw": {"factor": 0.02, "mode": r.choice(["rows", "columns"])}}])


def _constraint(r):
    return r.choice([
        {"mod": "constraints", "cls": "MaxNorm", "kw": {"max_value": 0.8, "axis": r.choice([0, -1])}},
        {"mod": "constraints", "cls": "MinMaxNorm",
         "kw": {"min_value": 0.3, "max_value": 0.9, "rate": 0.7, "axis": 0}},
        {"mod": "constraints", "cls": "NonNeg"},
        {"mod": "constraints", "cls": "UnitNorm", "kw": {"axis": r.choice([0, -1])}}])


def _dense_kw(r, units):
    kw = {"units": units, "activation": r.choice(ACTIVATIONS), "use_bias": r.random() < 0.8}
    for name in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
        if r.random() < 0.15 and (name != "bias_regularizer" or kw["use_bias"]):
            reg = _reg(r)
            if name != "kernel_regularizer" and reg["cls"] == "OrthogonalRegularizer":
                reg = {"mod": "regularizers", "cls": "L2", "kw": {"l2": 0.03}}
            kw[name] = reg
    if r.random() < 0.15:
        kw["kernel_constraint"] = _constraint(r)
    if kw["use_bias"] and r.random() < 0.08:
        kw["bias_constraint"] = {"mod": "constraints", "cls": "NonNeg"}
    return kw


def _einsum(r, rank, d):
    """An EinsumDense spec for a rank-2 or rank-3 input with last size ``d``."""
    if rank == 2:
        eq, shape, axes = r.choice([("ab,bc->ac", [3], "c"), ("ab,bcd->acd", [2, 3], "d"),
                                    ("ab,bcd->acd", [2, 3], "cd")])
    else:
        eq, shape, axes = r.choice([("abc,cd->abd", [None, 4], "d"),
                                    ("abc,cde->abde", [None, 2, 2], "de"),
                                    ("abc,cd->ad", [4], "d"), ("abc,bcd->abd", [None, 3], "bd")])
    kw = {"equation": eq, "output_shape": shape}
    if r.random() < 0.7:
        kw["bias_axes"] = axes if r.random() < 0.6 else axes[-1]
    if r.random() < 0.3:
        kw["activation"] = r.choice(ACTIVATIONS[1:])
    if r.random() < 0.2:
        kw["kernel_regularizer"] = {"mod": "regularizers", "cls": "L2", "kw": {"l2": 0.02}}
    return {"cls": "EinsumDense", "kw": kw}


def _unary(r, shape):
    """A layer spec taking one tensor of ``shape`` (batch axis included)."""
    rank, d = len(shape), shape[-1]
    if rank == 3 and r.random() < 0.3:
        return None  # attention
    pool = ["dense", "dense", "einsum", "act", "norm", "lambda", "identity", "custom",
            "nested", "dropout"]
    pool += ["repeat", "reshape2"] if rank == 2 else ["permute", "flatten", "reshape3", "attn",
                                                       "attn", "pool"]
    kind = r.choice(pool)
    if kind == "dense":
        return {"cls": "Dense", "kw": _dense_kw(r, r.choice([2, 3, 4, 6])),
                "frozen": r.random() < 0.1}
    if kind == "einsum":
        return _einsum(r, rank, d)
    if kind == "act":
        return {"cls": "Activation", "kw": {"activation": r.choice(ACTIVATIONS[1:] + ["softmax"])}}
    if kind == "norm":
        cls = r.choice(["LayerNormalization", "UnitNormalization", "RMSNormalization"])
        kw = {}
        if cls == "LayerNormalization":
            kw = {"center": r.random() < 0.7, "scale": r.random() < 0.7,
                  "epsilon": r.choice([1e-3, 1e-6])}
            if rank == 3 and r.random() < 0.3:
                kw["axis"] = [1, 2]
            if r.random() < 0.2:
                kw["rms_scaling"] = True
            if r.random() < 0.15 and kw["scale"]:
                kw["gamma_regularizer"] = {"mod": "regularizers", "cls": "L2", "kw": {"l2": 0.05}}
        elif cls == "UnitNormalization" and rank == 3 and r.random() < 0.3:
            kw = {"axis": [1, 2]}
        elif cls == "RMSNormalization":
            kw = {"epsilon": r.choice([1e-6, 1e-3])}
        return {"cls": cls, "kw": kw}
    if kind == "lambda":
        return {"cls": "Lambda", "fn": r.choice(LAMBDAS)}
    if kind == "identity":
        return {"cls": "Identity"}
    if kind == "dropout":
        return {"cls": "Dropout", "kw": {"rate": 0.0}}
    if kind == "custom":
        if r.random() < 0.5:
            return {"cls": "PenaltyLayer", "kw": {"rate": r.choice([0.1, 0.5])}}
        kw = {}
        if r.random() < 0.5:
            kw["regularizer"] = {"mod": "regularizers", "cls": "L1", "kw": {"l1": 0.02}}
        if r.random() < 0.3:
            kw["constraint"] = {"mod": "constraints", "cls": "NonNeg"}
        return {"cls": "ScaleLayer", "kw": kw, "frozen": r.random() < 0.15}
    if kind == "nested":
        layers = [{"cls": "Dense", "kw": _dense_kw(r, r.choice([3, 4]))}
                  for _ in range(r.choice([1, 2]))]
        if r.random() < 0.3:
            layers.append({"cls": "LayerNormalization"})
        cls = r.choice(["Sequential", "Functional"])
        spec = {"cls": cls, "layers": layers, "frozen": r.random() < 0.2}
        if cls == "Functional":
            spec["shape"] = list(shape[1:])
        return spec
    if kind == "repeat":
        return {"cls": "RepeatVector", "kw": {"n": r.choice([2, 3])}}
    if kind == "reshape2":
        return {"cls": "Reshape", "kw": {"target_shape": r.choice([[d, 1], [1, -1], [-1, 1]])}}
    if kind == "permute":
        return {"cls": "Permute", "kw": {"dims": [2, 1]}}
    if kind == "flatten":
        return {"cls": "Flatten"}
    if kind == "reshape3":
        return {"cls": "Reshape", "kw": {"target_shape": [-1]}}
    if kind == "pool":
        return {"cls": r.choice(["GlobalAveragePooling1D", "GlobalMaxPooling1D"])}
    return None  # "attn": drawn by the caller, it may take a second tensor


def _attention_step(r, q, tensors, shapes):
    """An attention step on query ``q`` (rank 3), with a value of the same batch and rank."""
    rank3 = [i for i, s in enumerate(shapes) if len(s) == 3]
    v = r.choice(rank3)
    cls = r.choice(["Attention", "AdditiveAttention", "MultiHeadAttention",
                    "GroupQueryAttention"])
    if cls in ("Attention", "AdditiveAttention"):
        # Keras builds these on query / key of different sizes and fails when run
        rank3 = [i for i in rank3 if shapes[i][-1] == shapes[q][-1]]
        v = r.choice(rank3)
        kw = {"use_scale": r.random() < 0.5}
        if cls == "Attention" and r.random() < 0.3:
            kw["score_mode"] = "concat"
        args = [[q, v]]
        if r.random() < 0.3:
            args = [[q, v, r.choice(rank3)]]
        call = {}
        if r.random() < 0.3:
            call["use_causal_mask"] = True
        if r.random() < 0.3:
            call["return_attention_scores"] = True
        return {"layer": {"cls": cls, "kw": kw}, "args": args, "kwargs": call}
    if cls == "MultiHeadAttention":
        kw = {"num_heads": r.choice([1, 2]), "key_dim": r.choice([2, 3])}
        if r.random() < 0.3:
            kw["output_shape"] = r.choice([[4], 5])
        if r.random() < 0.2:
            kw["use_bias"] = False
        if r.random() < 0.2:
            kw["attention_axes"] = [1]
        if r.random() < 0.2:
            kw["value_dim"] = kw["key_dim"]
    else:
        kw = {"head_dim": r.choice([2, 3]), "num_query_heads": 2, "num_key_value_heads": r.choice([1, 2])}
    call = {"value": v}
    if r.random() < 0.3:
        call["key"] = r.choice(rank3)
    if r.random() < 0.3:
        call["use_causal_mask"] = True
    if r.random() < 0.3:
        call["return_attention_scores"] = True
    return {"layer": {"cls": cls, "kw": kw}, "args": [q], "kwargs": call}


def _merge_step(r, shapes):
    """A merging step over tensors of matching shapes, or None."""
    by_shape = {}
    for i, s in enumerate(shapes):
        by_shape.setdefault(tuple(s), []).append(i)
    groups = [ids for ids in by_shape.values() if len(ids) >= 2]
    cls = r.choice(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                    "Concatenate", "Dot"])
    if cls == "Concatenate":
        a = r.randrange(len(shapes))
        sa = shapes[a]
        axis = r.choice([-1, 1] if len(sa) == 2 else [-1, 1, 2])
        ax = axis % len(sa)
        same = [i for i, s in enumerate(shapes) if len(s) == len(sa)
                and all(s[k] == sa[k] for k in range(1, len(sa)) if k != ax)]
        ids = r.sample(same, min(len(same), r.choice([2, 3])))
        if len(ids) < 2:
            return None
        return {"layer": {"cls": "Concatenate", "kw": {"axis": axis}}, "args": [ids]}
    if not groups:
        return None
    ids = r.choice(groups)
    if cls == "Dot":
        a, b = r.sample(ids, 2)
        rank = len(shapes[a])
        axes = r.choice([-1, 1]) if rank == 2 else r.choice([[2, 2], [1, 1], 2])
        return {"layer": {"cls": "Dot", "kw": {"axes": axes, "normalize": r.random() < 0.3}},
                "args": [[a, b]]}
    n = 2 if cls == "Subtract" else min(len(ids), r.choice([2, 2, 3]))
    return {"layer": {"cls": cls}, "args": [r.sample(ids, n)]}


def _inputs(r):
    n = r.choice([1, 1, 2, 2, 3])
    out = []
    for i in range(n):
        kind = r.choice(["vec", "vec", "seq", "tokens"])
        name = f"in_{chr(97 + i)}"
        if kind == "vec":
            out.append({"name": name, "shape": [r.choice([3, 4, 5])], "dtype": "float32"})
        elif kind == "seq":
            out.append({"name": name, "shape": [r.choice([3, 4]), r.choice([3, 4])],
                        "dtype": "float32"})
        else:
            out.append({"name": name, "shape": [r.choice([3, 4])], "dtype": "int32",
                        "vocab": 6, "mask_zero": r.random() < 0.5})
    return out


def _shape_of(t):
    return [None] + [int(d) for d in tuple(t.shape)[1:]]


def draw_recipe(K, seed, max_steps=None):
    """A random recipe, drawn by trying each step in library ``K`` (kept if it builds)."""
    r = random.Random(seed)
    recipe = {"seed": seed, "inputs": _inputs(r), "steps": []}
    inputs = [K.Input(tuple(s["shape"]), name=s["name"], dtype=s["dtype"])
              for s in recipe["inputs"]]
    tensors, shapes = list(inputs), [_shape_of(t) for t in inputs]
    for i, spec in enumerate(recipe["inputs"]):
        if spec["dtype"] == "int32":
            step = {"layer": {"cls": "Embedding", "kw": {"input_dim": spec["vocab"],
                                                          "output_dim": r.choice([3, 4]),
                                                          "mask_zero": spec["mask_zero"]}},
                    "args": [i]}
            tensors += apply_step(K, tensors, step)
            shapes.append(_shape_of(tensors[-1]))
            recipe["steps"].append(step)
    used = set()
    n_steps = max_steps or r.choice([2, 3, 4, 5, 6, 8])
    tries = 0
    while len(recipe["steps"]) < n_steps and tries < 40:
        tries += 1
        floats = [i for i, t in enumerate(tensors) if "float" in str(t.dtype)]
        if r.random() < 0.25:
            step = _merge_step(r, [shapes[i] if i in floats else [-1] for i in range(len(shapes))])
        else:
            src = r.choice(floats[-3:] if r.random() < 0.6 else floats)
            spec = _unary(r, shapes[src])
            if spec is None:
                step = _attention_step(r, src, tensors, shapes)
            else:
                step = {"layer": spec, "args": [src]}
        if step is None:
            continue
        try:
            new = apply_step(K, tensors, step)
            new_shapes = [_shape_of(t) for t in new]
        except Exception:
            continue
        recipe["steps"].append(step)
        for a in step["args"]:
            used.update(a if isinstance(a, list) else [a])
        tensors += new
        shapes += new_shapes
    _draw_heads(r, recipe, tensors, shapes, used)
    _draw_compile(r, recipe)
    return recipe


def _draw_heads(r, recipe, tensors, shapes, used):
    floats = [i for i, t in enumerate(tensors) if "float" in str(t.dtype)]
    leaves = [i for i in floats if i not in used] or floats
    n_out = min(len(leaves), r.choice([1, 1, 2, 2, 3]))
    picks = r.sample(leaves, n_out)
    heads = []
    for j, src in enumerate(picks):
        task = r.choice(["reg", "reg", "cat", "raw"])
        name = r.choice([f"out_{j}", f"head_{chr(122 - j)}"])
        heads.append({"src": src, "task": task, "name": name,
                      "units": r.choice([1, 2, 3]) if task == "reg" else r.choice([2, 3, 4]),
                      "rank": len(shapes[src])})
    n_in = len(recipe["inputs"])
    recipe["in_struct"] = r.choice(["single"] if n_in == 1 else ["list", "dict", "tuple"])
    if n_in == 1 and r.random() < 0.3:
        recipe["in_struct"] = r.choice(["list", "dict"])
    structs = ["single"] if n_out == 1 else ["list", "dict", "dict", "tuple"]
    if n_out == 3:
        structs.append("nested")
    if n_out == 1 and r.random() < 0.25:
        structs = ["list", "dict"]
    recipe["heads"] = heads
    recipe["out_struct"] = r.choice(structs)
    if r.random() < 0.15:
        recipe["model_class"] = "PenaltyModel"
    if r.random() < 0.3:
        # a tensor the heads depend on: the model holds (and sets) the weights on its path
        recipe["submodel"] = r.choice(sorted(_ancestors(recipe, [h["src"] for h in heads])))


def _ancestors(recipe, ids):
    """The float tensors ``ids`` are computed from (themselves included)."""
    producer, first = {}, len(recipe["inputs"])
    for step in recipe["steps"]:
        n_out = 2 if step.get("kwargs", {}).get("return_attention_scores") else 1
        for _ in range(n_out):
            producer[first] = step
            first += 1
    seen, todo = set(), list(ids)
    while todo:
        t = todo.pop()
        if t in seen or t not in producer:
            continue
        seen.add(t)
        step = producer[t]
        for a in step["args"]:
            todo += a if isinstance(a, list) else [a]
        todo += [step["kwargs"][k] for k in ("key", "value") if k in step.get("kwargs", {})]
    return seen or set(ids)


def _loss_for(r, head):
    return r.choice(CATEGORICAL_LOSSES if head["task"] == "cat" else REGRESSION_LOSSES)


def _metrics_for(r, head):
    pool = CATEGORICAL_METRICS if head["task"] == "cat" else REGRESSION_METRICS
    return r.sample(pool, r.choice([0, 1, 1, 2]))


def _draw_compile(r, recipe):
    heads, struct = recipe["heads"], recipe["out_struct"]
    names = [h["name"] for h in heads]
    multi = struct != "single"
    comp = {"optimizer": r.choice([{"cls": "SGD", "kw": {"learning_rate": 0.05}},
                                   {"cls": "Adam", "kw": {"learning_rate": 0.01}},
                                   {"cls": "SGD", "kw": {"learning_rate": 0.02, "momentum": 0.9}}])}
    losses = [_loss_for(r, h) for h in heads]
    if not multi:
        comp["loss"] = losses[0]
    else:
        form = r.choice(["one", "list", "dict", "dict"])
        if form == "one" and all(h["task"] != "cat" for h in heads):
            comp["loss"] = losses[0]
        elif form == "dict" or struct == "dict":
            drop = r.random() < 0.3 and len(heads) > 1
            comp["loss"] = {n: l for j, (n, l) in enumerate(zip(names, losses))
                            if not (drop and j == 0)}
            if r.random() < 0.4:
                comp["loss_weights"] = {n: r.choice([0.5, 2.0]) for n in comp["loss"]}
        else:
            comp["loss"] = list(losses)
            if len(heads) > 1 and r.random() < 0.25:
                comp["loss"][r.randrange(len(heads))] = None
            if r.random() < 0.4:
                comp["loss_weights"] = [r.choice([0.5, 2.0]) for _ in heads]
        if struct == "nested" and isinstance(comp["loss"], list):
            comp["loss"] = {"first": comp["loss"][0], "rest": comp["loss"][1:]}
            comp.pop("loss_weights", None)
    ms = [_metrics_for(r, h) for h in heads]
    if any(ms):
        if not multi:
            comp["metrics"] = ms[0]
        else:
            form = r.choice(["list_of_lists", "dict", "flat"])
            if form == "dict" or struct in ("dict", "nested"):
                comp["metrics"] = {n: m for n, m in zip(names, ms) if m}
            elif form == "flat" and all(h["task"] != "cat" for h in heads):
                comp["metrics"] = ms[0] or ["mae"]
            else:
                comp["metrics"] = ms
    if r.random() < 0.25:
        wm = [_metrics_for(r, h)[:1] or ["mae" if h["task"] != "cat" else "accuracy"]
              for h in heads]
        comp["weighted_metrics"] = wm[0] if not multi else (
            {n: m for n, m in zip(names, wm)} if struct in ("dict", "nested") else wm)
    recipe["compile"] = comp
    recipe["run"] = {"n": r.choice([6, 8, 10]), "batch_size": r.choice([None, None, 4]),
                     "epochs": r.choice([1, 2]), "sample_weight": r.random() < 0.3,
                     "return_dict": r.random() < 0.5}


ERRORS = []  # the messages of the last run's failures, for reading


# -- running a recipe -----------------------------------------------------------------
def _structure(recipe, items, key):
    """Put per-item values in the recipe's structure (``key`` gives each item's name)."""
    struct = recipe[key]
    names = [n for n in (recipe["inputs"] if key == "in_struct" else recipe["heads"])]
    names = [n["name"] for n in names]
    if struct == "single":
        return items[0]
    if struct == "list":
        return list(items)
    if struct == "tuple":
        return tuple(items)
    if struct == "dict":
        return dict(zip(names, items))
    return {"first": items[0], "rest": list(items[1:])}


def build_model(K, recipe):
    """The recipe's model, its inputs, the tensors of its graph and its heads in order."""
    inputs = [K.Input(tuple(s["shape"]), name=s["name"], dtype=s["dtype"])
              for s in recipe["inputs"]]
    tensors = list(inputs)
    for step in recipe["steps"]:
        tensors += apply_step(K, tensors, step)
    outs = []
    for h in recipe["heads"]:
        t = tensors[h["src"]]
        if h["task"] == "raw":
            outs.append(K.layers.Identity(name=h["name"])(t))
        else:
            act = "softmax" if h["task"] == "cat" else None
            outs.append(K.layers.Dense(h["units"], activation=act, name=h["name"])(t))
    cls = custom_classes(K)["PenaltyModel"] if recipe.get("model_class") else K.Model
    model = cls(_structure(recipe, inputs, "in_struct"), _structure(recipe, outs, "out_struct"))
    return model, inputs, tensors, outs


def recipe_data(recipe, outs):
    """Inputs, targets and sample weights, shaped after the model's outputs."""
    rng = np.random.default_rng(recipe["seed"])
    n = recipe["run"]["n"]
    xs = []
    for s in recipe["inputs"]:
        if s["dtype"] == "int32":
            xs.append(rng.integers(0, s["vocab"], size=(n, *s["shape"])).astype("int32"))
        else:
            xs.append(rng.normal(size=(n, *s["shape"])).astype("float32"))
    ys = []
    for h, out in zip(recipe["heads"], outs):
        shape = (n, *[int(d) for d in tuple(out.shape)[1:]])
        if h["task"] == "cat":
            ys.append(np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[:-1])])
        else:
            ys.append(rng.normal(size=shape).astype("float32"))
    # per-timestep weights for sequence heads (Keras 3.15.1 broadcasts (batch,) weights
    # against the time axis of a per-timestep loss)
    sws = [rng.uniform(0.2, 2.0, size=(n, *[int(d) for d in tuple(out.shape)[1:-1]]))
           .astype("float32") for out in outs]
    return xs, ys, sws


def perturbed_weights(model, seed):
    """The model's weights moved off their initial values (so biases and scales count)."""
    rng = np.random.default_rng(seed + 77)
    return [np.asarray(w) + rng.normal(0, 0.3, np.shape(w)).astype("float32")
            for w in model.get_weights()]


def run_recipe(K, recipe, weights=None, jit_compile=None):
    """Build, run and train a recipe; returns (initial weights, results). ``jit_compile``,
    where given, is set on the model and passed to ``compile``."""
    res = {}
    del ERRORS[:]
    if hasattr(K.utils, "set_random_seed"):
        K.utils.set_random_seed(recipe["seed"])
    model, inputs, tensors, outs = build_model(K, recipe)
    w0 = perturbed_weights(model, recipe["seed"]) if weights is None else weights
    model.set_weights(w0)
    if jit_compile is not None:
        model.jit_compile = jit_compile
    xs, ys, sws = recipe_data(recipe, outs)
    x = _structure(recipe, xs, "in_struct")
    y = _structure(recipe, ys, "out_struct")
    run = recipe["run"]
    batch_size = run["batch_size"] or run["n"]

    def attempt(name, fn):
        try:
            res[name] = plain_values(fn())
        except Exception as e:
            res[name + "_error"] = type(e).__name__
            ERRORS.append(f"{name}: {type(e).__name__}: {str(e)[:400]}")

    res["count_params"] = model.count_params()
    res["output_shapes"] = [_shape_of(t) for t in outs]
    attempt("predict", lambda: model.predict(x, batch_size=run["n"], verbose=0))
    attempt("call_training", lambda: model(x, training=True))
    attempt("losses", lambda: [float(v) for v in model.losses])
    if "submodel" in recipe:
        def sub():
            part = K.Model(inputs, tensors[recipe["submodel"]])
            return part.predict(xs, verbose=0)
        attempt("submodel", sub)
    comp = recipe["compile"]
    kw = {"optimizer": getattr(K.optimizers, comp["optimizer"]["cls"])(**comp["optimizer"]["kw"])}
    for key, mod in (("loss", "losses"), ("metrics", "metrics"),
                     ("weighted_metrics", "metrics")):
        if key in comp:
            kw[key] = compile_objects(K, comp[key], mod)
    if jit_compile is not None:
        kw["jit_compile"] = jit_compile
    if "loss_weights" in comp:
        kw["loss_weights"] = comp["loss_weights"]
    try:
        model.compile(**kw)
    except Exception as e:
        res["compile_error"] = type(e).__name__
        ERRORS.append(f"compile: {type(e).__name__}: {str(e)[:400]}")
        return w0, res
    sw = _structure(recipe, sws, "out_struct") if run["sample_weight"] else None
    rd = run["return_dict"]
    attempt("evaluate", lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                               return_dict=True, sample_weight=sw))
    for step in range(2):
        attempt(f"train_on_batch_{step}", lambda: model.train_on_batch(
            x, y, sample_weight=sw, return_dict=rd))
    attempt("weights_after_tob", model.get_weights)
    attempt("test_on_batch", lambda: model.test_on_batch(x, y, sample_weight=sw,
                                                         return_dict=rd))
    attempt("metrics_names", lambda: list(model.metrics_names))
    attempt("fit", lambda: model.fit(x, y, batch_size=batch_size, epochs=run["epochs"],
                                     shuffle=False, verbose=0, sample_weight=sw).history)
    attempt("weights_after_fit", model.get_weights)

    def losses_after_fit():
        model(x)  # the activity losses of the last call, with the trained weights
        return [float(v) for v in model.losses]
    attempt("losses_after_fit", losses_after_fit)
    return w0, res
