"""Random compile / fit / evaluate / predict recipes for small Dense models.

A recipe is plain JSON (model outline, compile and fit arguments, what to call after
`fit`).  `random_recipe(seed)` draws one from a seeded grammar; `run_recipe(K, recipe,
weights)` runs it with ``K`` = ``keras`` or ``kerasx`` (this module imports neither), from
the given initial weights, and returns what it produced as nested lists, ``{"__dict__":
[[key, value], ...]}`` for dicts (keeping key order), and float64 / int arrays.
``family_fuzz_training.py`` records Keras's results; the tests replay them in kerasx.
"""

import random

import numpy as np

LOSSES = {
    "reg": ["mse", "mae", {"fn": "mean_squared_error"}, {"cls": "Huber", "kw": {"delta": 0.7}},
            "log_cosh", {"cls": "MeanSquaredError", "kw": {"reduction": "sum"}},
            {"cls": "MeanAbsoluteError", "kw": {"reduction": "mean"}},
            {"cls": "LogCosh", "kw": {"reduction": "sum_over_batch_size"}},
            "cosine_similarity", {"cls": "MeanSquaredLogarithmicError"}],
    "binary": ["binary_crossentropy", {"fn": "binary_crossentropy"},
               {"cls": "BinaryCrossentropy", "kw": {"label_smoothing": 0.1}},
               {"cls": "BinaryFocalCrossentropy", "kw": {"gamma": 2.0}},
               {"cls": "BinaryCrossentropy", "kw": {"reduction": "sum"}}, "hinge", "squared_hinge"],
    "binary_logits": [{"cls": "BinaryCrossentropy", "kw": {"from_logits": True}},
                      {"cls": "BinaryCrossentropy", "kw": {"from_logits": True, "label_smoothing": 0.2}},
                      {"cls": "BinaryFocalCrossentropy", "kw": {"from_logits": True, "apply_class_balancing": True}}],
    "cat": ["categorical_crossentropy", {"fn": "categorical_crossentropy"},
            {"cls": "CategoricalCrossentropy", "kw": {"label_smoothing": 0.1}},
            {"cls": "CategoricalFocalCrossentropy"}, "kl_divergence", "poisson", "categorical_hinge",
            {"cls": "CategoricalCrossentropy", "kw": {"reduction": "sum"}}],
    "cat_logits": [{"cls": "CategoricalCrossentropy", "kw": {"from_logits": True}},
                   {"cls": "CategoricalCrossentropy", "kw": {"from_logits": True, "label_smoothing": 0.2}},
                   {"cls": "CategoricalFocalCrossentropy", "kw": {"from_logits": True}}],
    "sparse": ["sparse_categorical_crossentropy", {"fn": "sparse_categorical_crossentropy"},
               {"cls": "SparseCategoricalCrossentropy"}],
    "sparse_logits": [{"cls": "SparseCategoricalCrossentropy", "kw": {"from_logits": True}},
                      {"cls": "SparseCategoricalCrossentropy", "kw": {"from_logits": True, "reduction": "sum"}}],
}
METRICS = {
    "reg": ["mae", "mse", {"cls": "RootMeanSquaredError"}, {"cls": "MeanAbsoluteError", "kw": {"name": "my_mae"}},
            "mean_squared_error", {"cls": "CosineSimilarity"}, {"cls": "LogCoshError"}],
    "binary": ["accuracy", "acc", "binary_accuracy", "AUC", {"cls": "Precision"}, {"cls": "Recall"},
               {"cls": "BinaryAccuracy", "kw": {"threshold": 0.3}}, "binary_crossentropy",
               {"cls": "AUC", "kw": {"curve": "PR", "num_thresholds": 50}}],
    "cat": ["accuracy", "acc", "categorical_accuracy", "top_k_categorical_accuracy",
            {"cls": "TopKCategoricalAccuracy", "kw": {"k": 2}}, "categorical_crossentropy", "AUC",
            {"cls": "CategoricalAccuracy", "kw": {"name": "ca"}}],
    "sparse": ["accuracy", "acc", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
               {"cls": "SparseTopKCategoricalAccuracy", "kw": {"k": 2}}, "sparse_categorical_crossentropy"],
}
OPTS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl",
        "Lion", "Lamb", "Adafactor"]
