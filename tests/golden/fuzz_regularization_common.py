"""Random regularization recipes: regularizers, constraints, initializers, noise layers.

A recipe is plain JSON drawn by `draw_recipe(seed)`; `run_recipe(K, recipe, weights)` runs it
in ``K`` = ``keras`` or ``kerasx`` (this module imports neither) and returns
``(initial weights, results)`` with the results as `training_recipe.plain_values` gives them.
Kinds:

- ``model``: one layer with weight / activity regularizers and constraints in a small
  functional model (optionally `ActivityRegularization`, a layer or model using `add_loss`):
  `model.losses` after inference and training calls, the configs of the regularizers and
  constraints, two `train_on_batch` steps, `evaluate`, one epoch of `fit`, weights after each.
- ``regularizer`` / ``constraint``: one applied to a fixed array; configs and round trips.
- ``initializer``: deterministic ones by value; random ones by config, shape, dtype, seed
  semantics and whether their statistics match the documented distribution (computed here,
  from the shape's fans), so the booleans are compared and not the random draws.
- ``noise``: a dropout / noise layer: identity at inference, training statistics checked
  against the layer's documented distribution, which axes share a mask, masks passed on.
"""

import math
import random

import numpy as np

try:
    from tests.golden.fuzz_models_common import custom_classes as model_classes
    from tests.golden.training_recipe import plain_values
except ImportError:  # run from tests/golden by the family generator
    from fuzz_models_common import custom_classes as model_classes
    from training_recipe import plain_values

KINDS = ["model"] * 8 + ["regularizer", "constraint"] * 2 + ["initializer"] * 3 + ["noise"] * 3


# -- specs of regularizers and constraints ------------------------------------------------
def _draw_regularizer(r, rank):
    names = ["L1", "L2", "L1L2"] + (["OrthogonalRegularizer"] if rank == 2 else [])
    cls = r.choice(names)
    form = r.choice(["obj", "obj", "dict", "str"])
    if form == "str":
        strings = {"L1": ["l1", "L1"], "L2": ["l2"], "L1L2": ["l1l2", "L1L2"],
                   "OrthogonalRegularizer": ["orthogonal_regularizer"]}
        return {"form": "str", "name": r.choice(strings[cls])}
    factor = lambda: round(r.choice([0.001, 0.01, 0.03, 0.1, 0.5]), 4)
    kw = {"L1": lambda: {"l1": factor()}, "L2": lambda: {"l2": factor()},
          "L1L2": lambda: r.choice([{"l1": factor(), "l2": factor()}, {"l1": factor()},
                                    {"l2": factor()}, {}]),
          "OrthogonalRegularizer": lambda: {"factor": factor(),
                                            "mode": r.choice(["rows", "columns"])}}[cls]()
    return {"form": form, "cls": cls, "kw": kw}


def _draw_axis(r, rank):
    choice = r.choice(["default", "int", "neg", "list"])
    if choice == "default":
        return None
    if choice == "int":
        return r.randrange(rank)
    if choice == "neg":
        return -r.randrange(1, rank + 1)
    return sorted(r.sample(range(rank), r.randint(1, rank)))


def _draw_constraint(r, rank):
    cls = r.choice(["MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"])
    if r.random() < 0.15:
        return {"form": "str", "name": {"MaxNorm": "max_norm", "MinMaxNorm": "min_max_norm",
                                        "NonNeg": "non_neg", "UnitNorm": "unit_norm"}[cls]}
    kw = {}
    if cls == "MaxNorm":
        kw["max_value"] = r.choice([0.3, 0.5, 1.0, 2.0])
    elif cls == "MinMaxNorm":
        lo = r.choice([0.0, 0.2, 0.5])
        kw.update(min_value=lo, max_value=lo + r.choice([0.1, 0.5, 1.0]),
                  rate=r.choice([1.0, 0.5, 0.0]))
    if cls != "NonNeg":
        axis = _draw_axis(r, rank)
        if axis is not None:
            kw["axis"] = axis
    return {"form": r.choice(["obj", "dict"]), "cls": cls, "kw": kw}


