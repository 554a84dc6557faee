"""Random optimizer setups for either library (imports neither: the module is passed as `K`).

`draw_case(seed, kind)` makes a plain-JSON case: an optimizer class with random arguments (its
own, the shared ones: weight decay and its exclusions, clipping, EMA, gradient accumulation,
loss scale factor) and a learning rate given as a float, a schedule of `optimizers.schedules`
or a callable, possibly set to another between steps; and what is done with it (`kind`):
`apply_gradients` on raw variables, `fit` of a small model (with a `.keras` round trip and
training resumed from the loaded file), the same fit through a `LossScaleOptimizer` whose
scale overflows the gradients (`loss_scale`; Keras cannot apply one eagerly on JAX), or the
`optimizers.get` / `serialize` / `deserialize` paths (`get`). `case_data(case)` makes its
inputs (initial values, gradients, training data) and `run_case(K, case, data)` returns
Keras-neutral results (`training_recipe.plain_values` form) for
`training_recipe.flatten_results`; `pack_results` / `unpack_results` store those compactly."""

import copy
import json
import os
import tempfile

import numpy as np

try:
    from tests.golden.training_recipe import plain_values
except ImportError:  # run from tests/golden by a family generator
    from training_recipe import plain_values

VARIABLES = [("kernel", (4, 3)), ("bias", (3,)), ("conv_kernel", (2, 3, 2)), ("gamma", (1,))]

CLASSES = ["SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Nadam", "Adagrad", "Adadelta",
           "Adafactor", "Ftrl", "Lion", "Lamb"]

# per class: argument -> choices (each argument drawn with probability 1/2)
OWN_ARGS = {
    "SGD": {"momentum": [0.0, 0.5, 0.9], "nesterov": [True, False]},
    "RMSprop": {"rho": [0.5, 0.9, 0.95], "momentum": [0.0, 0.5, 0.9], "epsilon": [1e-7, 1e-3],
                "centered": [True, False]},
    "Adam": {"beta_1": [0.5, 0.8, 0.9], "beta_2": [0.9, 0.99, 0.999], "epsilon": [1e-7, 1e-3],
             "amsgrad": [True, False]},
    "AdamW": {"weight_decay": [0.0, 0.05, 0.2], "beta_1": [0.5, 0.9], "beta_2": [0.9, 0.999],
              "epsilon": [1e-7, 1e-3], "amsgrad": [True, False]},
    "Adamax": {"beta_1": [0.5, 0.9], "beta_2": [0.9, 0.999], "epsilon": [1e-7, 1e-3]},
    "Nadam": {"beta_1": [0.5, 0.9], "beta_2": [0.9, 0.999], "epsilon": [1e-7, 1e-3]},
    "Adagrad": {"initial_accumulator_value": [0.0, 0.1, 1.0], "epsilon": [1e-7, 1e-3]},
    "Adadelta": {"rho": [0.5, 0.95], "epsilon": [1e-7, 1e-3]},
    "Adafactor": {"beta_2_decay": [-0.8, -0.5], "epsilon_1": [1e-30, 1e-6],
                  "epsilon_2": [1e-3, 1e-2], "clip_threshold": [0.5, 1.0, 2.0],
                  "relative_step": [True, False]},
    "Ftrl": {"learning_rate_power": [-0.5, -0.1, 0.0], "initial_accumulator_value": [0.1, 0.5],
             "l1_regularization_strength": [0.0, 0.01, 0.1],
             "l2_regularization_strength": [0.0, 0.01, 0.1],
             "l2_shrinkage_regularization_strength": [0.0, 0.05], "beta": [0.0, 0.5]},
    "Lion": {"beta_1": [0.5, 0.9], "beta_2": [0.9, 0.99]},
    "Lamb": {"beta_1": [0.5, 0.9], "beta_2": [0.9, 0.999], "epsilon": [1e-6, 1e-3]},
}