ACTS = {"reg": [None, "linear"], "binary": ["sigmoid"], "cat": ["softmax"], "sparse": ["softmax"]}


def _random_optimizer(r):
    name = r.choice(OPTS)
    lr = r.choice([0.01, 0.05, 0.1]) if name not in ("Adadelta", "Ftrl", "Adagrad") else 0.5
    if name in ("Lion",):
        lr = 0.003
    kw = {"learning_rate": lr}
    if name == "SGD":
        kw.update(r.choice([{}, {"momentum": 0.9}, {"momentum": 0.8, "nesterov": True}]))
    if name == "Adam" and r.random() < 0.4:
        kw["amsgrad"] = True
    if name == "RMSprop" and r.random() < 0.5:
        kw.update({"centered": True, "momentum": r.choice([0.0, 0.5])})
    if name == "AdamW":
        kw["weight_decay"] = r.choice([0.004, 0.1])
    clip = r.random()
    if clip < 0.15:
        kw["clipnorm"] = 0.5
    elif clip < 0.3:
        kw["clipvalue"] = 0.05
    elif clip < 0.4:
        kw["global_clipnorm"] = 0.3
    if name not in ("AdamW", "Lamb", "Lion") and r.random() < 0.15:
        kw["weight_decay"] = 0.05
    if r.random() < 0.15:
        kw["use_ema"] = True
        kw["ema_momentum"] = 0.9
        if r.random() < 0.5:
            kw["ema_overwrite_frequency"] = 2
    spec = {"cls": name, "kw": kw}
    if r.random() < 0.2:
        del kw["learning_rate"]
        spec["schedule"] = r.choice([
            {"cls": "ExponentialDecay", "kw": {"initial_learning_rate": lr, "decay_steps": 2, "decay_rate": 0.5}},
            {"cls": "PiecewiseConstantDecay", "kw": {"boundaries": [2, 5], "values": [lr, lr / 2, lr / 10]}},
            {"cls": "CosineDecay", "kw": {"initial_learning_rate": lr, "decay_steps": 8, "warmup_steps": 2, "warmup_target": lr * 2}},
            {"cls": "InverseTimeDecay", "kw": {"initial_learning_rate": lr, "decay_steps": 3, "decay_rate": 0.5, "staircase": True}},
            {"cls": "PolynomialDecay", "kw": {"initial_learning_rate": lr, "decay_steps": 6, "end_learning_rate": lr / 10, "power": 2.0}},
        ])
    if r.random() < 0.08:
        spec["loss_scale"] = {"initial_scale": 2.0 ** r.choice([4, 15]), "dynamic_growth_steps": 2}
    return spec


def _random_output(r, i):
    task = r.choice(["reg", "binary", "cat", "sparse"])
    units = {"reg": r.choice([1, 2, 3]), "binary": r.choice([1, 1, 2]), "cat": r.choice([2, 3, 4]),
             "sparse": r.choice([2, 3, 4])}[task]
    logits = task != "reg" and r.random() < 0.3
    act = None if logits else r.choice(ACTS[task])
    loss = r.choice(LOSSES[task + ("_logits" if logits else "")])
    return {"name": f"out_{i}" if r.random() < 0.7 else f"head{chr(97 + i)}", "task": task,
            "units": units, "activation": act, "loss": loss, "logits": logits}


def _random_metrics(r, o):
    if o["logits"]:
        pool = [m for m in METRICS[o["task"]] if m not in ("AUC", "binary_crossentropy",
                                                           "categorical_crossentropy",
                                                           "sparse_categorical_crossentropy")]
    else:
        pool = METRICS[o["task"]]
    return r.sample(pool, r.choice([0, 1, 1, 2, 3]))