def make_regularizer(K, spec):
    if spec is None:
        return None
    if spec["form"] == "str":
        return K.regularizers.get(spec["name"])
    if spec["form"] == "dict":
        return K.regularizers.get({"class_name": spec["cls"], "config": spec["kw"]})
    return getattr(K.regularizers, spec["cls"])(**spec["kw"])


def make_constraint(K, spec):
    if spec is None:
        return None
    if spec["form"] == "str":
        return K.constraints.get(spec["name"])
    if spec["form"] == "dict":
        return K.constraints.get({"class_name": spec["cls"], "config": spec["kw"]})
    return getattr(K.constraints, spec["cls"])(**spec["kw"])


# -- layers with their regularizable weights -----------------------------------------------
def _draw_layer(r):
    """(layer class, kwargs, input shape, input kind, {slot: weight rank})."""
    name = r.choice(["Dense", "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D",
                     "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
                     "DepthwiseConv2D", "Conv2DTranspose", "LSTM", "GRU", "SimpleRNN",
                     "Embedding", "BatchNormalization", "LayerNormalization"])
    if name == "Dense":
        return name, {"units": r.choice([2, 3, 5])}, r.choice([(4,), (3, 4)]), "float", \
            {"kernel": 2, "bias": 1}
    if name == "EinsumDense":
        eq, shape, out, bias, ranks = r.choice([
            ("ab,bc->ac", (4,), [3], "c", (2, 1)),
            ("abc,cd->abd", (3, 4), [3, 2], "d", (2, 1)),
            ("abc,cde->abde", (3, 4), [3, 2, 2], "de", (3, 2))])
        return name, {"equation": eq, "output_shape": out, "bias_axes": bias}, shape, \
            "float", {"kernel": ranks[0], "bias": ranks[1]}
    if name in ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose"):
        n = 2 if name == "Conv2DTranspose" else int(name[4])
        shape = (5,) * n + (2,)
        return name, {"filters": r.choice([2, 3]), "kernel_size": 2,
                      "padding": r.choice(["valid", "same"])}, shape, "float", \
            {"kernel": n + 2, "bias": 1}
    if name.startswith("SeparableConv"):
        n = int(name[-2])
        return name, {"filters": r.choice([2, 3]), "kernel_size": 2,
                      "depth_multiplier": r.choice([1, 2])}, (5,) * n + (2,), "float", \
            {"depthwise": n + 2, "pointwise": n + 2, "bias": 1}
    if name.startswith("DepthwiseConv"):
        n = int(name[-2])
        return name, {"kernel_size": 2, "depth_multiplier": r.choice([1, 2])}, \
            (5,) * n + (2,), "float", {"depthwise": n + 2, "bias": 1}
    if name in ("LSTM", "GRU", "SimpleRNN"):
        return name, {"units": r.choice([2, 3]),
                      "return_sequences": r.random() < 0.3}, (4, 3), "float", \
            {"kernel": 2, "recurrent": 2, "bias": 2 if name == "GRU" else 1}
    if name == "Embedding":
        return name, {"input_dim": 7, "output_dim": r.choice([2, 3])}, (4,), "int", \
            {"embeddings": 2}
    return name, {}, r.choice([(4,), (3, 4)]), "float", {"beta": 1, "gamma": 1}