SCHEDULES = {
    "ExponentialDecay": lambda r: {
        "initial_learning_rate": _pick(r, [0.05, 0.1]), "decay_steps": _pick(r, [1, 2, 3]),
        "decay_rate": _pick(r, [0.5, 0.9, 1.5]), "staircase": _pick(r, [True, False])},
    "InverseTimeDecay": lambda r: {
        "initial_learning_rate": _pick(r, [0.05, 0.1]), "decay_steps": _pick(r, [1, 2, 3]),
        "decay_rate": _pick(r, [0.5, 2.0]), "staircase": _pick(r, [True, False])},
    "PolynomialDecay": lambda r: {
        "initial_learning_rate": _pick(r, [0.05, 0.1]), "decay_steps": _pick(r, [2, 3, 5]),
        "end_learning_rate": _pick(r, [0.0, 0.01]), "power": _pick(r, [0.5, 1.0, 2.0]),
        "cycle": _pick(r, [True, False])},
    "PiecewiseConstantDecay": lambda r: {
        "boundaries": _pick(r, [[1, 3], [2], [0, 2, 4]]), "values": None},
    "CosineDecay": lambda r: {
        "initial_learning_rate": _pick(r, [0.0, 0.05, 0.1]), "decay_steps": _pick(r, [2, 4, 6]),
        "alpha": _pick(r, [0.0, 0.1]), "warmup_target": _pick(r, [None, 0.1]),
        "warmup_steps": _pick(r, [0, 2, 3])},
    "CosineDecayRestarts": lambda r: {
        "initial_learning_rate": _pick(r, [0.05, 0.1]), "first_decay_steps": _pick(r, [1, 2, 3]),
        "t_mul": _pick(r, [1.0, 2.0]), "m_mul": _pick(r, [0.5, 1.0]), "alpha": _pick(r, [0.0, 0.2])},
}

# zero-argument learning-rate callables, by name (both libraries call them before each step)
CALLABLES = {"constant_005": lambda: 0.05, "constant_002": lambda: 0.02}

GET_NAMES = ["sgd", "rmsprop", "adam", "adamw", "adamax", "nadam", "adagrad", "adadelta",
             "adafactor", "ftrl", "lion", "lamb", "SGD", "Adam", "RMSprop", "Lion"]


def _pick(r, choices):
    return choices[int(r.integers(len(choices)))]


def _is_callable(lr_spec):
    return isinstance(lr_spec, dict) and "callable" in lr_spec


def _learning_rate(r):
    u = r.uniform()
    if u < 0.45:
        return _pick(r, [0.01, 0.05, 0.1, 0.3])
    if u < 0.9:
        name = _pick(r, sorted(SCHEDULES))
        args = SCHEDULES[name](r)
        if name == "PiecewiseConstantDecay":
            args["values"] = [round(0.1 / (k + 1), 4) for k in range(len(args["boundaries"]) + 1)]
        if name == "CosineDecay" and args["warmup_target"] is None:
            args.pop("warmup_target")
        return {"schedule": name, "args": args}
    return {"callable": _pick(r, sorted(CALLABLES))}


def draw_optimizer(r, cls=None):
    """A random optimizer spec {"class", "args", "learning_rate"}."""
    cls = cls or _pick(r, CLASSES)
    args = {k: _pick(r, v) for k, v in OWN_ARGS[cls].items() if r.uniform() < 0.5}
    if cls == "Adafactor" and args.get("relative_step", True) and r.uniform() < 0.5:
        args["relative_step"] = False  # otherwise the step is capped by 1/sqrt(t) only
    if r.uniform() < 0.35 and cls != "AdamW":
        args["weight_decay"] = _pick(r, [0.01, 0.1, 0.5])
    clip = r.uniform()
    if clip < 0.15:
        args["clipnorm"] = _pick(r, [0.1, 0.5, 1.0])
    elif clip < 0.3:
        args["clipvalue"] = _pick(r, [0.05, 0.3, 1.0])
    elif clip < 0.45:
        args["global_clipnorm"] = _pick(r, [0.2, 1.0, 3.0])
    if r.uniform() < 0.3:
        args["use_ema"] = True
        args["ema_momentum"] = _pick(r, [0.0, 0.5, 0.9, 0.99])
        args["ema_overwrite_frequency"] = _pick(r, [None, 1, 2, 3])
    if r.uniform() < 0.25:
        args["gradient_accumulation_steps"] = _pick(r, [2, 3])
    if r.uniform() < 0.2:
        args["loss_scale_factor"] = _pick(r, [0.5, 4.0, 128.0])
    return {"class": cls, "args": args, "learning_rate": _learning_rate(r)}