def random_recipe(i):
    r = random.Random(i)
    n_out = r.choice([1, 1, 1, 2, 2, 3])
    kind = "seq" if n_out == 1 and r.random() < 0.4 else "func"
    outs = [_random_output(r, j) for j in range(n_out)]
    timesteps = r.choice([None, None, None, 3])
    if timesteps:
        for o in outs:
            if o["task"] == "binary" and "Focal" in str(o["loss"]):
                o["loss"] = "binary_crossentropy"
    model = {"kind": kind, "in_dim": r.randint(2, 6), "timesteps": timesteps,
             "n_inputs": 1 if kind == "seq" else r.choice([1, 1, 2]),
             "hidden": [[r.choice([3, 5, 8]), r.choice(["relu", "tanh", None, "sigmoid"])]
                        for _ in range(r.choice([0, 1, 1, 2]))],
             "outputs": outs}
    if kind == "func":
        model["out_struct"] = "single" if n_out == 1 and r.random() < 0.6 else r.choice(["list", "dict"])
        model["in_struct"] = ("single" if model["n_inputs"] == 1 and r.random() < 0.6
                              else r.choice(["list", "dict"]))
    else:
        model["out_struct"] = "single"
    multi = model["out_struct"] in ("list", "dict")
    comp = {"optimizer": _random_optimizer(r)}
    names = [o["name"] for o in outs]
    if not multi:
        comp["loss"] = outs[0]["loss"]
    else:
        form = r.choice(["list", "dict", "dict"] if model["out_struct"] == "dict" else ["list"])
        comp["loss"] = ([o["loss"] for o in outs] if form == "list"
                        else {o["name"]: o["loss"] for o in outs})
        if r.random() < 0.4:
            lw = [r.choice([0.5, 1.0, 2.0]) for _ in outs]
            comp["loss_weights"] = lw if form == "list" else dict(zip(names, lw))
    ms = [_random_metrics(r, o) for o in outs]
    if any(ms):
        if not multi:
            comp["metrics"] = ms[0]
        else:
            form = r.choice(["list", "dict"] if model["out_struct"] == "dict" else ["list"])
            comp["metrics"] = ms if form == "list" else {n: m for n, m in zip(names, ms) if m}
    if r.random() < 0.3:
        wm = [_random_metrics(r, o)[:1] for o in outs]
        if any(wm):
            comp["weighted_metrics"] = wm[0] if not multi else wm
    if r.random() < 0.25:
        comp["steps_per_execution"] = r.choice([2, 3])
    n = r.randint(13, 40)
    fit = {"epochs": r.choice([1, 2, 3, 4]), "batch_size": r.choice([4, 5, 7, 8, 16, 32])}
    case = {"seed": i, "n": n, "model": model, "compile": comp, "fit": fit}
    if r.random() < 0.4:
        fit["sample_weight"] = True
        if timesteps:
            case["sw_temporal"] = True
        if multi and r.random() < 0.5:
            case["sw_struct"] = model["out_struct"]
    elif not multi and r.random() < 0.2 and outs[0]["task"] in ("sparse", "cat") and not timesteps:
        fit["class_weight"] = {str(k): r.choice([0.5, 1.0, 3.0]) for k in range(outs[0]["units"])}
    v = r.random()
    if v < 0.25:
        fit["validation_split"] = r.choice([0.2, 0.25])
    elif v < 0.5:
        fit["validation_data"] = r.choice(["plain", "weighted"])
    if r.random() < 0.15:
        fit["steps_per_epoch"] = r.choice([2, 3])
    if r.random() < 0.15 and fit["epochs"] > 1:
        fit["initial_epoch"] = 1
    cbs = []
    mon = "val_loss" if ("validation_split" in fit or "validation_data" in fit) and r.random() < 0.5 else "loss"
    if r.random() < 0.2:
        kw = {"monitor": mon, "patience": r.choice([0, 1]), "restore_best_weights": r.random() < 0.5}
        if r.random() < 0.3:
            kw["start_from_epoch"] = 1
        if r.random() < 0.2:
            kw["baseline"] = 0.01
        if r.random() < 0.3:
            kw["min_delta"] = 0.5
        cbs.append({"cls": "EarlyStopping", "kw": kw})
        fit["epochs"] = max(fit["epochs"], 3)
    if r.random() < 0.15 and "schedule" not in comp["optimizer"]:
        cbs.append({"cls": "ReduceLROnPlateau", "kw": {"monitor": mon, "factor": 0.5, "patience": 0,
                                                       "min_delta": r.choice([0.0, 10.0]),
                                                       "cooldown": r.choice([0, 1])}})
    if r.random() < 0.15 and "schedule" not in comp["optimizer"] and not cbs:
        cbs.append({"cls": "LearningRateScheduler", "kw": {"schedule": r.choice(["halving", "table"])}})
    if r.random() < 0.1:
        cbs.append({"cls": "TerminateOnNaN"})
    fit["callbacks"] = cbs
    case["ops"] = {"return_dict": r.random() < 0.5, "eval_bs": r.choice([4, 7, 32]),
                   "eval_sw": r.random() < 0.3, "tob_dict": r.random() < 0.4, "tob_sw": r.random() < 0.3,
                   "tob_rows": r.choice([3, 6])}
    if timesteps:
        # per-timestep weights: Keras's losses broadcast (batch,) weights against the
        # last axis of (batch, timesteps) values (an error unless the sizes agree)
        case["sw_temporal"] = True
    if model["out_struct"] == "dict":
        _lists_in_flattened_order(case)
    _widen(random.Random(i + 1_000_000), case)
    return case