def _draw_model(r, seed):
    cls, kw, shape, in_kind, slots = _draw_layer(r)
    regs, cons = {}, {}
    for slot, rank in slots.items():
        if slot == "bias" and cls == "GRU":
            rank = 2  # GRU's bias is (2, 3 * units) with reset_after
        if r.random() < 0.6:
            regs[slot] = _draw_regularizer(r, rank)
        if r.random() < 0.4:
            cons[slot] = _draw_constraint(r, rank)
    if cls not in ("BatchNormalization", "LayerNormalization") and r.random() < 0.4:
        regs["activity"] = _draw_regularizer(r, 0)
    for slot, spec in regs.items():
        kw[f"{slot}_regularizer"] = spec
    for slot, spec in cons.items():
        kw[f"{slot}_constraint"] = spec
    extra = []
    if r.random() < 0.35:
        extra.append({"cls": "ActivityRegularization",
                      "kw": r.choice([{"l1": 0.01}, {"l2": 0.02}, {"l1": 0.005, "l2": 0.01},
                                      {}])})
    if r.random() < 0.25:
        extra.append({"cls": "PenaltyLayer", "kw": {"rate": r.choice([0.1, 0.5])}})
    opt = r.choice([{"cls": "SGD", "kw": {"learning_rate": r.choice([0.1, 0.5])}},
                    {"cls": "Adam", "kw": {"learning_rate": r.choice([0.01, 0.1])}}])
    return {"kind": "model", "seed": seed, "layer": {"cls": cls, "kw": kw},
            "input": {"shape": list(shape), "dtype": in_kind}, "extra": extra,
            "wrap": r.random() < 0.2, "optimizer": opt, "rows": 8}


_CUSTOM = {}


def custom_classes(K):
    """`PenaltyLayer` (a layer calling `add_loss`) and `PenaltyModel` (a subclassed model
    calling `add_loss` around an inner model), written against library ``K``."""
    if K.__name__ in _CUSTOM:
        return _CUSTOM[K.__name__]

    PenaltyLayer = model_classes(K)["PenaltyLayer"]

    class PenaltyModel(K.Model):
        """Calls ``inner`` and adds ``0.05 * mean(|y|)`` with `add_loss`."""

        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x, training=None):
            y = self.inner(x, training=training)
            self.add_loss(0.05 * K.ops.mean(K.ops.abs(y)))
            return y

    _CUSTOM[K.__name__] = {"PenaltyLayer": PenaltyLayer, "PenaltyModel": PenaltyModel}
    return _CUSTOM[K.__name__]


def _build_model(K, recipe):
    spec = recipe["layer"]
    kw = dict(spec["kw"])
    for key, value in spec["kw"].items():
        if key.endswith("_regularizer"):
            kw[key] = make_regularizer(K, value)
        elif key.endswith("_constraint"):
            kw[key] = make_constraint(K, value)
    layer = getattr(K.layers, spec["cls"])(name="probe", **kw)
    shape = tuple(recipe["input"]["shape"])
    inp = K.Input(shape, dtype="int32" if recipe["input"]["dtype"] == "int" else "float32")
    h = layer(inp)
    for e in recipe["extra"]:
        if e["cls"] == "PenaltyLayer":
            h = custom_classes(K)["PenaltyLayer"](**e["kw"])(h)
        else:
            h = getattr(K.layers, e["cls"])(**e["kw"])(h)
    if len(h.shape) > 2:
        h = K.layers.Flatten()(h)
    out = K.layers.Dense(2, name="head")(h)
    model = K.Model(inp, out)
    if recipe["wrap"]:
        model = custom_classes(K)["PenaltyModel"](model)
        model(np.zeros((1,) + shape, "int32" if recipe["input"]["dtype"] == "int" else "float32"))
    return model, layer


def _model_data(recipe):
    rng = np.random.default_rng(recipe["seed"])
    shape = (recipe["rows"],) + tuple(recipe["input"]["shape"])
    if recipe["input"]["dtype"] == "int":
        x = rng.integers(0, 7, size=shape).astype("int32")
    else:
        x = rng.normal(size=shape).astype("float32")
    y = rng.normal(size=(recipe["rows"], 2)).astype("float32")
    return x, y


def _losses(K, model):
    return [float(K.ops.convert_to_numpy(v)) for v in model.losses]


