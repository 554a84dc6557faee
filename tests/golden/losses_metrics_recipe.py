"""Random loss and metric recipes, run alike by Keras and kerasx.

A recipe is plain JSON plus named NumPy arrays.  `random_recipe(seed)` draws one from a
seeded grammar: a loss (class with a reduction and a sample weight, function, or compile
string through `losses.get`) on labels and predictions of random rank, dtype and extremes;
or a metric updated several times with varying batch sizes and sample weights, then reset
and updated once more.  `run_recipe(K, recipe, arrays)` runs it with ``K`` = ``keras`` or
``kerasx`` (this module imports neither) and returns ``{output name: float64 array or
"raises <ExceptionClass>"}``.  ``family_fuzz_losses_metrics.py`` records Keras's outputs;
the tests replay them in kerasx.
"""

import json
import random

import numpy as np

REDUCTIONS = ["sum", "sum_over_batch_size", "mean", "mean_with_sample_weight", "none", None]

# loss class -> (data kind, function name or None, keyword draws)
LOSSES = {
    "MeanSquaredError": ("reg", "mean_squared_error", {}),
    "MeanAbsoluteError": ("reg", "mean_absolute_error", {}),
    "MeanAbsolutePercentageError": ("reg", "mean_absolute_percentage_error", {}),
    "MeanSquaredLogarithmicError": ("pos", "mean_squared_logarithmic_error", {}),
    "Huber": ("reg", "huber", {"delta": [0.3, 1.0, 2.5]}),
    "LogCosh": ("reg", "log_cosh", {}),
    "CosineSimilarity": ("reg", "cosine_similarity", {"axis": [-1, 1, 0]}),
    "Poisson": ("pos", "poisson", {}),
    "KLDivergence": ("cat", "kl_divergence", {}),
    "BinaryCrossentropy": ("bin", "binary_crossentropy",
                           {"from_logits": [False, True], "label_smoothing": [0.0, 0.1, 0.5],
                            "axis": [-1, 1]}),
    "BinaryFocalCrossentropy": ("bin", "binary_focal_crossentropy",
                                {"apply_class_balancing": [False, True], "alpha": [0.25, 0.6],
                                 "gamma": [0.0, 2.0, 3.5], "from_logits": [False, True],
                                 "label_smoothing": [0.0, 0.2], "axis": [-1, 1]}),
    "CategoricalCrossentropy": ("cat", "categorical_crossentropy",
                                {"from_logits": [False, True], "label_smoothing": [0.0, 0.1, 0.3],
                                 "axis": [-1, 1]}),
    "CategoricalFocalCrossentropy": ("cat", "categorical_focal_crossentropy",
                                     {"alpha": [0.25, 0.5], "gamma": [0.0, 2.0],
                                      "from_logits": [False, True],
                                      "label_smoothing": [0.0, 0.2], "axis": [-1, 1]}),
    "SparseCategoricalCrossentropy": ("sparse", "sparse_categorical_crossentropy",
                                      {"from_logits": [False, True],
                                       "ignore_class": [None, 0, -1]}),
    "CategoricalGeneralizedCrossEntropy": ("sparse", "categorical_generalized_cross_entropy",
                                           {"q": [0.1, 0.5, 0.9]}),
    "Hinge": ("pm1", "hinge", {}),
    "SquaredHinge": ("pm1", "squared_hinge", {}),
    "CategoricalHinge": ("cat", "categorical_hinge", {}),
    "Dice": ("seg", "dice", {"axis": [None, [1], [1, 2]]}),
    "Tversky": ("seg", "tversky", {"alpha": [0.3, 0.5, 0.7], "beta": [0.5, 0.7],
                                   "axis": [None, [1]]}),
}
LOSS_STRINGS = {
    "reg": ["mse", "mae", "mape", "MSE", "MAE", "mean_squared_error", "huber", "log_cosh",
            "log_cosh", "cosine_similarity", "MeanSquaredError", "Huber", "LogCosh"],
    "pos": ["msle", "MSLE", "poisson", "Poisson"],
    "bin": ["binary_crossentropy", "bce", "BinaryCrossentropy", "binary_focal_crossentropy",
            "BinaryFocalCrossentropy"],
    "cat": ["categorical_crossentropy", "kld", "KLD", "kl_divergence", "categorical_hinge",
            "CategoricalCrossentropy", "categorical_focal_crossentropy"],
    "sparse": ["sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"],
    "pm1": ["hinge", "squared_hinge", "Hinge"],
    "seg": ["dice", "tversky", "Dice"],
}