def _lists_in_flattened_order(case):
    """List-form arguments of a dict-output model follow its outputs sorted by name."""
    names = [o["name"] for o in case["model"]["outputs"]]
    order = sorted(range(len(names)), key=names.__getitem__)
    for key in ("loss", "loss_weights", "metrics", "weighted_metrics"):
        if isinstance(case["compile"].get(key), list):
            case["compile"][key] = [case["compile"][key][j] for j in order]


def _widen(r, case):
    """Rarer arguments, drawn from their own stream (earlier draws stay as they were)."""
    m, comp, fit, ops = case["model"], case["compile"], case["fit"], case["ops"]
    if r.random() < 0.2:
        m["kernel_regularizer"] = r.choice(["l2", "l1", "l1_l2"])
    if r.random() < 0.15:
        comp["optimizer"]["kw"]["gradient_accumulation_steps"] = 2
    if ("validation_split" in fit or "validation_data" in fit) and fit["epochs"] > 1 and r.random() < 0.3:
        fit["validation_freq"] = 2
    if ("validation_split" in fit or "validation_data" in fit) and r.random() < 0.2:
        fit["validation_batch_size"] = 3
    if isinstance(comp["loss"], list) and len(comp["loss"]) > 1 and r.random() < 0.3:
        comp["loss"][r.randrange(len(comp["loss"]))] = None
        comp.pop("loss_weights", None)
    if "class_weight" in fit and r.random() < 0.5:
        fit["sample_weight"] = True
    if r.random() < 0.08:
        fit["steps_per_epoch"] = 10
    if r.random() < 0.2:
        ops["eval_steps"] = 2
    if r.random() < 0.2:
        ops["predict_steps"] = 2



def _lr_halving(epoch, lr):
    return float(lr) * 0.5 if epoch > 0 else float(lr)


def _lr_table(epoch):
    return [0.05, 0.02, 0.01, 0.005, 0.002][min(epoch, 4)]