def _run_model(K, recipe, init_weights):
    res = {}
    if init_weights is None:  # the stored weights are drawn from the recipe's seed
        K.utils.set_random_seed(recipe["seed"])
    model, layer = _build_model(K, recipe)
    if init_weights is None:
        # no exact zeros: the slope of |w| at 0 is a backend convention (JAX takes 1,
        # the others 0), so zero biases under L1 would compare conventions
        rng = np.random.default_rng(recipe["seed"] + 1)
        init_weights = [np.where(w == 0, rng.normal(0, 0.1, w.shape), w).astype(w.dtype)
                        for w in model.get_weights()]
    model.set_weights(init_weights)
    w0 = [np.asarray(w) for w in model.get_weights()]
    x, y = _model_data(recipe)
    config = layer.get_config()
    res["configs"] = plain_values({k: config[k] for k in sorted(recipe["layer"]["kw"])
                                   if k.endswith(("_regularizer", "_constraint"))})
    res["n_losses_built"] = len(model.losses)
    model(x, training=False)
    res["losses_infer"] = _losses(K, model)
    model(x, training=True)
    res["losses_train"] = _losses(K, model)
    opt = recipe["optimizer"]
    model.compile(getattr(K.optimizers, opt["cls"])(**opt["kw"]), loss="mse")
    for step in (1, 2):
        res[f"tob{step}"] = float(model.train_on_batch(x, y))
        res[f"weights{step}"] = plain_values(model.get_weights())
    res["evaluate"] = float(model.evaluate(x, y, batch_size=8, verbose=0))
    h = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    res["fit_loss"] = plain_values(h.history["loss"])
    res["weights_fit"] = plain_values(model.get_weights())
    model(x, training=True)
    res["losses_after"] = _losses(K, model)
    return w0, res


# -- regularizers and constraints on a fixed array -----------------------------------------
def _draw_regularizer_case(r, seed):
    shape = r.choice([(4, 3), (3, 5), (6,), (2, 3, 4), (5, 5)])
    spec = _draw_regularizer(r, len(shape))
    return {"kind": "regularizer", "seed": seed, "shape": list(shape), "spec": spec,
            "scale": r.choice([0.1, 1.0, 3.0])}


def _draw_constraint_case(r, seed):
    shape = r.choice([(4, 3), (3, 5), (6,), (2, 3, 4), (2, 2, 3, 2)])
    return {"kind": "constraint", "seed": seed, "shape": list(shape),
            "spec": _draw_constraint(r, len(shape)), "scale": r.choice([0.1, 1.0, 3.0])}


def _fixed_array(recipe):
    rng = np.random.default_rng(recipe["seed"])
    return (rng.normal(size=recipe["shape"]) * recipe["scale"]).astype("float32")


def _attempt(res, name, fn):
    try:
        res[name] = plain_values(fn())
    except Exception as e:  # the error's class is compared, not its words
        res[name + "_error"] = type(e).__name__


def _run_regularizer(K, recipe):
    return _run_weight_function(K, recipe, make_regularizer(K, recipe["spec"]),
                                K.regularizers, deserialize=True)


def _run_constraint(K, recipe):
    return _run_weight_function(K, recipe, make_constraint(K, recipe["spec"]),
                                K.constraints, deserialize=False)


def _run_weight_function(K, recipe, fn, module, deserialize):
    """A regularizer's penalty or a constraint's projection of the recipe's fixed array,
    with its config, `from_config` and `serialize` (and `deserialize`) round trips."""
    res = {}
    w = _fixed_array(recipe)
    res["class"] = type(fn).__name__
    _attempt(res, "value", lambda: K.ops.convert_to_numpy(fn(K.ops.convert_to_tensor(w))))
    config = fn.get_config()
    res["config"] = plain_values(config)
    res["from_config"] = plain_values(type(fn).from_config(config).get_config())
    res["serialized"] = plain_values(module.serialize(fn))
    if deserialize:
        res["deserialized"] = plain_values(module.deserialize(module.serialize(fn)).get_config())
    return [], res


