"""Cases of extreme values through losses, activations, metrics and normalization layers.

A case is plain JSON drawn by `draw_case(seed)`; `case_arrays(case)` makes its NumPy inputs
(exact zeros and ones among probabilities, logits of +-1e4, infinities, NaN, subnormals,
-0.0, constant rows, huge sample weights) and `run_case(K, case, arrays, gradient)` runs it
with the library module `K`, returning NumPy outputs, their dtype names, and the gradient of
`sum(out * proj)` with respect to the first float input where the case asks for one.
`gradient(f, x)` is the library's own: JAX's autodiff for Keras, a tape for kerasx.
Neither library is imported here.
"""

import numpy as np

ACTIVATIONS = ("celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid",
               "hard_silu", "hard_tanh", "leaky_relu", "linear", "log_sigmoid",
               "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu",
               "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
               "sparse_sigmoid", "squareplus", "tanh", "tanh_shrink", "threshold")

BINARY_LOSSES = ("BinaryCrossentropy", "BinaryFocalCrossentropy", "Dice", "Tversky",
                 "Hinge", "SquaredHinge")
CATEGORICAL_LOSSES = ("CategoricalCrossentropy", "CategoricalFocalCrossentropy",
                      "KLDivergence", "Poisson", "CategoricalHinge", "CosineSimilarity")
SPARSE_LOSSES = ("SparseCategoricalCrossentropy", "CategoricalGeneralizedCrossEntropy")
REGRESSION_LOSSES = ("MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
                     "MeanSquaredLogarithmicError", "Huber", "LogCosh")
LOSSES = BINARY_LOSSES + CATEGORICAL_LOSSES + SPARSE_LOSSES + REGRESSION_LOSSES
LOGIT_LOSSES = ("BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
                "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy")