def recipe_data(case):
    """Inputs, targets and sample weights (training and validation) of a recipe."""
    n, seed = case["n"], case["seed"]
    rng = np.random.default_rng(seed)
    m = case["model"]
    T = m.get("timesteps")
    def xshape(rows):
        return (rows, T, m["in_dim"]) if T else (rows, m["in_dim"])
    def targets(rows):
        ys = []
        for o in m["outputs"]:
            u = o["units"]
            lead = (rows, T) if T else (rows,)
            if o["task"] == "reg":
                y = rng.normal(size=lead + (u,)).astype("float32")
            elif o["task"] == "binary":
                y = rng.integers(0, 2, size=lead + (u,)).astype("float32")
            elif o["task"] == "cat":
                y = np.eye(u, dtype="float32")[rng.integers(0, u, size=lead)]
            else:
                y = rng.integers(0, u, size=lead).astype("int32")
            ys.append(y)
        return ys
    xs = [rng.normal(size=xshape(n)).astype("float32") for _ in range(m["n_inputs"])]
    ys = targets(n)
    lead = (n, T) if (T and case.get("sw_temporal")) else (n,)
    sw = [rng.uniform(0.1, 2.0, size=lead).astype("float32") for _ in m["outputs"]]
    nv = case.get("n_val", 7)
    xv = [rng.normal(size=xshape(nv)).astype("float32") for _ in range(m["n_inputs"])]
    yv = targets(nv)
    leadv = (nv, T) if (T and case.get("sw_temporal")) else (nv,)
    swv = [rng.uniform(0.1, 2.0, size=leadv).astype("float32") for _ in m["outputs"]]
    return dict(x=xs, y=ys, sw=sw, xv=xv, yv=yv, swv=swv)


def build_model(K, case):
    m = case["model"]
    T = m.get("timesteps")
    shape = (T, m["in_dim"]) if T else (m["in_dim"],)
    reg = m.get("kernel_regularizer")
    if m["kind"] == "seq":
        o = m["outputs"][0]
        layers = [K.Input(shape)]
        for h, a in m["hidden"]:
            layers.append(K.layers.Dense(h, activation=a, kernel_regularizer=reg))
        layers.append(K.layers.Dense(o["units"], activation=o["activation"],
                                     kernel_regularizer=reg))
        return K.Sequential(layers)
    inputs = [K.Input(shape, name=f"in{i}") for i in range(m["n_inputs"])]
    x = inputs[0] if len(inputs) == 1 else K.layers.Concatenate()(inputs)
    for h, a in m["hidden"]:
        x = K.layers.Dense(h, activation=a, kernel_regularizer=reg)(x)
    outs = [K.layers.Dense(o["units"], activation=o["activation"], name=o["name"],
                           kernel_regularizer=reg)(x)
            for o in m["outputs"]]
    if m["out_struct"] == "single":
        outputs = outs[0]
    elif m["out_struct"] == "list":
        outputs = outs
    else:
        outputs = {o["name"]: t for o, t in zip(m["outputs"], outs)}
    if m["in_struct"] == "dict":
        ins = {f"in{i}": t for i, t in enumerate(inputs)}
    elif m["in_struct"] == "list":
        ins = inputs
    else:
        ins = inputs[0]
    return K.Model(ins, outputs)