# -- initializers -------------------------------------------------------------------------
DETERMINISTIC = ["Zeros", "Ones", "Constant", "Identity", "STFT"]
RANDOM = ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
          "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
          "LecunUniform", "Orthogonal"]


def _draw_initializer(r, seed):
    if r.random() < 0.35:
        cls = r.choice(DETERMINISTIC)
        kw = {}
        if cls == "Constant":
            kw["value"] = r.choice([0.0, 1.5, -2.0, 3])
        if cls == "Identity":
            kw["gain"] = r.choice([1.0, 0.5, 2.0])
        if cls == "STFT":
            kw = {"side": r.choice(["real", "imag"]),
                  "window": r.choice(["hann", "hamming", None]),
                  "scaling": r.choice(["density", "spectrum", None]),
                  "periodic": r.random() < 0.5}
        shape = {"Identity": r.choice([(3, 3), (3, 5), (5, 2)]),
                 "STFT": (r.choice([8, 6]), 1, r.choice([5, 4]))}.get(
                     cls, r.choice([(3,), (2, 4), (2, 3, 4)]))
        dtype = r.choice(["float32", "float32", "int32"]) if cls in ("Zeros", "Ones") \
            else "float32"
        return {"kind": "initializer", "seed": seed, "cls": cls, "kw": kw,
                "shape": list(shape), "dtype": dtype,
                "form": r.choice(["obj", "dict"] + (["str"] if not kw else []))}
    cls = r.choice(RANDOM)
    kw = {}
    if cls in ("RandomNormal", "TruncatedNormal"):
        kw = {"mean": r.choice([0.0, 1.0, -0.5]), "stddev": r.choice([0.05, 1.0, 2.0])}
    elif cls == "RandomUniform":
        lo = r.choice([-1.0, 0.0, -0.05])
        kw = {"minval": lo, "maxval": lo + r.choice([0.1, 1.0, 2.0])}
    elif cls == "VarianceScaling":
        kw = {"scale": r.choice([0.5, 1.0, 2.0]),
              "mode": r.choice(["fan_in", "fan_out", "fan_avg"]),
              "distribution": r.choice(["truncated_normal", "untruncated_normal",
                                        "uniform"])}
    elif cls == "Orthogonal":
        kw = {"gain": r.choice([1.0, 0.5, 2.0])}
    if cls == "Orthogonal":
        shape = r.choice([(40, 30), (30, 40), (3, 3, 8, 16), (64, 64), (2, 5, 12)])
    else:
        shape = r.choice([(20000,), (200, 150), (150, 300), (3, 3, 40, 60),
                          (5, 80, 60), (2, 2, 2, 30, 40)])
    seed_kind = r.choice(["int", "none", "generator"])
    return {"kind": "initializer", "seed": seed, "cls": cls, "kw": kw, "shape": list(shape),
            "dtype": "float32", "form": r.choice(["obj", "dict"]), "seed_kind": seed_kind,
            "init_seed": r.randrange(1000)}