def draw_case(seed, kind=None):
    """A random case (plain JSON) from `seed`."""
    r = np.random.default_rng(seed)
    kind = kind or _pick(r, ["apply", "apply", "apply", "fit", "fit", "loss_scale", "get"])
    case = {"kind": kind, "seed": seed}
    if kind == "get":
        case["names"] = [str(n) for n in r.choice(GET_NAMES, size=4, replace=False)]
        case["optimizers"] = [draw_optimizer(r) for _ in range(3)]
        for spec in case["optimizers"]:
            if _is_callable(spec["learning_rate"]):
                spec["learning_rate"] = 0.02
        return case
    if kind == "loss_scale":
        # (not Nadam: Keras's LossScaleOptimizer loses Nadam's product variable)
        inner = draw_optimizer(r, _pick(r, [c for c in CLASSES if c != "Nadam"]))
        case["optimizer"] = inner
        # near float32's largest power of two: gradients over 2 (or 16) overflow, the step is
        # skipped and the scale halves; `dynamic_growth_steps` good steps double it again
        case["loss_scale"] = {"initial_scale": _pick(r, [2.0 ** 127, 2.0 ** 124, 2.0 ** 15]),
                              "dynamic_growth_steps": _pick(r, [1, 2, 3])}
        case["y_scale"] = _pick(r, [1.0, 4.0])
        case["epochs"] = 2
        case["batch_size"] = 4
        case["n_samples"] = _pick(r, [8, 12])
        case["save"] = _is_callable(inner["learning_rate"]) is False
        return case
    spec = draw_optimizer(r)
    case["optimizer"] = spec
    wd = spec["args"].get("weight_decay") or spec["class"] == "AdamW"
    if wd and r.uniform() < 0.6:
        case["exclude"] = _pick(r, [{"var_names": ["bias"]}, {"var_names": ["kernel"]},
                                    {"var_index": [0, 3]}, {"var_names": ["gam"],
                                                            "var_index": [1]}])
    if not isinstance(spec["learning_rate"], dict) and r.uniform() < 0.4:
        case["lr_assign"] = {str(int(r.integers(1, 4))): _pick(r, [0.001, 0.02, 0.2])}
    if kind == "apply":
        case["n_steps"] = int(r.integers(4, 8))
        case["finalize"] = bool(spec["args"].get("use_ema"))
    else:
        case["epochs"] = int(r.integers(2, 4))
        case["batch_size"] = _pick(r, [4, 8])
        case["n_samples"] = _pick(r, [8, 12, 16])
        case["save"] = not _is_callable(spec["learning_rate"])
    if r.uniform() < 0.2:  # a schedule, a callable or a number set in place of the rate
        value = _learning_rate(r)
        if isinstance(value, dict) and kind != "apply":
            # Keras 3.15.1's compiled `fit` step keeps the schedule it was traced with
            value = 0.03
        case.setdefault("lr_assign", {})[str(int(r.integers(1, 4)))] = value
    return case


def case_data(case):
    """The case's input arrays (float32) by name, made from its seed."""
    r = np.random.default_rng(1000 + case["seed"])
    f32 = np.float32
    data = {}
    if case["kind"] == "apply":
        for i, (_, shape) in enumerate(VARIABLES):
            data[f"init{i}"] = r.normal(0, 1, shape).astype(f32)
            grads = r.normal(0, 1, (case["n_steps"],) + shape).astype(f32)
            data[f"grad{i}"] = grads
    elif case["kind"] in ("fit", "loss_scale"):
        n = case["n_samples"]
        data["x"] = r.normal(0, 1, (n, 4)).astype(f32)
        data["y"] = (r.normal(0, 1, (n, 2)) * case.get("y_scale", 1.0)).astype(f32)
        for i, shape in enumerate([(4, 3), (3,), (3, 2), (2,)]):
            data[f"w{i}"] = r.normal(0, 0.5, shape).astype(f32)
    return data


# -- building --------------------------------------------------------------------------------
def make_learning_rate(K, spec):
    if isinstance(spec, dict) and "schedule" in spec:
        return getattr(K.optimizers.schedules, spec["schedule"])(**spec["args"])
    if isinstance(spec, dict):
        return CALLABLES[spec["callable"]]
    return spec


def make_optimizer(K, spec):
    return getattr(K.optimizers, spec["class"])(
        learning_rate=make_learning_rate(K, spec["learning_rate"]), **spec["args"])