METRICS = ("AUC", "Precision", "Recall", "F1Score", "FBetaScore", "R2Score", "IoU",
           "MeanIoU", "OneHotIoU", "BinaryIoU", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "PrecisionAtRecall", "RecallAtPrecision",
           "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PearsonCorrelation",
           "ConcordanceCorrelation", "TruePositives", "FalseNegatives",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "KLDivergence",
           "Poisson", "CosineSimilarity", "LogCoshError", "RootMeanSquaredError",
           "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "Hinge", "CategoricalHinge")

NORMS = ("LayerNormalization", "BatchNormalization", "GroupNormalization",
         "RMSNormalization", "UnitNormalization", "Normalization")

EDGE_SETS = {
    "huge": (1e4, -1e4),
    "big": (1e30, -1e30, 3.4e38, -3.4e38),
    "inf": (np.inf, -np.inf),
    "nan": (np.nan,),
    "subnormal": (1e-40, -1e-40, 1e-45),
    "zero": (0.0, -0.0),
}


def _pick(rng, options, p=None):
    return options[int(rng.choice(len(options), p=p))]


def _draw_dtype(rng):
    return _pick(rng, ("float32", "float16", "bfloat16"), p=(0.7, 0.15, 0.15))


def _inject(rng, x, values, fraction=0.3):
    """`x` with about `fraction` of its entries replaced by `values`."""
    x = x.copy()
    flat = x.reshape(-1)
    n = max(1, int(round(fraction * flat.size)))
    at = rng.choice(flat.size, size=n, replace=False)
    flat[at] = rng.choice(np.asarray(values, dtype=np.float64), size=n)
    return x


def draw_case(seed):
    """One case (JSON data) for `seed`."""
    rng = np.random.default_rng(seed)
    kind = _pick(rng, ("loss", "activation", "metric", "norm"), p=(0.35, 0.3, 0.2, 0.15))
    case = {"seed": int(seed), "kind": kind}
    if kind == "activation":
        case.update(_draw_activation(rng))
    elif kind == "loss":
        case.update(_draw_loss(rng))
    elif kind == "metric":
        case.update(_draw_metric(rng))
    else:
        case.update(_draw_norm(rng))
    return case


def _draw_activation(rng):
    name = _pick(rng, ACTIVATIONS)
    kwargs = {}
    if name in ("elu", "celu") and rng.random() < 0.5:
        kwargs["alpha"] = float(_pick(rng, (0.5, 2.0)))
    if name == "leaky_relu" and rng.random() < 0.5:
        kwargs["negative_slope"] = 0.1
    if name == "relu":
        if rng.random() < 0.3:
            kwargs["negative_slope"] = 0.1
        if rng.random() < 0.3:
            kwargs["max_value"] = 6.0
        if rng.random() < 0.3:
            kwargs["threshold"] = float(_pick(rng, (0.5, -1.0)))
    if name == "gelu":
        kwargs["approximate"] = bool(rng.random() < 0.5)
    if name in ("softmax", "log_softmax", "glu") and rng.random() < 0.3:
        kwargs["axis"] = 0
    if name in ("hard_shrink", "soft_shrink") and rng.random() < 0.5:
        kwargs["threshold"] = 1.0
    if name == "squareplus" and rng.random() < 0.5:
        kwargs["b"] = 0.0
    if name == "threshold":
        kwargs.update(threshold=float(_pick(rng, (0.0, 1.0))),
                      default_value=float(_pick(rng, (0.0, -2.0))))
    edges = [str(e) for e in rng.choice(list(EDGE_SETS), size=int(rng.integers(1, 3)),
                                        replace=False)]
    rows = "none"
    if name in ("softmax", "log_softmax"):
        rows = _pick(rng, ("none", "all_neg_inf", "one_pos_inf", "equal_huge", "mixed"))
    return {"name": name, "kwargs": kwargs, "edges": edges, "rows": rows,
            "dtype": _draw_dtype(rng), "shape": [4, 6], "grad": True}


def _draw_loss(rng):
    cls = _pick(rng, LOSSES)
    config = {}
    if cls in LOGIT_LOSSES:
        config["from_logits"] = bool(rng.random() < 0.5)
    if cls in ("BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
               "CategoricalFocalCrossentropy") and rng.random() < 0.4:
        config["label_smoothing"] = float(_pick(rng, (0.1, 1.0)))
    if cls == "BinaryFocalCrossentropy" and rng.random() < 0.5:
        config["apply_class_balancing"] = True
    if cls in ("BinaryFocalCrossentropy", "CategoricalFocalCrossentropy") and rng.random() < 0.4:
        config["gamma"] = float(_pick(rng, (0.0, 0.5, 5.0)))
    if cls == "SparseCategoricalCrossentropy" and rng.random() < 0.5:
        config["ignore_class"] = int(_pick(rng, (0, 4, -1)))
    if cls == "CategoricalGeneralizedCrossEntropy" and rng.random() < 0.5:
        config["q"] = float(_pick(rng, (0.1, 0.9)))
    if cls == "Huber" and rng.random() < 0.5:
        config["delta"] = float(_pick(rng, (1e-3, 1e4)))
    if cls == "Tversky" and rng.random() < 0.5:
        config.update(alpha=0.9, beta=0.1)
    config["reduction"] = _pick(rng, ("sum_over_batch_size", "sum", "mean", "none",
                                      "mean_with_sample_weight"))
    if rng.random() < 0.15:
        config["dtype"] = _pick(rng, ("float16", "bfloat16"))
    logits = config.get("from_logits", False)
    if logits:
        pred = _pick(rng, ("huge", "inf", "big", "nan", "normal"), p=(0.4, 0.2, 0.2, 0.1, 0.1))
    elif cls in REGRESSION_LOSSES or cls in ("Hinge", "SquaredHinge", "CategoricalHinge",
                                             "CosineSimilarity"):
        pred = _pick(rng, ("huge", "big", "inf", "nan", "zero", "subnormal"))
    else:
        pred = _pick(rng, ("exact01", "onehot", "subnormal", "nan"), p=(0.45, 0.25, 0.2, 0.1))
    true = "normal"
    if cls in CATEGORICAL_LOSSES:
        true = _pick(rng, ("onehot", "zero_rows", "soft"))
    if cls in SPARSE_LOSSES:
        true = _pick(rng, ("ends", "ignored"))
    if cls in REGRESSION_LOSSES:
        true = _pick(rng, ("normal", "zeros", "constant", "huge"))
    weight = _pick(rng, ("none", "zeros", "some_zeros", "huge", "tiny"))
    rank3 = cls in SPARSE_LOSSES and rng.random() < 0.3
    return {"class": cls, "config": config, "pred": pred, "true": true, "weight": weight,
            "dtype": _draw_dtype(rng), "rank3": bool(rank3), "grad": True}


def _draw_metric(rng):
    cls = _pick(rng, METRICS)
    config = {}
    if cls == "AUC":
        config.update(curve=_pick(rng, ("ROC", "PR")),
                      summation_method=_pick(rng, ("interpolation", "minoring", "majoring")),
                      num_thresholds=int(_pick(rng, (3, 11, 200))))
        if rng.random() < 0.3:
            config["multi_label"] = True
    if cls in ("Precision", "Recall"):
        opt = _pick(rng, ("plain", "thresholds", "top_k", "class_id"))
        if opt == "thresholds":
            config["thresholds"] = [0.0, 0.5, 1.0]
        elif opt == "top_k":
            config["top_k"] = 2
        elif opt == "class_id":
            config["class_id"] = 1
    if cls in ("F1Score", "FBetaScore"):
        config["average"] = _pick(rng, (None, "micro", "macro", "weighted"))
        if rng.random() < 0.5:
            config["threshold"] = 0.5
        if cls == "FBetaScore":
            config["beta"] = float(_pick(rng, (0.5, 2.0)))
    if cls == "R2Score":
        config["class_aggregation"] = _pick(rng, (None, "uniform_average",
                                                  "variance_weighted_average"))
        if rng.random() < 0.3:
            config["num_regressors"] = 1
    if cls in ("IoU", "MeanIoU", "OneHotIoU"):
        config["num_classes"] = 4
        if cls != "MeanIoU":
            config["target_class_ids"] = [int(c) for c in rng.choice(4, size=2, replace=False)]
    if cls == "BinaryIoU":
        config["target_class_ids"] = _pick(rng, ([0], [1], [0, 1]))
        config["threshold"] = 0.5
    if cls in ("BinaryAccuracy", "TruePositives", "FalseNegatives") and rng.random() < 0.5:
        key = "threshold" if cls == "BinaryAccuracy" else "thresholds"
        config[key] = float(_pick(rng, (0.0, 1.0)))
    if cls in ("TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"):
        config["k"] = int(_pick(rng, (1, 2)))
    if cls == "PrecisionAtRecall":
        config["recall"] = float(_pick(rng, (0.0, 0.5, 1.0)))
    if cls == "RecallAtPrecision":
        config["precision"] = float(_pick(rng, (0.0, 0.5, 1.0)))
    if cls == "SensitivityAtSpecificity":
        config["specificity"] = float(_pick(rng, (0.0, 0.5, 1.0)))
    if cls == "SpecificityAtSensitivity":
        config["sensitivity"] = float(_pick(rng, (0.0, 0.5, 1.0)))
    if cls in ("PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
               "SpecificityAtSensitivity"):
        config["num_thresholds"] = int(_pick(rng, (3, 200)))
    if cls in ("BinaryCrossentropy", "CategoricalCrossentropy",
               "SparseCategoricalCrossentropy") and rng.random() < 0.5:
        config["from_logits"] = True
    pred = _pick(rng, ("constant", "ties", "exact01", "huge", "nan"), p=(0.3, 0.25, 0.25, 0.1, 0.1))
    true = _pick(rng, ("no_positives", "all_positives", "empty_class", "constant", "normal"))
    weight = _pick(rng, ("none", "zeros", "some_zeros", "huge"), p=(0.5, 0.2, 0.2, 0.1))
    return {"class": cls, "config": config, "pred": pred, "true": true, "weight": weight,
            "updates": int(_pick(rng, (1, 2))), "grad": False}


def _draw_norm(rng):
    cls = _pick(rng, NORMS)
    config = {}
    if cls == "GroupNormalization":
        config["groups"] = int(_pick(rng, (2, 4)))
    if cls == "BatchNormalization" and rng.random() < 0.5:
        config["momentum"] = 0.5
    if cls == "LayerNormalization" and rng.random() < 0.3:
        config["center"] = False
    values = _pick(rng, ("constant", "constant_big", "huge", "overflow", "tiny", "mixed",
                         "zeros"))
    dtype = _pick(rng, ("float32", "float16", "bfloat16"), p=(0.6, 0.25, 0.15))
    training = bool(rng.random() < 0.5) if cls == "BatchNormalization" else False
    shape = [4, 8] if rng.random() < 0.6 else [2, 3, 8]
    return {"class": cls, "config": config, "values": values, "dtype": dtype,
            "training": training, "shape": shape, "grad": cls != "Normalization"}


def case_arrays(case):
    """The case's NumPy inputs (float32 values and int32 labels), from its seed."""
    rng = np.random.default_rng(case["seed"] + 7919)
    kind = case["kind"]
    if kind == "activation":
        return _activation_arrays(case, rng)
    if kind == "loss":
        return _loss_arrays(case, rng)
    if kind == "metric":
        return _metric_arrays(case, rng)
    return _norm_arrays(case, rng)


def _edge_values(case):
    return [v for e in case["edges"] for v in EDGE_SETS[e]]


def _activation_arrays(case, rng):
    shape = tuple(case["shape"])
    x = rng.normal(size=shape) * 2.0
    x = _inject(rng, x, _edge_values(case))
    rows = case["rows"]
    if rows in ("all_neg_inf", "mixed"):
        x[0] = -np.inf
    if rows in ("one_pos_inf", "mixed"):
        x[1, 2] = np.inf
    if rows in ("equal_huge", "mixed"):
        x[2] = 1e30
    return {"x": x.astype(np.float32), "proj": rng.normal(size=shape).astype(np.float32)}


def _probabilities(rng, shape, mode):
    p = rng.uniform(0.05, 0.95, size=shape)
    if len(shape) > 1 and shape[-1] > 3:
        p = p / p.sum(axis=-1, keepdims=True)
    if mode == "exact01":
        p = _inject(rng, p, (0.0, 1.0), 0.4)
    elif mode == "onehot":
        k = rng.integers(0, shape[-1], size=shape[:-1])
        p = np.eye(shape[-1])[k]
    elif mode == "subnormal":
        p = _inject(rng, p, (1e-40, 1e-45, 0.0, 1.0 - 1e-8), 0.4)
    elif mode == "nan":
        p = _inject(rng, p, (np.nan,), 0.15)
    return p


def _loss_arrays(case, rng):
    cls, config = case["class"], case["config"]
    n, c = 4, (5 if cls not in BINARY_LOSSES else 3)
    batch = (2, 3) if case["rank3"] else (n,)
    shape = batch + (c,)
    logits = config.get("from_logits", False)
    pred = case["pred"]
    if logits or pred in ("huge", "big", "inf", "zero", "normal") or (
            pred == "nan" and cls in REGRESSION_LOSSES):
        y_pred = rng.normal(size=shape) * 3.0
        if pred != "normal":
            y_pred = _inject(rng, y_pred, EDGE_SETS.get(pred, (0.0, -0.0)), 0.35)
        if cls in ("MeanSquaredLogarithmicError", "Poisson", "KLDivergence") and pred != "nan":
            y_pred = np.abs(y_pred)
    else:
        y_pred = _probabilities(rng, shape, pred)
    arrays = {}
    true = case["true"]
    if cls in SPARSE_LOSSES:
        labels = rng.integers(0, c, size=batch)
        labels.reshape(-1)[:2] = (0, c - 1)
        ignore = config.get("ignore_class")
        if true == "ignored" and ignore is not None:
            labels.reshape(-1)[-2:] = ignore
        arrays["y_true"] = labels.astype(np.int32)
    elif cls in BINARY_LOSSES:
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        if cls in ("Hinge", "SquaredHinge") and rng.random() < 0.5:
            y = 2 * y - 1
        arrays["y_true"] = y.astype(np.float32)
    elif cls in CATEGORICAL_LOSSES:
        k = rng.integers(0, c, size=batch)
        y = np.eye(c)[k]
        if true == "zero_rows":
            y[0] = 0.0
        elif true == "soft":
            y = rng.dirichlet(np.ones(c), size=batch)
        arrays["y_true"] = y.astype(np.float32)
    else:
        y = rng.normal(size=shape)
        if true == "zeros":
            y = _inject(rng, y, (0.0, -0.0), 0.5)
        elif true == "constant":
            y = np.full(shape, 2.0)
        elif true == "huge":
            y = _inject(rng, y, (1e4, -1e4, 1e20), 0.4)
        if cls == "MeanSquaredLogarithmicError":
            y = np.abs(y)
        arrays["y_true"] = y.astype(np.float32)
    arrays["y_pred"] = y_pred.astype(np.float32)
    weight = case["weight"]
    if weight != "none":
        w = rng.uniform(0.5, 2.0, size=batch)
        if weight == "zeros":
            w[:] = 0.0
        elif weight == "some_zeros":
            w.reshape(-1)[:2] = 0.0
        elif weight == "huge":
            w.reshape(-1)[::2] = 1e30
        elif weight == "tiny":
            w.reshape(-1)[:] = 1e-40
        arrays["sample_weight"] = w.astype(np.float32)
    arrays["proj"] = rng.normal(size=shape).astype(np.float32)
    return arrays


def _metric_shape(cls):
    if cls in ("R2Score", "PearsonCorrelation", "ConcordanceCorrelation"):
        return (6, 2)
    if cls in ("IoU", "MeanIoU", "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
               "SparseCategoricalCrossentropy"):
        return (6,)
    if cls in ("BinaryAccuracy", "BinaryIoU", "TruePositives", "FalseNegatives", "AUC",
               "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
               "SpecificityAtSensitivity", "BinaryCrossentropy", "Hinge"):
        return (6, 1) if cls != "AUC" else (6, 3)
    return (6, 4)


def _metric_arrays(case, rng):
    cls, true, pred = case["class"], case["true"], case["pred"]
    shape = _metric_shape(cls)
    sparse = len(shape) == 1
    c = 4
    arrays = {}
    for u in range(case["updates"]):
        if sparse:
            labels = rng.integers(0, c, size=shape)
            if true in ("no_positives", "empty_class", "constant"):
                labels[:] = 0 if true != "empty_class" else rng.integers(0, 2, size=shape)
            y_true = labels.astype(np.int32)
        else:
            y = rng.integers(0, 2, size=shape).astype(np.float64)
            if shape[-1] == 4 and cls not in ("F1Score", "FBetaScore", "Precision", "Recall",
                                              "MeanAbsolutePercentageError", "LogCoshError",
                                              "RootMeanSquaredError", "CosineSimilarity",
                                              "MeanSquaredLogarithmicError"):
                y = np.eye(c)[rng.integers(0, c, size=shape[0])]
            if true == "no_positives":
                y[:] = 0.0
            elif true == "all_positives":
                y[:] = 1.0 if shape[-1] != 4 or cls in ("F1Score", "FBetaScore") else y
            elif true == "empty_class":
                y[:, 0] = 0.0
            elif true == "constant":
                y[:] = y[0]
            elif true == "normal" and cls in ("R2Score", "PearsonCorrelation",
                                              "ConcordanceCorrelation", "LogCoshError",
                                              "RootMeanSquaredError"):
                y = rng.normal(size=shape)
            y_true = y.astype(np.float32)
        pshape = shape + (c,) if sparse and cls != "IoU" and cls != "MeanIoU" else shape
        if cls in ("IoU", "MeanIoU"):
            p = rng.integers(0, c, size=shape).astype(np.float64)
            if pred == "constant":
                p[:] = 1.0
        elif pred == "constant":
            p = np.full(pshape, 0.5)
        elif pred == "ties":
            p = np.full(pshape, 0.25)
            p[..., :2] = 0.4
            if pshape[-1] == 1:
                p[:] = 0.5
        elif pred == "exact01":
            p = rng.integers(0, 2, size=pshape).astype(np.float64)
        elif pred == "huge":
            p = _inject(rng, rng.normal(size=pshape), (1e4, -1e4, 1e20), 0.4)
        else:
            p = _inject(rng, rng.uniform(0, 1, size=pshape), (np.nan,), 0.2)
        arrays[f"y_true{u}"] = y_true
        arrays[f"y_pred{u}"] = p.astype(np.float32)
        weight = case["weight"]
        if weight != "none":
            w = rng.uniform(0.5, 2.0, size=shape[:1])
            if weight == "zeros":
                w[:] = 0.0
            elif weight == "some_zeros":
                w[:3] = 0.0
            else:
                w[::2] = 1e30
            arrays[f"sample_weight{u}"] = w.astype(np.float32)
    return arrays


def _norm_arrays(case, rng):
    shape = tuple(case["shape"])
    values = case["values"]
    x = rng.normal(size=shape)
    if values == "constant":
        x = np.ones(shape) * rng.normal(size=shape[:-1] + (1,))
    elif values == "constant_big":
        x = np.full(shape, 1e4)
    elif values == "huge":
        x = x * 1e4
    elif values == "overflow":
        x = x * 1e20 if case["dtype"] == "float32" else x * 300.0
    elif values == "tiny":
        x = x * 1e-20
    elif values == "mixed":
        x = _inject(rng, x, (1e4, -1e4, 0.0), 0.3)
    elif values == "zeros":
        x = np.zeros(shape)
    return {"x": x.astype(np.float32), "proj": rng.normal(size=shape).astype(np.float32)}


def _numpy(K, y):
    return np.asarray(K.ops.convert_to_numpy(y))


def _dtype_name(y):
    return str(np.asarray(y).dtype)


def _build(K, case):
    """The case's activation (a function of `x`), loss or normalization layer."""
    kind = case["kind"]
    if kind == "activation":
        fn = K.activations.get(case["name"])
        kwargs = case["kwargs"]
        return lambda x: fn(x, **kwargs)
    if kind == "loss":
        loss = getattr(K.losses, case["class"])(**case["config"])
        return loss
    if kind == "norm":
        cls, config = case["class"], dict(case["config"])
        layer = getattr(K.layers, cls)(dtype=case["dtype"], **config)
        return layer
    raise ValueError(kind)


def run_case(K, case, arrays, gradient):
    """{output name: NumPy array} and {output name: dtype name} for `case` run with `K`.

    `gradient(f, x)` returns the gradient of the scalar `f(x)` with respect to `x`.
    """
    ops = K.ops
    out, dtypes = {}, {}
    kind = case["kind"]
    if kind == "metric":
        metric = getattr(K.metrics, case["class"])(**case["config"])
        for u in range(case["updates"]):
            sw = arrays.get(f"sample_weight{u}")
            metric.update_state(arrays[f"y_true{u}"], arrays[f"y_pred{u}"], sample_weight=sw)
            r = metric.result()
            out[f"result{u}"] = _numpy(K, r)
            dtypes[f"result{u}"] = _dtype_name(out[f"result{u}"])
        metric.reset_state()
        out["reset"] = _numpy(K, metric.result())
        return out, dtypes
    if kind == "activation":
        fn = _build(K, case)
        x = ops.cast(arrays["x"], case["dtype"])
        y = fn(x)
        out["y"] = _numpy(K, y)
        dtypes["y"] = _dtype_name(out["y"])
        if case["name"] == "glu":
            proj = np.ascontiguousarray(arrays["proj"][tuple(slice(0, s) for s in out["y"].shape)])
        else:
            proj = arrays["proj"]
        proj = ops.cast(proj, case["dtype"])
        dx = gradient(lambda v: ops.sum(ops.multiply(fn(v), proj)), x)
        out["dx"] = _numpy(K, dx)
        dtypes["dx"] = _dtype_name(out["dx"])
        return out, dtypes
    if kind == "loss":
        loss = _build(K, case)
        y_true = arrays["y_true"]
        if y_true.dtype != np.int32:
            y_true = ops.cast(y_true, case["dtype"])
        y_pred = ops.cast(arrays["y_pred"], case["dtype"])
        sw = arrays.get("sample_weight")
        value = loss(y_true, y_pred, sample_weight=sw)
        out["loss"] = _numpy(K, value)
        dtypes["loss"] = _dtype_name(out["loss"])

        def scalar(v):
            r = loss(y_true, v, sample_weight=sw)
            return ops.sum(ops.cast(r, "float32"))

        out["dy_pred"] = _numpy(K, gradient(scalar, y_pred))
        dtypes["dy_pred"] = _dtype_name(out["dy_pred"])
        return out, dtypes
    # normalization layers
    layer = _build(K, case)
    x = ops.cast(arrays["x"], case["dtype"])
    if case["class"] == "Normalization":
        layer.adapt(arrays["x"].astype(case["dtype"]) if case["dtype"] != "bfloat16"
                    else arrays["x"])
    else:
        layer.build(tuple(arrays["x"].shape))
    training = case["training"]
    if case["grad"]:
        proj = ops.cast(arrays["proj"], "float32")
        with K.StatelessScope():  # the moving statistics stay as they are
            dx = gradient(lambda v: ops.sum(ops.multiply(
                ops.cast(layer(v, training=training), "float32"), proj)), x)
        out["dx"] = _numpy(K, dx)
        dtypes["dx"] = _dtype_name(out["dx"])
    if training:
        out["y_train"] = _numpy(K, layer(x, training=True))
        for i, w in enumerate(layer.non_trainable_weights):
            out[f"nt{i}"] = _numpy(K, w)
    y = layer(x, training=False)
    out["y"] = _numpy(K, y)
    dtypes["y"] = _dtype_name(out["y"])
    return out, dtypes