def _fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def expected_distribution(cls, kw, shape):
    """(kind, mean, std, low, high) of an initializer's documented distribution."""
    fan_in, fan_out = _fans(shape)
    presets = {"GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
               "GlorotUniform": (1.0, "fan_avg", "uniform"),
               "HeNormal": (2.0, "fan_in", "truncated_normal"),
               "HeUniform": (2.0, "fan_in", "uniform"),
               "LecunNormal": (1.0, "fan_in", "truncated_normal"),
               "LecunUniform": (1.0, "fan_in", "uniform")}
    if cls in presets or cls == "VarianceScaling":
        scale, mode, dist = presets.get(cls) or (
            kw.get("scale", 1.0), kw.get("mode", "fan_in"),
            kw.get("distribution", "truncated_normal"))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        std = math.sqrt(scale / max(1.0, n))
        if dist == "uniform":
            limit = math.sqrt(3.0) * std
            return "uniform", 0.0, std, -limit, limit
        if dist == "truncated_normal":
            # the normal is scaled so that, cut at two of its standard deviations, the
            # truncated values have standard deviation `std`
            raw = std / 0.87962566103423978
            return "normal", 0.0, std, -2 * raw, 2 * raw
        return "normal", 0.0, std, -math.inf, math.inf
    if cls == "RandomNormal":
        return "normal", kw["mean"], kw["stddev"], -math.inf, math.inf
    if cls == "TruncatedNormal":
        return ("normal", kw["mean"], kw["stddev"] * 0.87962566103423978,
                kw["mean"] - 2 * kw["stddev"], kw["mean"] + 2 * kw["stddev"])
    lo, hi = kw["minval"], kw["maxval"]
    return "uniform", (lo + hi) / 2, (hi - lo) / math.sqrt(12.0), lo, hi


def _statistics_match(values, cls, kw, shape):
    """Whether the sample's mean, standard deviation and range fit the distribution."""
    _, mean, std, lo, hi = expected_distribution(cls, kw, shape)
    v = values.astype(np.float64).ravel()
    n = v.size
    return {"mean": bool(abs(v.mean() - mean) < 5 * std / math.sqrt(n) + 1e-7),
            "std": bool(abs(v.std() - std) < 5 * std / math.sqrt(2 * n) + 0.01 * std),
            "bounds": bool(v.min() >= lo - 1e-6 * max(1.0, abs(lo))
                           and v.max() <= hi + 1e-6 * max(1.0, abs(hi)))}


def _orthogonal_match(values, gain):
    flat = values.astype(np.float64).reshape(-1, values.shape[-1])
    gram = flat @ flat.T if flat.shape[0] < flat.shape[1] else flat.T @ flat
    return {"orthonormal": bool(np.allclose(gram, gain ** 2 * np.eye(len(gram)), atol=1e-4))}


def _make_initializer(K, recipe, seed=None):
    kw = dict(recipe["kw"])
    if recipe.get("seed_kind") is not None:
        kw["seed"] = seed
    if recipe["form"] == "str":
        return K.initializers.get({"Zeros": "zeros", "Ones": "ones", "Identity": "identity",
                                   "STFT": "stft"}[recipe["cls"]])
    if recipe["form"] == "dict":
        return K.initializers.get({"class_name": recipe["cls"], "config": kw})
    return getattr(K.initializers, recipe["cls"])(**kw)


def _run_initializer(K, recipe):
    res = {}
    shape = tuple(recipe["shape"])
    seed_kind = recipe.get("seed_kind")

    def seed():
        if seed_kind == "int":
            return recipe["init_seed"]
        if seed_kind == "generator":
            return K.random.SeedGenerator(recipe["init_seed"])
        return None

    init = _make_initializer(K, recipe, seed())
    res["class"] = type(init).__name__
    config = init.get_config()
    if seed_kind == "generator":
        config = {k: v for k, v in config.items() if k != "seed"}
        res["seed_in_config"] = "seed" in init.get_config()
    res["config"] = plain_values(config)
    if seed_kind != "generator":
        res["from_config"] = plain_values(type(init).from_config(init.get_config()).get_config())
    values = K.ops.convert_to_numpy(init(shape, dtype=recipe["dtype"]))
    res["shape"] = list(values.shape)
    res["dtype"] = str(values.dtype)
    if seed_kind is None:
        res["values"] = values
        return [], res
    if recipe["cls"] == "Orthogonal":
        res["stats"] = _orthogonal_match(values, recipe["kw"]["gain"])
    else:
        res["stats"] = _statistics_match(values, recipe["cls"], recipe["kw"], shape)
    if seed_kind != "none":  # unseeded: see test_differential_regularization
        again = K.ops.convert_to_numpy(init(shape, dtype="float32"))
        res["same_on_second_call"] = bool(np.array_equal(values, again))
    twin = K.ops.convert_to_numpy(_make_initializer(K, recipe, seed())(shape, dtype="float32"))
    res["same_as_twin"] = bool(np.array_equal(values, twin))
    return [], res