def make_object(K, spec, module):
    """The loss / metric objects of a compile spec: str | {"fn": name} | {"cls": name,
    "kw": {...}}, or a list / dict of specs, with None kept."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [make_object(K, s, module) for s in spec]
    if "fn" in spec:
        return getattr(getattr(K, module), spec["fn"])
    if "cls" in spec:
        return getattr(getattr(K, module), spec["cls"])(**spec.get("kw", {}))
    return {k: make_object(K, v, module) for k, v in spec.items()}


def _make_optimizer(K, spec):
    kw = dict(spec.get("kw", {}))
    if "schedule" in spec:
        s = spec["schedule"]
        kw["learning_rate"] = getattr(K.optimizers.schedules, s["cls"])(**s["kw"])
    opt = getattr(K.optimizers, spec["cls"])(**kw)
    if spec.get("loss_scale"):
        opt = K.optimizers.LossScaleOptimizer(opt, **spec["loss_scale"])
    return opt


def _make_callbacks(K, specs):
    out = []
    for s in specs:
        kw = dict(s.get("kw", {}))
        if s["cls"] == "LearningRateScheduler":
            kw["schedule"] = {"halving": _lr_halving, "table": _lr_table}[kw["schedule"]]
        out.append(getattr(K.callbacks, s["cls"])(**kw))
    return out


def _packers(case):
    """Put per-output / per-input arrays in the model's structure."""
    m = case["model"]
    def xs(a):
        if m["kind"] == "seq" or m["in_struct"] == "single":
            return a[0]
        if m["in_struct"] == "dict":
            return {f"in{i}": v for i, v in enumerate(a)}
        return list(a)
    def ys(a, struct=None):
        struct = struct or m.get("out_struct", "single")
        if m["kind"] == "seq" or struct == "single":
            return a[0]
        if struct == "dict":
            return {o["name"]: v for o, v in zip(m["outputs"], a)}
        return list(a)
    return xs, ys