def _np(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def _lr(K, opt):
    return float(_np(K, opt.learning_rate))


def _variables(K, opt):
    """Names, paths, shapes and values of `opt.variables` in order."""
    return {"names": [v.name for v in opt.variables], "paths": [v.path for v in opt.variables],
            "shapes": [list(v.shape) for v in opt.variables],
            "dtypes": [str(v.dtype) for v in opt.variables],
            "values": [_np(K, v) for v in opt.variables]}


def _config(config):
    """A config with a callable learning rate reduced to its kind (each library serializes
    functions its own way)."""
    config = dict(config)
    lr = config.get("learning_rate")
    if isinstance(lr, dict) and lr.get("class_name") in ("function", "__lambda__"):
        config["learning_rate"] = "function"
    return config


def _attempt(results, key, fn):
    try:
        results[key] = fn()
    except Exception as e:  # recorded: a refusal is part of the behaviour compared
        results[key + "_error"] = type(e).__name__


def _round_trips(K, opt, results):
    config = opt.get_config()
    results["config"] = _config(config)
    results["serialized_class"] = K.optimizers.serialize(opt)["class_name"]
    # whether the round trips give the same config back (copies: Keras's `from_config` /
    # `deserialize` change the dict they are given)
    _attempt(results, "from_config_same",
             lambda: _config(type(opt).from_config(copy.deepcopy(config)).get_config())
             == results["config"])
    _attempt(results, "deserialized_same",
             lambda: _config(K.optimizers.deserialize(K.optimizers.serialize(opt)).get_config())
             == results["config"])


def _exclude(opt, case, variables):
    exclude = case.get("exclude")
    if exclude:
        var_list = [variables[i] for i in exclude.get("var_index", [])] or None
        opt.exclude_from_weight_decay(var_list=var_list, var_names=exclude.get("var_names"))


def _assign_lr(K, opt, case, step):
    """Sets the learning rate where the case says; returns the error's class name (a number
    in place of a schedule is refused) or None."""
    value = case.get("lr_assign", {}).get(str(step))
    if value is not None:
        try:
            opt.learning_rate = make_learning_rate(K, value)
        except Exception as e:
            return type(e).__name__
    return None


def run_apply(K, case, data):
    variables = [K.Variable(data[f"init{i}"], name=name) for i, (name, _) in enumerate(VARIABLES)]
    opt = make_optimizer(K, case["optimizer"])
    _exclude(opt, case, variables)
    steps = []
    for step in range(case["n_steps"]):
        refused = _assign_lr(K, opt, case, step)
        lr_before = _lr(K, opt)
        opt.apply_gradients([(data[f"grad{i}"][step], v) for i, v in enumerate(variables)])
        steps.append({"lr_before": lr_before, "lr_after": _lr(K, opt),
                      "iterations": int(_np(K, opt.iterations)),
                      "weights": [_np(K, v) for v in variables]})
        if refused:
            steps[-1]["assign_error"] = refused
    results = {"steps": steps, "variables": _variables(K, opt)}
    if case.get("finalize"):
        opt.finalize_variable_values(variables)
        results["finalized"] = [_np(K, v) for v in variables]
    _round_trips(K, opt, results)
    return results


def _model(K, data):
    model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="tanh", name="hidden"),
                          K.layers.Dense(2, name="out")], name="net")
    model.set_weights([data[f"w{i}"] for i in range(4)])
    return model