# -- noise and dropout layers --------------------------------------------------------------
NOISE = ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
         "GaussianNoise", "GaussianDropout", "AlphaDropout"]


def _draw_noise(r, seed):
    cls = r.choice(NOISE)
    kw = {}
    if cls == "GaussianNoise":
        kw["stddev"] = r.choice([0.1, 0.5, 2.0])
    else:
        kw["rate"] = r.choice([0.1, 0.3, 0.5, 0.8])
    rank = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5}.get(
        cls, r.choice([2, 3, 4]))
    dims = {2: [400, 50], 3: [40, 30, 20], 4: [20, 10, 12, 8], 5: [10, 6, 6, 6, 8]}[rank]
    if cls.startswith("SpatialDropout") and cls != "SpatialDropout1D" and r.random() < 0.5:
        kw["data_format"] = r.choice(["channels_first", "channels_last"])
    if cls in ("Dropout", "AlphaDropout") and r.random() < 0.5:
        kw["noise_shape"] = [r.choice([None, d, 1]) if i else None
                             for i, d in enumerate(dims)]
    if r.random() < 0.5:
        kw["seed"] = r.randrange(1000)
    return {"kind": "noise", "seed": seed, "cls": cls, "kw": kw, "shape": dims,
            "mask_model": r.random() < 0.4}


def _shared_axes(out, dropped):
    """For each axis, whether the dropped pattern is the same along it."""
    return [bool(np.all(dropped == np.take(dropped, [0], axis=a))) for a in range(out.ndim)]


def _noise_statistics(recipe, x, out):
    cls, kw = recipe["cls"], recipe["kw"]
    n = out.size
    if cls == "GaussianNoise":
        d = (out - x).astype(np.float64)
        s = kw["stddev"]
        return {"mean": bool(abs(d.mean()) < 5 * s / math.sqrt(n)),
                "std": bool(abs(d.std() - s) < 5 * s / math.sqrt(2 * n) + 1e-3 * s)}
    rate = kw["rate"]
    if cls == "GaussianDropout":
        ratio = (out / x).astype(np.float64)
        s = math.sqrt(rate / (1.0 - rate))
        return {"mean": bool(abs(ratio.mean() - 1.0) < 5 * s / math.sqrt(n)),
                "std": bool(abs(ratio.std() - s) < 5 * s / math.sqrt(2 * n) + 1e-3 * s)}
    if cls == "AlphaDropout":
        alpha_p = -1.6732632423543772 * 1.0507009873554805
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        kept = np.isclose(out, a * x + b, rtol=1e-5, atol=1e-5)
        dropped = np.isclose(out, a * alpha_p + b, rtol=1e-5, atol=1e-5)
        frac = 1.0 - kept.mean()
        return {"every_value_kept_or_dropped": bool(np.all(kept | dropped)),
                "dropped_fraction": bool(abs(frac - rate) < 0.05 + 5 * math.sqrt(
                    rate * (1 - rate) / _mask_count(dropped))),
                "shared_axes": _shared_axes(out, ~kept)}
    dropped = out == 0
    kept_ok = np.allclose(out[~dropped], x[~dropped] / (1.0 - rate), rtol=1e-6)
    frac = dropped.mean()
    return {"kept_scaled": bool(kept_ok),
            "dropped_fraction": bool(abs(frac - rate) < 5 * math.sqrt(
                rate * (1 - rate) / _mask_count(dropped)) + 1e-3),
            "shared_axes": _shared_axes(out, dropped)}