class _Draw:
    """Seeded choices and array makers for one recipe."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.np = np.random.default_rng(seed)

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def coin(self, p=0.5):
        return self.r.random() < p

    def shape(self, min_rank=1, max_rank=4, min_last=1):
        rank = self.r.randint(min_rank, max_rank)
        batch = self.pick([1, 1, 2, 3, 4])
        dims = [self.r.randint(1, 3) for _ in range(rank - 2)]
        shape = [batch] + dims + ([self.r.randint(max(min_last, 1), 4)] if rank > 1 else [])
        return shape

    def probs(self, shape, extreme=False, axis=-1, normalize=False):
        p = self.np.uniform(0.02, 0.98, shape)
        if extreme:
            mask = self.np.random(shape) < 0.3
            p = np.where(mask, self.np.integers(0, 2, shape).astype(float), p)
        if normalize:
            p = p / p.sum(axis=axis, keepdims=True)
        return p

    def logits(self, shape, extreme=False):
        scale = self.pick([1.0, 3.0, 40.0]) if extreme else 2.0
        return self.np.normal(0, scale, shape)

    def float_array(self, a, dtypes=("float32",)):
        return np.asarray(a, self.pick(list(dtypes)))


def _label_cast(d, y, kinds=("float32", "int32", "bool", "int64", "float64")):
    kind = d.pick(list(kinds))
    if kind == "bool":
        return y.astype(bool)
    return y.astype(kind)


def _draw_loss_data(d, kind, kw):
    """Labels and predictions for a data kind; may adjust kw (axis of the classes)."""
    extreme = d.coin(0.3)
    pred_dtypes = ("float32",) * 4 + ("float16", "float64")
    from_logits = kw.get("from_logits", False)
    if kind in ("reg", "pos"):
        shape = d.shape()
        y_true = d.np.normal(0, 1.5, shape)
        y_pred = d.np.normal(0, 1.5, shape)
        if kind == "pos":
            y_true, y_pred = np.abs(y_true), np.abs(y_pred)
        if extreme:
            y_true.flat[0] = 0.0
        y_true = d.float_array(y_true, ("float32", "float32", "float64"))
        if d.coin(0.2):
            y_true = np.round(y_true).astype("int32")
        return y_true, d.float_array(y_pred, pred_dtypes)
    if kind == "bin":
        shape = d.shape()
        y_true = d.np.integers(0, 2, shape)
        y_pred = d.logits(shape, extreme) if from_logits else d.probs(shape, extreme)
        return _label_cast(d, y_true), d.float_array(y_pred, pred_dtypes)
    if kind == "pm1":
        shape = d.shape()
        y_true = d.np.integers(0, 2, shape)
        if d.coin():
            y_true = 2 * y_true - 1
        return _label_cast(d, y_true, ("float32", "int32")), d.float_array(
            d.np.normal(0, 1.5, shape), pred_dtypes)
    if kind == "cat":
        shape = d.shape(min_rank=1, min_last=2)
        axis = kw.get("axis", -1)
        if axis == 1 and len(shape) < 3:
            kw["axis"] = -1
            axis = -1
        n = shape[axis]
        ids = d.np.integers(0, n, [s for i, s in enumerate(shape) if i != axis % len(shape)])
        y_true = np.moveaxis(np.eye(n)[ids], -1, axis)
        if d.coin(0.2):
            y_true = d.probs(shape, normalize=True, axis=axis)
        if from_logits:
            y_pred = d.logits(shape, extreme)
        else:
            y_pred = d.probs(shape, extreme, axis=axis, normalize=not extreme)
        labels = ("float32", "int32") if y_true.max() == 1 and y_true.min() == 0 else ("float32",)
        return _label_cast(d, y_true, labels), d.float_array(y_pred, pred_dtypes)
    if kind == "sparse":
        shape = d.shape(min_rank=2, min_last=2)
        n = shape[-1]
        ids = d.np.integers(0, n, shape[:-1])
        if kw.get("ignore_class") is not None and d.coin(0.7):
            ids.flat[0] = kw["ignore_class"]
        if d.coin(0.4):
            ids = ids[..., None]
        y_pred = d.logits(shape, extreme) if from_logits else d.probs(shape, extreme,
                                                                       normalize=not extreme)
        labels = _label_cast(d, ids, ("int32", "int64", "float32"))
        return labels, d.float_array(y_pred, pred_dtypes)
    if kind == "seg":
        shape = d.shape(min_rank=2)
        if kw.get("axis") == [1, 2] and len(shape) < 3:
            kw["axis"] = [1]
        y_true = d.np.integers(0, 2, shape)
        return _label_cast(d, y_true, ("float32", "int32")), d.float_array(
            d.probs(shape, extreme), pred_dtypes)
    raise ValueError(kind)


def _sample_weight(d, shape):
    """A sample weight of a shape drawn among those that broadcast (or not) to the values."""
    b = shape[0]
    choice = d.pick(["scalar", "float", "batch", "batch1", "values", "values1", "zeros",
                     "batch_zero_row"])
    if choice == "float":
        return None, float(d.pick([0.5, 2.0, 0.0]))
    if choice == "scalar":
        return np.asarray(d.pick([0.5, 2.0]), "float32"), None
    if choice in ("batch", "batch_zero_row"):
        w = d.np.uniform(0.0, 2.0, (b,))
        if choice == "batch_zero_row":
            w[0] = 0.0
        return w.astype("float32"), None
    if choice == "batch1":
        return d.np.uniform(0.0, 2.0, (b, 1)).astype("float32"), None
    if choice == "zeros":
        return np.zeros((b,), "float32"), None
    values_shape = list(shape[:-1]) if len(shape) > 1 else [b]
    if choice == "values1":
        values_shape = values_shape + [1]
    return d.np.uniform(0.0, 2.0, values_shape).astype("float32"), None


def random_loss_recipe(d):
    cls = d.pick(sorted(LOSSES))
    kind, fn, draws = LOSSES[cls]
    kw = {k: d.pick(v) for k, v in draws.items() if d.coin(0.6)}
    form = d.pick(["class", "class", "class", "fn", "get", "get_dict"])
    y_true, y_pred = _draw_loss_data(d, kind, kw)
    recipe = {"kind": "loss", "form": form, "class": cls, "fn": fn, "kw": kw}
    arrays = {"y_true": y_true, "y_pred": y_pred}
    if form == "get":
        recipe["string"] = d.pick(LOSS_STRINGS[kind])
        recipe["kw"] = {}
    if form == "get_dict":
        recipe["reduction"] = d.pick(REDUCTIONS[:5])
    if form == "class":
        recipe["reduction"] = d.pick(REDUCTIONS)
        if d.coin(0.2):
            recipe["dtype"] = d.pick(["float64", "float16", "float32", "mixed_float16"])
        if d.coin(0.6):
            sw, number = _sample_weight(d, list(y_pred.shape))
            if sw is not None:
                arrays["sample_weight"] = sw
            else:
                recipe["sample_weight_number"] = number
        recipe["roundtrip"] = d.coin(0.4)
    return recipe, arrays


def _loss_object(K, recipe):
    kw = dict(recipe["kw"])
    if "reduction" in recipe:
        kw["reduction"] = recipe["reduction"]
    if "dtype" in recipe:
        kw["dtype"] = recipe["dtype"]
    return getattr(K.losses, recipe["class"])(**kw)


def _value(x):
    a = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    return a


def _out(result, x):
    a = _value(x)
    result["value"] = a.astype("float64")
    result["dtype"] = str(a.dtype)


def _run_loss(K, recipe, arrays):
    result = {}
    y_true, y_pred = arrays["y_true"], arrays["y_pred"]
    form = recipe["form"]
    if form == "fn":
        _out(result, getattr(K.losses, recipe["fn"])(y_true, y_pred, **recipe["kw"]))
        return result
    if form == "get":
        _out(result, K.losses.get(recipe["string"])(y_true, y_pred))
        return result
    if form == "get_dict":
        config = {**recipe["kw"], "reduction": recipe["reduction"]}
        loss = K.losses.get({"class_name": recipe["class"], "config": config})
        _out(result, loss(y_true, y_pred))
        return result
    loss = _loss_object(K, recipe)
    sw = arrays.get("sample_weight", recipe.get("sample_weight_number"))
    _out(result, loss(y_true, y_pred, sample_weight=sw))
    if recipe.get("roundtrip"):
        config = loss.get_config()
        result["config"] = config
        again = type(loss).from_config(config)
        result["roundtrip_value"] = _value(
            again(y_true, y_pred, sample_weight=sw)).astype("float64")
        if recipe["class"] != "CategoricalGeneralizedCrossEntropy":
            # Keras 3.15.1's `losses.deserialize` returns this class's name as a string
            back = K.losses.deserialize(K.losses.serialize(loss))
            result["deserialized_value"] = _value(
                back(y_true, y_pred, sample_weight=sw)).astype("float64")
    return result


# ------------------------------------------------------------------------------- metrics
# metric class -> (data kind, keyword draws)
METRICS = {
    "Accuracy": ("ids", {}),
    "BinaryAccuracy": ("bin", {"threshold": [0.5, 0.3, 0.8]}),
    "CategoricalAccuracy": ("cat", {}),
    "SparseCategoricalAccuracy": ("sparse", {}),
    "TopKCategoricalAccuracy": ("cat", {"k": [1, 2, 3, 5]}),
    "SparseTopKCategoricalAccuracy": ("sparse", {"k": [1, 2, 3, 5]}),
    "BinaryCrossentropy": ("bin", {"from_logits": [False, True], "label_smoothing": [0.0, 0.2]}),
    "CategoricalCrossentropy": ("cat", {"from_logits": [False, True],
                                        "label_smoothing": [0.0, 0.2], "axis": [-1]}),
    "SparseCategoricalCrossentropy": ("sparse", {"from_logits": [False, True]}),
    "KLDivergence": ("cat", {}),
    "Poisson": ("pos", {}),
    "MeanSquaredError": ("reg", {}),
    "MeanAbsoluteError": ("reg", {}),
    "MeanAbsolutePercentageError": ("reg", {}),
    "MeanSquaredLogarithmicError": ("pos", {}),
    "RootMeanSquaredError": ("reg", {}),
    "CosineSimilarity": ("reg", {"axis": [-1, 1]}),
    "LogCoshError": ("reg", {}),
    "R2Score": ("reg2d", {"class_aggregation": ["uniform_average", "variance_weighted_average",
                                                None], "num_regressors": [0, 1]}),
    "Hinge": ("pm1", {}),
    "SquaredHinge": ("pm1", {}),
    "CategoricalHinge": ("cat", {}),
    "TruePositives": ("bin", {"thresholds": [0.5, [0.2, 0.7], 0.0, 1.0]}),
    "FalsePositives": ("bin", {"thresholds": [0.5, [0.2, 0.7]]}),
    "TrueNegatives": ("bin", {"thresholds": [0.5, [0.2, 0.7]]}),
    "FalseNegatives": ("bin", {"thresholds": [0.5, [0.2, 0.7]]}),
    "Precision": ("bin2d", {"thresholds": [None, 0.3, [0.2, 0.6]], "top_k": [None, 1, 2],
                            "class_id": [None, 0, 2]}),
    "Recall": ("bin2d", {"thresholds": [None, 0.3, [0.2, 0.6]], "top_k": [None, 1, 2],
                         "class_id": [None, 0, 2]}),
    "AUC": ("bin2d", {"num_thresholds": [3, 10, 200], "curve": ["ROC", "PR"],
                      "summation_method": ["interpolation", "minoring", "majoring"],
                      "multi_label": [False, True], "from_logits": [False, True],
                      "thresholds": [None, [0.1, 0.5, 0.9]]}),
    "SensitivityAtSpecificity": ("bin2d", {"specificity": [0.2, 0.5, 0.9],
                                           "num_thresholds": [5, 200], "class_id": [None, 1]}),
    "SpecificityAtSensitivity": ("bin2d", {"sensitivity": [0.2, 0.5, 0.9],
                                           "num_thresholds": [5, 200], "class_id": [None, 1]}),
    "PrecisionAtRecall": ("bin2d", {"recall": [0.2, 0.5, 0.9], "num_thresholds": [5, 200],
                                    "class_id": [None, 1]}),
    "RecallAtPrecision": ("bin2d", {"precision": [0.2, 0.5, 0.9], "num_thresholds": [5, 200],
                                    "class_id": [None, 1]}),
    "F1Score": ("bin2d", {"average": [None, "micro", "macro", "weighted"],
                          "threshold": [None, 0.3, 0.5]}),
    "FBetaScore": ("bin2d", {"average": [None, "micro", "macro", "weighted"],
                             "beta": [0.5, 1.0, 2.0], "threshold": [None, 0.3, 0.5]}),
    "IoU": ("iou", {"target_class_ids": [[0], [1, 2], [0, 2]], "ignore_class": [None, 0, 255],
                    "sparse_y_pred": [True, False], "axis": [-1]}),
    "MeanIoU": ("iou", {"ignore_class": [None, 1, 255], "sparse_y_pred": [True, False]}),
    "BinaryIoU": ("bin", {"target_class_ids": [[0, 1], [0], [1]], "threshold": [0.5, 0.3]}),
    "OneHotIoU": ("onehot_iou", {"target_class_ids": [[0], [1, 2]], "ignore_class": [None, 0],
                                 "sparse_y_pred": [False, True]}),
    "OneHotMeanIoU": ("onehot_iou", {"ignore_class": [None, 2], "sparse_y_pred": [False, True]}),
    "PearsonCorrelation": ("reg2d", {"axis": [-1, 0]}),
    "ConcordanceCorrelation": ("reg2d", {"axis": [-1, 0]}),
    "Mean": ("values", {}),
    "Sum": ("values", {}),
    "MeanMetricWrapper": ("reg", {"fn": ["mean_squared_error", "mean_absolute_error",
                                         "log_cosh", "huber"]}),
}
N_CLASSES = 3


def _metric_batch(d, kind, kw, b, cfg):
    """Arrays of one update of a metric of data kind ``kind`` with batch size ``b``."""
    extra = cfg["extra"]
    if kind == "values":
        return {"values": d.np.normal(0, 2, [b] + extra).astype("float32")}
    if kind in ("reg", "pos", "reg2d"):
        shape = [b] + (extra if kind != "reg2d" else [cfg["n"]])
        yt, yp = d.np.normal(0, 1.5, shape), d.np.normal(0, 1.5, shape)
        if kind == "pos":
            yt, yp = np.abs(yt), np.abs(yp)
        return {"y_true": yt.astype("float32"), "y_pred": yp.astype(cfg["pred_dtype"])}
    if kind in ("bin", "bin2d"):
        shape = [b] + (extra if kind == "bin" else [cfg["n"]])
        yt = d.np.integers(0, 2, shape)
        if kw.get("from_logits"):
            yp = d.logits(shape, cfg["extreme"])
        else:
            yp = d.probs(shape, cfg["extreme"])
        return {"y_true": _label_cast(d, yt, cfg["label_dtypes"]),
                "y_pred": yp.astype(cfg["pred_dtype"])}
    if kind == "pm1":
        shape = [b] + extra
        yt = d.np.integers(0, 2, shape)
        if cfg["pm1"]:
            yt = 2 * yt - 1
        return {"y_true": yt.astype("float32"), "y_pred": d.np.normal(0, 1.5, shape).astype(
            cfg["pred_dtype"])}
    if kind in ("cat", "sparse", "ids"):
        n = cfg["n"]
        shape = [b] + extra[:-1] + [n]
        ids = d.np.integers(0, n, shape[:-1])
        if kw.get("from_logits"):
            yp = d.logits(shape, cfg["extreme"])
        else:
            yp = d.probs(shape, cfg["extreme"], normalize=not cfg["extreme"])
        if cfg["ties"]:
            yp = np.round(yp * 2) / 2
        if kind == "cat":
            return {"y_true": np.eye(n)[ids].astype(cfg["label_dtypes"][0]),
                    "y_pred": yp.astype(cfg["pred_dtype"])}
        if kind == "ids":
            return {"y_true": ids.astype("int32"),
                    "y_pred": d.np.integers(0, n, ids.shape).astype(cfg["label_dtypes"][0])}
        if cfg["trailing1"]:
            ids = ids[..., None]
        return {"y_true": ids.astype(cfg["label_dtypes"][0]),
                "y_pred": yp.astype(cfg["pred_dtype"])}
    if kind == "iou":
        n = N_CLASSES
        shape = [b] + extra[:-1]
        yt = d.np.integers(0, n, shape)
        if kw.get("ignore_class") is not None and d.coin(0.5):
            yt.flat[0] = kw["ignore_class"]
        if kw.get("sparse_y_pred", True):
            yp = d.np.integers(0, n, shape).astype("int32")
        else:
            yp = d.probs(shape + [n], normalize=True).astype("float32")
        return {"y_true": yt.astype("int32"), "y_pred": yp}
    if kind == "onehot_iou":
        n = N_CLASSES
        shape = [b] + extra[:-1]
        ids = d.np.integers(0, n, shape)
        yt = np.eye(n)[ids].astype("float32")
        if kw.get("sparse_y_pred"):
            yp = d.np.integers(0, n, shape).astype("int32")
        else:
            yp = d.probs(shape + [n], normalize=True).astype("float32")
        return {"y_true": yt, "y_pred": yp}
    raise ValueError(kind)


def _metric_kw(d, cls, draws):
    kw = {k: d.pick(v) for k, v in draws.items() if d.coin(0.6)}
    if cls in ("IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"):
        kw["num_classes"] = N_CLASSES
    if cls == "IoU":
        kw.setdefault("target_class_ids", [0, 1])
    if cls == "AUC" and kw.get("multi_label") and d.coin(0.5):
        kw["num_labels"] = N_CLASSES
        if d.coin(0.5):
            kw["label_weights"] = [0.5, 1.0, 2.0]
    if cls == "MeanMetricWrapper":
        kw.setdefault("fn", "mean_squared_error")
    if cls in ("Precision", "Recall") and kw.get("top_k") is not None and kw.get("class_id") == 2:
        kw["class_id"] = 1
    return kw


def random_metric_recipe(d):
    cls = d.pick(sorted(METRICS))
    kind, draws = METRICS[cls]
    kw = _metric_kw(d, cls, draws)
    cfg = {
        "n": N_CLASSES if kind not in ("reg2d",) else d.pick([1, 2, 3]),
        "extra": d.shape(1, 3)[1:] or [],
        "extreme": d.coin(0.3),
        "ties": d.coin(0.2),
        "trailing1": d.coin(0.4),
        "pm1": d.coin(),
        "pred_dtype": d.pick(["float32"] * 5 + ["float64", "float16"]),
        "label_dtypes": [d.pick(["float32", "int32", "float64", "bool", "int64"])],
    }
    if kind in ("cat", "sparse", "ids"):
        cfg["extra"] = cfg["extra"] or [N_CLASSES]
        cfg["extra"][-1] = cfg["n"]
        if cfg["label_dtypes"][0] == "bool":
            cfg["label_dtypes"] = ["int32"]
    if kind in ("iou", "onehot_iou"):
        cfg["extra"] = (cfg["extra"] or [1])
    n_updates = d.pick([1, 2, 3, 4])
    updates = []
    arrays = {}
    for i in range(n_updates):
        b = d.pick([1, 2, 3, 5])
        batch = _metric_batch(d, kind, kw, b, cfg)
        if kind != "values" and d.coin(0.5) or kind == "values" and d.coin(0.5):
            lead = batch["values" if kind == "values" else "y_true"].shape
            how = d.pick(["batch", "batch", "batch1", "scalar", "zeros", "full"])
            if how == "batch":
                sw = d.np.uniform(0, 2, (b,))
            elif how == "batch1":
                sw = d.np.uniform(0, 2, (b, 1))
            elif how == "scalar":
                sw = np.asarray(d.pick([0.5, 2.0]))
            elif how == "zeros":
                sw = np.zeros((b,))
            else:
                sw = d.np.uniform(0, 2, lead)
            batch["sample_weight"] = sw.astype("float32")
        names = []
        for key, value in batch.items():
            arrays[f"u{i}_{key}"] = value
            names.append(key)
        updates.append(names)
    recipe = {"kind": "metric", "class": cls, "kw": kw, "updates": updates,
              "reset_then": d.pick([None, 0, n_updates - 1]), "roundtrip": d.coin(0.3),
              "call": d.coin(0.2)}
    if d.coin(0.15):
        recipe["dtype"] = d.pick(["float64", "float16"])
    return recipe, arrays


def _metric_object(K, recipe):
    kw = dict(recipe["kw"])
    if recipe["class"] == "MeanMetricWrapper":
        kw["fn"] = getattr(K.losses, kw["fn"])
    if "dtype" in recipe:
        kw["dtype"] = recipe["dtype"]
    return getattr(K.metrics, recipe["class"])(**kw)


def _update(metric, recipe, arrays, i):
    names = recipe["updates"][i]
    args = [arrays[f"u{i}_{n}"] for n in names if n != "sample_weight"]
    sw = arrays.get(f"u{i}_sample_weight")
    update = metric if recipe.get("call") else metric.update_state
    if sw is None:
        return update(*args)
    return update(*args, sample_weight=sw)


def _run_metric(K, recipe, arrays):
    result = {}
    metric = _metric_object(K, recipe)
    for i in range(len(recipe["updates"])):
        returned = _update(metric, recipe, arrays, i)
        _out(result, metric.result())
        result[f"result{i}"] = result.pop("value")
        if recipe.get("call"):
            result[f"returned{i}"] = _value(returned).astype("float64")
    if recipe["reset_then"] is not None:
        metric.reset_state()
        result["after_reset"] = _value(metric.result()).astype("float64")
        _update(metric, recipe, arrays, recipe["reset_then"])
        result["reset_result"] = _value(metric.result()).astype("float64")
    if recipe["roundtrip"]:
        config = metric.get_config()
        result["config"] = config
        again = type(metric).from_config(config) if recipe["class"] != "MeanMetricWrapper" else None
        if again is not None:
            _update(again, recipe, arrays, 0)
            result["roundtrip_value"] = _value(again.result()).astype("float64")
    return result


# ------------------------------------------------------------------------------- compile
# head kind -> (activation, losses, metric strings and objects)
HEADS = {
    "reg": (None, ["mse", "mae", "huber", "log_cosh", "MeanSquaredError", "msle"],
            ["mse", "mae", "mape", "msle", "acc", "accuracy", "RootMeanSquaredError",
             "cosine_similarity", "LogCoshError", "R2Score", "mean_squared_error"]),
    "bin": ("sigmoid", ["binary_crossentropy", "bce", "ce", "crossentropy",
                        "BinaryFocalCrossentropy", "hinge", "squared_hinge", "mse"],
            ["acc", "accuracy", "binary_accuracy", "AUC", "Precision",
             "Recall", "bce", "mse", "F1Score", "hinge", "TruePositives", "auc"]),
    "cat": ("softmax", ["categorical_crossentropy", "kld", "ce", "crossentropy",
                        "CategoricalFocalCrossentropy", "categorical_hinge", "poisson", "mse"],
            ["acc", "accuracy", "categorical_accuracy",
             "top_k_categorical_accuracy", "AUC", "categorical_crossentropy",
             "F1Score", "categorical_hinge", "Precision"]),
    "sparse": ("softmax", ["sparse_categorical_crossentropy", "SparseCategoricalCrossentropy",
                           "ce", "crossentropy"],
               ["acc", "accuracy", "sparse_categorical_accuracy",
                "sparse_top_k_categorical_accuracy", "sparse_categorical_crossentropy"]),
}


def random_compile_recipe(d):
    n_out = d.pick([1, 1, 2])
    heads = [d.pick(sorted(HEADS)) for _ in range(n_out)]
    b, n_in = d.pick([3, 4, 6]), 3
    arrays = {"x": d.np.normal(0, 1, (b, n_in)).astype("float32")}
    outs = []
    for i, head in enumerate(heads):
        units = 1 if head == "bin" else d.pick([2, 3])
        act, losses, metric_names = HEADS[head]
        arrays[f"kernel{i}"] = d.np.normal(0, 0.7, (n_in, units)).astype("float32")
        arrays[f"bias{i}"] = d.np.normal(0, 0.2, (units,)).astype("float32")
        if head == "reg":
            y = d.np.normal(0, 1, (b, units))
            if d.coin(0.3):
                y = np.abs(y)
        elif head == "bin":
            y = d.np.integers(0, 2, (b, units))
        elif head == "cat":
            y = np.eye(units)[d.np.integers(0, units, b)]
        else:
            y = d.np.integers(0, units, (b,) + ((1,) if d.coin() else ()))
        arrays[f"y{i}"] = y.astype(d.pick(["float32", "int32"]) if head != "reg" else "float32")
        k = d.pick([1, 2, 3])
        outs.append({"units": units, "activation": act, "loss": d.pick(losses),
                     "metrics": [d.pick(metric_names) for _ in range(k)],
                     "weighted": [d.pick(metric_names)] if d.coin(0.4) else []})
        if head == "reg" and "R2Score" in outs[-1]["metrics"] + outs[-1]["weighted"] and b < 3:
            outs[-1]["metrics"] = ["mse"]
    recipe = {"kind": "compile", "outputs": outs, "structure": d.pick(["list", "dict"])
              if n_out > 1 else "single", "sample_weight": d.coin(0.5)}
    if recipe["sample_weight"]:
        arrays["sample_weight"] = d.np.uniform(0, 2, (b,)).astype("float32")
    if n_out > 1 and d.coin(0.5):
        recipe["loss_weights"] = [d.pick([0.5, 1.0, 2.0]) for _ in range(n_out)]
    return recipe, arrays


def _by_structure(recipe, values):
    if recipe["structure"] == "single":
        return values[0]
    if recipe["structure"] == "dict":
        return {f"out{i}": v for i, v in enumerate(values)}
    return list(values)


def _run_compile(K, recipe, arrays):
    inp = K.Input((arrays["x"].shape[1],))
    outs = [K.layers.Dense(o["units"], activation=o["activation"], name=f"out{i}")(inp)
            for i, o in enumerate(recipe["outputs"])]
    model = K.Model(inp, _by_structure(recipe, outs))
    model.set_weights([arrays[f"{k}{i}"] for i in range(len(outs)) for k in ("kernel", "bias")])
    spec = recipe["outputs"]
    kwargs = {}
    if "loss_weights" in recipe:
        kwargs["loss_weights"] = _by_structure(recipe, recipe["loss_weights"])
    if any(o["weighted"] for o in spec):
        kwargs["weighted_metrics"] = _by_structure(recipe, [o["weighted"] for o in spec])
    model.compile(optimizer="sgd", loss=_by_structure(recipe, [o["loss"] for o in spec]),
                  metrics=_by_structure(recipe, [o["metrics"] for o in spec]), **kwargs)
    y = _by_structure(recipe, [arrays[f"y{i}"] for i in range(len(outs))])
    logs = model.evaluate(arrays["x"], y, sample_weight=arrays.get("sample_weight"),
                          batch_size=2, verbose=0, return_dict=True)
    result = {"keys": list(logs)}
    for key, value in logs.items():
        result[f"log_{key}"] = np.asarray(value, "float64")
    return result


def keras_time_weight_bug(recipe, arrays):
    """Whether Keras 3.15.1 aligns a sample weight with the loss values from the right.

    Keras multiplies per-timestep loss values of shape `(batch, ..., T)` by a weight of
    lower rank, `(batch,)` or `(batch, 1)`, broadcasting from the right: it raises unless
    the shapes happen to fit, and then weights timesteps (or makes a `(batch, batch, T)`
    product) instead of samples.  kerasx weights samples.
    """
    sw = arrays.get("sample_weight")
    return (recipe["kind"] == "loss" and sw is not None
            and 1 <= sw.ndim < arrays["y_pred"].ndim - 1)


def random_recipe(seed):
    d = _Draw(seed)
    u = d.r.random()
    if u < 0.4:
        return random_loss_recipe(d)
    if u < 0.85:
        return random_metric_recipe(d)
    return random_compile_recipe(d)


def run_recipe(K, recipe, arrays):
    """Outputs of a recipe; an exception becomes ``{"raises": class name}``."""
    try:
        if recipe["kind"] == "loss":
            return _run_loss(K, recipe, arrays)
        if recipe["kind"] == "compile":
            return _run_compile(K, recipe, arrays)
        return _run_metric(K, recipe, arrays)
    except Exception as e:  # noqa: BLE001 - recorded and compared by class name
        return {"raises": type(e).__name__, "message": str(e)[:300]}


# Metric names Keras 3.15.1's `metrics.get` refuses ("Could not interpret metric
# identifier") and kerasx accepts on purpose: every loss name is also a metric there.
KERASX_ONLY_METRIC_NAMES = {"kld", "logcosh", "log_cosh"}


def _uses_kerasx_only_metric_name(recipe):
    names = [m for o in recipe.get("outputs", []) for m in o["metrics"] + o["weighted"]]
    return bool(KERASX_ONLY_METRIC_NAMES.intersection(names))


def _tolerance(recipe, arrays):
    """float16 anywhere in a recipe: 2e-3 relative (half precision); else 2e-5."""
    dtypes = [str(a.dtype) for a in arrays.values()] + [str(recipe.get("dtype"))]
    return 2e-3 if "float16" in dtypes else 2e-5


def differences(recipe, arrays, expected, outputs, got):
    """How kerasx's `run_recipe` result ``got`` differs from Keras's.

    ``expected`` holds Keras's array outputs and ``outputs`` its other outputs (the
    golden case's ``out_<name>`` arrays and ``outputs`` field).  A float32 result where
    kerasx gives float64 is accepted when the recipe has float64 inputs or dtype: JAX
    runs without 64-bit types and truncates them, kerasx keeps them.
    """
    if "raises" in outputs or "raises" in got:
        if outputs.get("raises") == "ValueError" and "raises" not in got and \
                _uses_kerasx_only_metric_name(recipe):
            return []
        if outputs.get("raises") != got.get("raises"):
            return [f"raises: Keras {outputs.get('raises')}, kerasx {got.get('raises')} "
                    f"{got.get('message', '')}"]
        return []
    got = {k: v if hasattr(v, "dtype") else json.loads(json.dumps(v)) for k, v in got.items()}
    found = []
    float64 = any(str(a.dtype) == "float64" for a in arrays.values()) or \
        recipe.get("dtype") == "float64"
    for key, value in outputs.items():
        if key == "dtype" and float64 and (value, got.get(key)) == ("float32", "float64"):
            continue
        if got.get(key) != value:
            found.append(f"{key}: Keras {value}, kerasx {got.get(key)}")
    tol = _tolerance(recipe, arrays)
    for key, value in expected.items():
        mine = np.asarray(got.get(key, np.nan), "float64")
        value = np.asarray(value, "float64")
        if recipe.get("class") == "R2Score" and not np.all(np.isfinite(value)):
            # zero variance (one sample seen): 0 / 0 in Keras, rounding-sized in float64
            continue
        if mine.shape != value.shape or not np.allclose(mine, value, rtol=tol, atol=tol / 20,
                                                        equal_nan=True):
            found.append(f"{key}: Keras {value.ravel()[:8]}, kerasx {mine.ravel()[:8]}")
    return found


def split_case(case):
    """A golden case (`loader.load_cases`) as (recipe, inputs, Keras's arrays, other outputs)."""
    inputs = {k: v for k, v in case["arrays"].items() if not k.startswith("out_")}
    expected = {k[4:]: v for k, v in case["arrays"].items() if k.startswith("out_")}
    return case["config"], inputs, expected, case["outputs"]


def uses_float16(recipe, arrays):
    """Whether a recipe needs float16 (inputs, loss / metric dtype, or a mixed policy)."""
    return "float16" in json.dumps(recipe) or any(str(a.dtype) == "float16"
                                                  for a in arrays.values())