def plain_values(v):
    if isinstance(v, dict):
        return {"__dict__": [[k, plain_values(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return [plain_values(x) for x in v]
    if v is None or isinstance(v, (str, bool)):
        return v
    try:
        a = np.asarray(v)
    except Exception:
        return repr(v)
    if a.dtype == object:
        return repr(v)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def run_recipe(K, case, init_weights=None):
    """Run a recipe; returns (initial weights, results dict)."""
    data = recipe_data(case)
    res = {}
    if hasattr(K.utils, "set_random_seed"):
        K.utils.set_random_seed(case["seed"])
    model = build_model(K, case)
    if init_weights is not None:
        model.set_weights(init_weights)
    w0 = [np.asarray(w) for w in model.get_weights()]
    c = case["compile"]
    xs, ys = _packers(case)
    sw_struct = case.get("sw_struct", "single")
    kwc = dict(optimizer=_make_optimizer(K, c["optimizer"]),
               loss=make_object(K, c["loss"], "losses"))
    for k in ("loss_weights", "steps_per_execution"):
        if k in c:
            kwc[k] = c[k]
    if "metrics" in c:
        kwc["metrics"] = make_object(K, c["metrics"], "metrics")
    if "weighted_metrics" in c:
        kwc["weighted_metrics"] = make_object(K, c["weighted_metrics"], "metrics")
    model.compile(**kwc)
    f = case["fit"]
    x, y = xs(data["x"]), ys(data["y"])
    def sws(a):
        if sw_struct == "single":
            return a[0]
        return ys(a, sw_struct)
    fkw = dict(epochs=f["epochs"], batch_size=f["batch_size"], shuffle=False, verbose=0)
    if f.get("sample_weight"):
        fkw["sample_weight"] = sws(data["sw"])
    for k in ("class_weight", "validation_split", "steps_per_epoch", "initial_epoch",
              "validation_freq", "validation_batch_size"):
        if k in f:
            fkw[k] = {int(a): b for a, b in f[k].items()} if k == "class_weight" else f[k]
    if f.get("validation_data"):
        vd = (xs(data["xv"]), ys(data["yv"]))
        if f["validation_data"] == "weighted":
            vd = vd + (sws(data["swv"]),)
        fkw["validation_data"] = vd
    fkw["callbacks"] = _make_callbacks(K, f.get("callbacks", []))
    try:
        h = model.fit(x, y, **fkw)
        res["history"] = plain_values(h.history)
        res["epochs"] = list(h.epoch)
    except Exception as e:
        res["fit_error"] = type(e).__name__ + ": " + str(e)[:300]
    res["weights"] = plain_values(model.get_weights())
    ops = case.get("ops", {})
    def attempt(name, fn):
        try:
            res[name] = plain_values(fn())
        except Exception as e:
            res[name + "_error"] = type(e).__name__ + ": " + str(e)[:300]
    ekw = {}
    if ops.get("eval_sw"):
        ekw["sample_weight"] = sws(data["sw"])
    if "eval_steps" in ops:
        ekw["steps"] = ops["eval_steps"]
    attempt("evaluate", lambda: model.evaluate(x, y, batch_size=ops.get("eval_bs", 8), verbose=0,
                                               return_dict=ops.get("return_dict", False), **ekw))
    attempt("predict", lambda: model.predict(x, batch_size=5, verbose=0,
                                             steps=ops.get("predict_steps")))
    n = ops.get("tob_rows", 6)
    def first(a):
        if isinstance(a, dict):
            return {k: v[:n] for k, v in a.items()}
        if isinstance(a, list):
            return [v[:n] for v in a]
        return a[:n]
    tkw = {}
    if ops.get("tob_sw"):
        tkw["sample_weight"] = first(sws(data["sw"]))
    attempt("test_on_batch", lambda: model.test_on_batch(
        first(x), first(y), return_dict=ops.get("tob_dict", False), **tkw))
    attempt("train_on_batch", lambda: model.train_on_batch(
        first(x), first(y), return_dict=ops.get("tob_dict", False), **tkw))
    res["weights_after_tob"] = plain_values(model.get_weights())
    attempt("metrics_names", lambda: list(model.metrics_names))
    return w0, res


def flatten_results(value, path="r"):
    """(skeleton, arrays): the arrays of `plain_values` output replaced by their paths."""
    arrays = {}

    def walk(v, p):
        if isinstance(v, dict) and "__dict__" not in v:
            return {k: walk(x, f"{p}.{k}") for k, x in v.items()}
        if isinstance(v, dict):
            return {"__dict__": [[k, walk(x, f"{p}.{k}")] for k, x in v["__dict__"]]}
        if isinstance(v, list):
            return [walk(x, f"{p}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, np.ndarray):
            arrays[p] = v
            return {"array": p}
        return v

    return walk(value, path), arrays


def assert_same_results(expected, got, expected_arrays, got_arrays, path="r"):
    """Asserts that `flatten_results` skeletons and arrays agree: the same keys in the same
    order, equal plain values, arrays close (rtol 1e-4, atol 1e-5)."""
    if isinstance(expected, dict) and "array" in expected:
        assert isinstance(got, dict) and "array" in got, f"{path}: got {got!r}"
        want, have = expected_arrays[expected["array"]], got_arrays[got["array"]]
        assert want.shape == have.shape, f"{path}: shape {have.shape}, Keras {want.shape}"
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-5, err_msg=path)
    elif isinstance(expected, dict) and "__dict__" not in expected:
        assert sorted(got) == sorted(expected), f"{path}: {sorted(got)}, Keras {sorted(expected)}"
        for key in expected:
            assert_same_results(expected[key], got[key], expected_arrays, got_arrays,
                                f"{path}.{key}")
    elif isinstance(expected, dict):
        keys = [k for k, _ in expected["__dict__"]]
        assert isinstance(got, dict) and [k for k, _ in got["__dict__"]] == keys, (
            f"{path}: keys {got!r}, Keras {keys}")
        for (key, e), (_, g) in zip(expected["__dict__"], got["__dict__"]):
            assert_same_results(e, g, expected_arrays, got_arrays, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{path}: {got!r}"
        for i, (e, g) in enumerate(zip(expected, got)):
            assert_same_results(e, g, expected_arrays, got_arrays, f"{path}[{i}]")
    else:
        assert got == expected, f"{path}: {got!r}, Keras {expected!r}"


def replay_case(K, case, run):
    """Runs a golden case's recipe with `run` (a `run_recipe`) in ``K`` from the case's
    initial weights and asserts the results equal the recorded ones."""
    arrays = case["arrays"]
    weights = [arrays[f"w0_{i}"] for i in range(case["n_weights"])]
    K.backend.clear_session()
    _, results = run(K, case["config"], weights)
    skeleton, got_arrays = flatten_results(results)
    assert_same_results(case["skeleton"], skeleton, arrays, got_arrays)