def _mask_count(dropped):
    """How many independent draws the mask holds (its size over the shared axes)."""
    count = 1
    for a, size in enumerate(dropped.shape):
        if not np.all(dropped == np.take(dropped, [0], axis=a)):
            count *= size
    return max(count, 1)


def _make_noise(K, recipe):
    kw = dict(recipe["kw"])
    if "noise_shape" in kw:
        kw["noise_shape"] = tuple(kw["noise_shape"])
    return getattr(K.layers, recipe["cls"])(**kw)


def _run_noise(K, recipe):
    res = {}
    rng = np.random.default_rng(recipe["seed"])
    shape = tuple(recipe["shape"])
    # |x| in [0.5, 1.5]: no input equals AlphaDropout's dropped value
    x = (rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
         ).astype("float32")
    layer = _make_noise(K, recipe)
    res["config"] = plain_values({k: v for k, v in layer.get_config().items()
                                  if k not in ("name", "dtype")})
    res["supports_masking"] = bool(layer.supports_masking)
    xt = K.ops.convert_to_tensor(x)
    res["identity_default"] = bool(np.array_equal(K.ops.convert_to_numpy(layer(xt)), x))
    res["identity_inference"] = bool(np.array_equal(
        K.ops.convert_to_numpy(layer(xt, training=False)), x))
    out = K.ops.convert_to_numpy(layer(xt, training=True))
    res["train_shape"] = list(out.shape)
    res["train_dtype"] = str(out.dtype)
    res["stats"] = _noise_statistics(recipe, x, out)
    again = K.ops.convert_to_numpy(layer(xt, training=True))
    res["second_call_differs"] = bool(not np.array_equal(out, again))
    if "seed" in recipe["kw"]:
        twin = K.ops.convert_to_numpy(_make_noise(K, recipe)(xt, training=True))
        res["same_as_twin"] = bool(np.array_equal(out, twin))
    res["output_shape"] = list(layer.compute_output_shape(shape))
    if recipe["mask_model"]:
        ids = K.Input((6,), dtype="int32")
        h = K.layers.Embedding(5, shape[-1], mask_zero=True)(ids)
        h = K.layers.Dropout(0.0)(h) if recipe["cls"].startswith("Spatial") else \
            _make_noise(K, {**recipe, "kw": {k: v for k, v in recipe["kw"].items()
                                             if k != "noise_shape"}})(h)
        pooled = K.layers.GlobalAveragePooling1D()(h)
        model = K.Model(ids, pooled)
        tokens = rng.integers(0, 5, size=(3, 6)).astype("int32")
        tokens[:, -2:] = 0
        emb = K.ops.convert_to_numpy(model.layers[1](K.ops.convert_to_tensor(tokens)))
        keep = (tokens != 0)[..., None].astype("float32")
        want = (emb * keep).sum(1) / keep.sum(1)
        got = K.ops.convert_to_numpy(model(K.ops.convert_to_tensor(tokens)))
        res["mask_passed"] = bool(np.allclose(got, want, rtol=1e-5, atol=1e-6))
    return [], res


# -- dispatch -------------------------------------------------------------------------------
def draw_recipe(seed):
    r = random.Random(seed)
    kind = r.choice(KINDS)
    return {"model": _draw_model, "regularizer": _draw_regularizer_case,
            "constraint": _draw_constraint_case, "initializer": _draw_initializer,
            "noise": _draw_noise}[kind](r, seed)


def run_recipe(K, recipe, init_weights=None):
    """Run a recipe in ``K``; returns (initial weights, results dict)."""
    kind = recipe["kind"]
    if kind == "model":
        return _run_model(K, recipe, init_weights)
    return {"regularizer": _run_regularizer, "constraint": _run_constraint,
            "initializer": _run_initializer, "noise": _run_noise}[kind](K, recipe)