def _recorder(K, case):
    """A callback reading the learning rate, step count (and loss scale) before and after
    each batch through `self.model` (which syncs Keras's JAX state), and setting the learning
    rate where the case says (by global batch index)."""

    class Recorder(K.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen, self.batch = [], 0

        def on_train_batch_begin(self, batch, logs=None):
            self.refused = _assign_lr(K, self.model.optimizer, case, self.batch)
            self.before = _lr(K, self.model.optimizer)

        def on_train_batch_end(self, batch, logs=None):
            opt = self.model.optimizer
            row = [self.before, _lr(K, opt), int(_np(K, opt.iterations))]
            if hasattr(opt, "dynamic_scale"):
                row += [float(_np(K, opt.dynamic_scale)),
                        int(_np(K, opt.inner_optimizer.iterations))]
            if self.refused:
                row.append(self.refused)
            self.seen.append(row)
            self.batch += 1

    return Recorder()


def run_fit(K, case, data, resume_path=None, save_path=None):
    """fit from the case's weights, save to `save_path` (default: a temporary folder), load
    and train on; with `resume_path`, only load that `.keras` file (saved by either library
    after this fit) and train on."""
    if resume_path is not None:
        return {"resumed": _resume(K, case, data, resume_path)}
    x, y = data["x"], data["y"]
    K.utils.set_random_seed(case["seed"])
    model = _model(K, data)
    opt = make_optimizer(K, case["optimizer"])
    _exclude(opt, case, model.trainable_variables)
    if "loss_scale" in case:
        opt = K.optimizers.LossScaleOptimizer(opt, **case["loss_scale"])
    model.compile(optimizer=opt, loss="mse")
    rec = _recorder(K, case)
    history = model.fit(x, y, batch_size=case["batch_size"], epochs=case["epochs"],
                        shuffle=False, verbose=0, callbacks=[rec])
    results = {"loss": history.history["loss"], "batches": rec.seen,
               "weights": model.get_weights(), "variables": _variables(K, opt),
               "learning_rate": _lr(K, opt), "iterations": int(_np(K, opt.iterations))}
    _round_trips(K, opt, results)
    if not case.get("save"):
        return results
    with tempfile.TemporaryDirectory() as folder:
        path = save_path or os.path.join(folder, "model.keras")
        _attempt(results, "saved", lambda: bool(model.save(path)) or True)
        if "saved_error" not in results:
            results["resumed"] = _resume(K, case, data, path)
    return results


def _resume(K, case, data, path):
    x, y, bs = data["x"], data["y"], case["batch_size"]
    model = K.models.load_model(path)
    opt = model.optimizer
    out = {"variables": _variables(K, opt), "learning_rate": _lr(K, opt),
           "iterations": int(_np(K, opt.iterations)), "weights": model.get_weights()}
    history = model.fit(x, y, batch_size=bs, epochs=1, shuffle=False, verbose=0)
    out["loss"] = history.history["loss"]
    out["weights_after"] = model.get_weights()
    out["variables_after"] = [_np(K, v) for v in opt.variables]
    out["iterations_after"] = int(_np(K, opt.iterations))
    return out


def run_get(K, case):
    results = {}
    for name in case["names"]:
        _attempt(results, f"get_{name}",
                 lambda n=name: [type(K.optimizers.get(n)).__name__,
                                 K.optimizers.get(n).get_config()])
    for k, spec in enumerate(case["optimizers"]):
        opt = make_optimizer(K, spec)
        ser = K.optimizers.serialize(opt)
        results[f"serialized_{k}"] = copy.deepcopy(ser)
        _attempt(results, f"get_dict_{k}",
                 lambda s=ser: K.optimizers.get(copy.deepcopy(s)).get_config())
        _attempt(results, f"get_short_{k}",
                 lambda s=ser: K.optimizers.get({"class_name": s["class_name"],
                                                 "config": copy.deepcopy(s["config"])}
                                                ).get_config())
    return results


def run_case(K, case, data, resume_path=None, save_path=None):
    """Keras-neutral results of the case in library `K` (see the module docstring)."""
    K.backend.clear_session()
    if case["kind"] == "apply":
        return plain_values(run_apply(K, case, data))
    if case["kind"] in ("fit", "loss_scale"):
        return plain_values(run_fit(K, case, data, resume_path, save_path))
    return plain_values(run_get(K, case))


def pack_results(skeleton, arrays):
    """`flatten_results` output made compact for golden files: 0-d arrays written into the
    skeleton as `{"i": int}` / `{"f": float}`, the others as `{"at": [offset, shape]}` into
    one flat float32 array (returned); `unpack_results` undoes it."""
    flat = []

    def walk(v):
        if isinstance(v, dict) and "array" in v:
            a = np.asarray(arrays[v["array"]])
            if a.ndim == 0:
                return {"i": int(a)} if a.dtype.kind in "iub" else {"f": float(a)}
            start = sum(x.size for x in flat)
            flat.append(a.astype(np.float32).ravel())
            return {"at": [start, list(a.shape)]}
        if isinstance(v, dict) and "__dict__" in v:
            return {"__dict__": [[k, walk(x)] for k, x in v["__dict__"]]}
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    skeleton = walk(skeleton)
    return skeleton, (np.concatenate(flat) if flat else np.zeros(0, np.float32))


def unpack_results(skeleton, packed):
    """(skeleton, arrays) in `flatten_results` form from `pack_results` output (the skeleton
    may be given as its JSON text, a string or its UTF-8 bytes in a uint8 array)."""
    arrays = {}
    if not isinstance(skeleton, (dict, list)):  # its JSON text, as a string or uint8 array
        skeleton = json.loads(skeleton if isinstance(skeleton, str)
                              else bytes(np.asarray(skeleton, np.uint8)).decode())

    def walk(v):
        if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("i", "f", "at"):
            key = f"packed{len(arrays)}"
            if "at" not in v:
                arrays[key] = np.asarray(v.get("i", v.get("f")), "int64" if "i" in v
                                         else "float64")
            else:
                start, shape = v["at"]
                arrays[key] = packed[start:start + int(np.prod(shape))].reshape(shape)
            return {"array": key}
        if isinstance(v, dict) and "__dict__" in v:
            return {"__dict__": [[k, walk(x)] for k, x in v["__dict__"]]}
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(skeleton), arrays
