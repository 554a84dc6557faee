"""Regenerate the golden reference files in this folder from real Keras 3.

Only this script imports keras; kerasx's tests read the results through
``loader.py`` with NumPy alone.  Run it (see README.md) as::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python tests/golden/make_golden.py

Every family is written by one ``make_<family>()`` function into
``<family>.npz`` plus the sidecar ``<family>.cases.json``.  Arrays are stored
under ``"<case name>/<array name>"``.  Inputs are tiny and fixed by
``np.random.default_rng(<seed>)``; each family has its own seed.
"""

import importlib
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras import ops  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FORMAT_VERSION = 1


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def to_np(x):
    """Convert a keras tensor / python number to a NumPy array."""
    return np.asarray(ops.convert_to_numpy(x))


def jsonable(obj):
    """Make a config JSON friendly: tuples -> lists, numpy -> python."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return repr(obj)


def obj_ref(module, cls, config):
    """A nested object inside a config (e.g. a schedule or a wrapped layer)."""
    return {"__class__": cls, "__module__": module, "config": config}


def build_obj(value):
    """Instantiate nested ``obj_ref`` values inside a config, recursively."""
    if isinstance(value, dict) and "__class__" in value:
        mod = {
            "keras.layers": keras.layers,
            "keras.optimizers.schedules": keras.optimizers.schedules,
        }[value["__module__"]]
        cfg = {k: build_obj(v) for k, v in value["config"].items()}
        return getattr(mod, value["__class__"])(**cfg)
    if isinstance(value, dict):
        return {k: build_obj(v) for k, v in value.items()}
    return value


class Golden:
    """Collect cases of one family and write ``<family>.npz`` + json."""

    def __init__(self, family, seed, description):
        self.family = family
        self.seed = seed
        self.description = description
        self.cases = []
        self.arrays = {}

    def add(self, name, cls, module, config, arrays, **meta):
        assert "/" not in name, name
        assert all(c["name"] != name for c in self.cases), name
        entry = {
            "name": name,
            "class": cls,
            "module": module,
            "config": jsonable(config),
        }
        entry.update({k: jsonable(v) for k, v in meta.items()})
        entry["arrays"] = {}
        for key, value in arrays.items():
            if value is None:
                continue
            arr = np.asarray(value)
            if arr.dtype == np.float64:
                arr = arr.astype(np.float32)
            self.arrays[f"{name}/{key}"] = arr
            entry["arrays"][key] = {
                "dtype": str(arr.dtype),
                "shape": list(arr.shape),
            }
        self.cases.append(entry)

    def write(self):
        npz_path = os.path.join(HERE, f"{self.family}.npz")
        json_path = os.path.join(HERE, f"{self.family}.cases.json")
        np.savez_compressed(npz_path, **self.arrays)
        doc = {
            "format_version": FORMAT_VERSION,
            "family": self.family,
            "npz": f"{self.family}.npz",
            "description": self.description,
            "seed": self.seed,
            "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
            "cases": self.cases,
        }
        with open(json_path, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=False)
            f.write("\n")
        print(f"{self.family}: {len(self.cases)} cases")


def f32(a):
    return np.asarray(a, dtype=np.float32)


# --------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------


def make_activations():
    g = Golden(
        "activations",
        seed=1,
        description="keras.activations.<fn>(x, **config) -> y",
    )
    rng = np.random.default_rng(1)
    fixed = [-6.0, -4.0, -3.0, -2.5, -1.0, -0.5, -0.1, 0.0,
             0.1, 0.5, 1.0, 2.5, 3.0, 4.0, 6.0, 0.0]
    x = f32(np.concatenate([fixed, rng.uniform(-5, 5, 8)]).reshape(4, 6))
    x3 = f32(rng.uniform(-4, 4, (2, 3, 4)))

    cases = [
        ("relu", "relu", {}),
        ("relu_negative_slope", "relu", {"negative_slope": 0.1}),
        ("relu_max_value", "relu", {"max_value": 2.0}),
        ("relu_threshold", "relu", {"threshold": 0.5}),
        ("relu_all", "relu",
         {"negative_slope": 0.2, "max_value": 3.0, "threshold": 1.0}),
        ("sigmoid", "sigmoid", {}),
        ("softmax", "softmax", {}),
        ("softmax_axis0", "softmax", {"axis": 0}),
        ("tanh", "tanh", {}),
        ("linear", "linear", {}),
        ("elu", "elu", {}),
        ("elu_alpha", "elu", {"alpha": 0.5}),
        ("selu", "selu", {}),
        ("softplus", "softplus", {}),
        ("softsign", "softsign", {}),
        ("exponential", "exponential", {}),
        ("gelu_default", "gelu", {}),
        ("gelu_approximate", "gelu", {"approximate": True}),
        ("gelu_exact", "gelu", {"approximate": False}),
        ("silu", "silu", {}),
        ("swish", "swish", {}),
        ("hard_sigmoid", "hard_sigmoid", {}),
        ("hard_silu", "hard_silu", {}),
        ("hard_swish", "hard_swish", {}),
        ("relu6", "relu6", {}),
        ("leaky_relu_default", "leaky_relu", {}),
        ("leaky_relu_slope", "leaky_relu", {"negative_slope": 0.1}),
        ("log_softmax", "log_softmax", {}),
        ("log_softmax_axis0", "log_softmax", {"axis": 0}),
        ("mish", "mish", {}),
        ("celu", "celu", {}),
        ("celu_alpha", "celu", {"alpha": 2.0}),
        ("glu", "glu", {}),
        ("hard_shrink", "hard_shrink", {}),
        ("hard_shrink_threshold", "hard_shrink", {"threshold": 1.0}),
        ("soft_shrink", "soft_shrink", {}),
        ("soft_shrink_threshold", "soft_shrink", {"threshold": 1.0}),
        ("hard_tanh", "hard_tanh", {}),
        ("tanh_shrink", "tanh_shrink", {}),
        ("log_sigmoid", "log_sigmoid", {}),
        ("sparse_plus", "sparse_plus", {}),
        ("sparse_sigmoid", "sparse_sigmoid", {}),
        ("sparsemax", "sparsemax", {}),
        ("squareplus", "squareplus", {}),
        ("squareplus_b", "squareplus", {"b": 1.0}),
        ("threshold", "threshold", {"threshold": 0.5, "default_value": -1.0}),
    ]
    for name, fn, cfg in cases:
        y = getattr(keras.activations, fn)(x, **cfg)
        g.add(name, fn, "keras.activations", cfg, {"x": x, "y": to_np(y)})

    # rank-3 inputs for the axis-aware ones
    for name, fn, cfg in [
        ("softmax_rank3_axis1", "softmax", {"axis": 1}),
        ("softmax_rank3", "softmax", {}),
        ("log_softmax_rank3_axis1", "log_softmax", {"axis": 1}),
        ("glu_rank3", "glu", {}),
        ("sparsemax_rank3_axis1", "sparsemax", {"axis": 1}),
    ]:
        y = getattr(keras.activations, fn)(x3, **cfg)
        g.add(name, fn, "keras.activations", cfg, {"x": x3, "y": to_np(y)})
    g.write()


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------


def _softmax_np(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def make_losses():
    g = Golden(
        "losses",
        seed=2,
        description=(
            "For each r in 'reductions': loss = keras.losses.<Class>("
            "**config, reduction=r); loss__<r> = loss(y_true, y_pred); "
            "loss__<r>__sw = loss(y_true, y_pred, sample_weight="
            "sample_weight) (only when the case has a 'sample_weight' "
            "array).  'fn_values' = loss.call(y_true, y_pred): the "
            "per-sample values before weighting and reduction.  'raises' "
            "maps an output key to the exception Keras raised instead."
        ),
    )
    rng = np.random.default_rng(2)
    B, C = 4, 3

    def onehot(idx, n):
        return np.eye(n, dtype=np.float32)[idx]

    labels = np.array([0, 2, 1, 2])
    data = {
        # regression, strictly positive values (MAPE / MSLE / Poisson ok)
        "reg": (f32(rng.uniform(0.5, 3.0, (B, C))),
                f32(rng.uniform(0.1, 3.0, (B, C)))),
        # regression with negatives and a zero in y_true
        "reg_signed": (f32(np.array([[0.0, -1.0, 2.0], [1.5, 0.3, -0.7],
                                     [-2.0, 0.0, 0.5], [3.0, -0.2, 1.0]])),
                       f32(rng.normal(0, 1.5, (B, C)))),
        # binary labels {0,1} vs probabilities
        "bin_prob": (f32(rng.integers(0, 2, (B, C))),
                     f32(rng.uniform(0.05, 0.95, (B, C)))),
        # probabilities that hit exactly 0 and 1 (epsilon clipping)
        "bin_prob_edge": (f32([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]),
                          f32([[1.0, 0.0, 0.0], [1.0, 0.5, 0.0],
                               [0.9, 1.0, 1.0], [0.2, 0.0, 1.0]])),
        "bin_logits": (f32(rng.integers(0, 2, (B, C))),
                       f32(rng.normal(0, 3, (B, C)))),
        # categorical
        "cat_prob": (onehot(labels, C),
                     f32(_softmax_np(rng.normal(0, 1.5, (B, C))))),
        "cat_prob_edge": (onehot(labels, C),
                          f32([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0],
                               [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])),
        "cat_logits": (onehot(labels, C), f32(rng.normal(0, 2, (B, C)))),
        # unnormalised positive "probabilities" (keras renormalises)
        "cat_unnormalised": (onehot(labels, C),
                             f32(rng.uniform(0.1, 2.0, (B, C)))),
        "sparse_prob": (labels.astype(np.int32),
                        f32(_softmax_np(rng.normal(0, 1.5, (B, C))))),
        "sparse_prob_col": (labels.astype(np.int32).reshape(B, 1),
                            f32(_softmax_np(rng.normal(0, 1.5, (B, C))))),
        "sparse_logits": (labels.astype(np.int32),
                          f32(rng.normal(0, 2, (B, C)))),
        "sparse_ignore": (np.array([0, -1, 1, 2], np.int32),
                          f32(rng.normal(0, 2, (B, C)))),
        # distributions for KLD (rows sum to 1)
        "dist": (f32(_softmax_np(rng.normal(0, 1, (B, C)))),
                 f32(_softmax_np(rng.normal(0, 1, (B, C))))),
        # dist with zeros in y_true (KLD clipping)
        "dist_edge": (f32([[0.0, 0.3, 0.7], [1.0, 0.0, 0.0],
                           [0.2, 0.2, 0.6], [0.5, 0.5, 0.0]]),
                      f32(_softmax_np(rng.normal(0, 1, (B, C))))),
        # rank-3 regression: (B, T, C)
        "reg_rank3": (f32(rng.normal(0, 1, (B, 2, C))),
                      f32(rng.normal(0, 1, (B, 2, C)))),
    }
    sw = f32([1.0, 0.5, 0.0, 2.0])
    sw_rank3 = f32(rng.uniform(0, 2, (B, 2)))

    loss_cases = [
        ("MSE", "MeanSquaredError", {}, "reg_signed"),
        ("MAE", "MeanAbsoluteError", {}, "reg_signed"),
        ("MAPE", "MeanAbsolutePercentageError", {}, "reg_signed"),
        ("MSLE", "MeanSquaredLogarithmicError", {}, "reg"),
        ("SquaredHinge", "SquaredHinge", {}, "bin_logits"),
        ("SquaredHinge_pm1", "SquaredHinge", {}, "reg_signed"),
        ("Hinge", "Hinge", {}, "bin_logits"),
        ("CategoricalHinge", "CategoricalHinge", {}, "cat_logits"),
        ("LogCosh", "LogCosh", {}, "reg_signed"),
        ("Huber", "Huber", {}, "reg_signed"),
        ("Huber_delta0.5", "Huber", {"delta": 0.5}, "reg_signed"),
        ("CCE", "CategoricalCrossentropy", {}, "cat_prob"),
        ("CCE_edge", "CategoricalCrossentropy", {}, "cat_prob_edge"),
        ("CCE_unnormalised", "CategoricalCrossentropy", {},
         "cat_unnormalised"),
        ("CCE_logits", "CategoricalCrossentropy", {"from_logits": True},
         "cat_logits"),
        ("CCE_ls", "CategoricalCrossentropy", {"label_smoothing": 0.1},
         "cat_prob"),
        ("CCE_logits_ls", "CategoricalCrossentropy",
         {"from_logits": True, "label_smoothing": 0.2}, "cat_logits"),
        ("SCCE", "SparseCategoricalCrossentropy", {}, "sparse_prob"),
        ("SCCE_col", "SparseCategoricalCrossentropy", {}, "sparse_prob_col"),
        ("SCCE_logits", "SparseCategoricalCrossentropy",
         {"from_logits": True}, "sparse_logits"),
        ("SCCE_ignore", "SparseCategoricalCrossentropy",
         {"from_logits": True, "ignore_class": -1}, "sparse_ignore"),
        ("SCCE_ignore_class1", "SparseCategoricalCrossentropy",
         {"from_logits": True, "ignore_class": 1}, "sparse_logits"),
        ("BCE", "BinaryCrossentropy", {}, "bin_prob"),
        ("BCE_edge", "BinaryCrossentropy", {}, "bin_prob_edge"),
        ("BCE_logits", "BinaryCrossentropy", {"from_logits": True},
         "bin_logits"),
        ("BCE_ls", "BinaryCrossentropy", {"label_smoothing": 0.2},
         "bin_prob"),
        ("BCE_logits_ls", "BinaryCrossentropy",
         {"from_logits": True, "label_smoothing": 0.2}, "bin_logits"),
        ("BinaryFocal", "BinaryFocalCrossentropy", {}, "bin_prob"),
        ("BinaryFocal_gamma1", "BinaryFocalCrossentropy", {"gamma": 1.0},
         "bin_prob"),
        ("BinaryFocal_balanced", "BinaryFocalCrossentropy",
         {"apply_class_balancing": True, "alpha": 0.3}, "bin_prob"),
        ("BinaryFocal_logits", "BinaryFocalCrossentropy",
         {"from_logits": True}, "bin_logits"),
        ("BinaryFocal_logits_ls", "BinaryFocalCrossentropy",
         {"from_logits": True, "label_smoothing": 0.1,
          "apply_class_balancing": True}, "bin_logits"),
        ("CategoricalFocal", "CategoricalFocalCrossentropy", {}, "cat_prob"),
        ("CategoricalFocal_params", "CategoricalFocalCrossentropy",
         {"alpha": 0.5, "gamma": 1.0}, "cat_prob"),
        ("CategoricalFocal_logits", "CategoricalFocalCrossentropy",
         {"from_logits": True}, "cat_logits"),
        ("CategoricalFocal_ls", "CategoricalFocalCrossentropy",
         {"label_smoothing": 0.1}, "cat_prob"),
        ("KLD", "KLDivergence", {}, "dist"),
        ("KLD_edge", "KLDivergence", {}, "dist_edge"),
        ("Poisson", "Poisson", {}, "reg"),
        ("CosineSimilarity", "CosineSimilarity", {}, "reg_signed"),
        ("CosineSimilarity_axis0", "CosineSimilarity", {"axis": 0},
         "reg_signed"),
        ("Dice", "Dice", {}, "bin_prob"),
        ("Tversky", "Tversky", {"alpha": 0.3, "beta": 0.7}, "bin_prob"),
        ("CategoricalGeneralizedCE", "CategoricalGeneralizedCrossEntropy",
         {"q": 0.5}, "sparse_prob"),
    ]
    reductions = ["sum_over_batch_size", "sum", "mean",
                  "mean_with_sample_weight", "none"]

    def add_loss_case(name, cls, cfg, key, y_true, y_pred, weight):
        """One case per loss config: every reduction, with/without weight."""
        arrays = {"y_true": y_true, "y_pred": y_pred, "sample_weight": weight}
        raises = {}
        for red in reductions:
            loss = getattr(keras.losses, cls)(**dict(cfg, reduction=red))
            for use_sw in (False, True) if weight is not None else (False,):
                out_key = f"loss__{red}" + ("__sw" if use_sw else "")
                try:
                    out = loss(y_true, y_pred,
                               sample_weight=weight if use_sw else None)
                    arrays[out_key] = to_np(out)
                except Exception as e:  # Keras refuses this combination
                    raises[out_key] = type(e).__name__
        loss = getattr(keras.losses, cls)(**cfg)
        arrays["fn_values"] = to_np(loss.call(y_true, y_pred))
        meta = {"raises": raises} if raises else {}
        g.add(name, cls, "keras.losses", cfg, arrays, reductions=reductions,
              default_name=loss.name, data=key,
              keras_config=loss.get_config(), **meta)

    for base, cls, cfg, key in loss_cases:
        y_true, y_pred = data[key]
        # CosineSimilarity(axis=0) has per-sample output of shape (C,)
        weight = None if cfg.get("axis") == 0 else sw
        add_loss_case(base, cls, cfg, key, y_true, y_pred, weight)

    # rank-3 inputs (B, T, C) with (B, T) and (B,) sample weights
    y_true, y_pred = data["reg_rank3"]
    for base, cls in [("MSE", "MeanSquaredError"),
                      ("MAE", "MeanAbsoluteError"), ("Huber", "Huber")]:
        add_loss_case(f"{base}_rank3", cls, {}, "reg_rank3", y_true, y_pred,
                      sw_rank3)
        add_loss_case(f"{base}_rank3_swB", cls, {}, "reg_rank3", y_true,
                      y_pred, sw)
    g.write()


# --------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------


def make_metrics():
    g = Golden(
        "metrics",
        seed=3,
        description=(
            "m = keras.metrics.<Class>(**config); for i in range(n_batches): "
            "m.update_state(*update_args[i]); result[i] = m.result().  "
            "Arrays y_true/y_pred/sample_weight/values are stacked over "
            "batches on axis 0; 'result' has shape (n_batches, ...)."
        ),
    )
    rng = np.random.default_rng(3)
    NB, B, C = 3, 4, 4

    def stack(fn):
        return np.stack([fn(i) for i in range(NB)])

    onehot = np.eye(C, dtype=np.float32)
    lab = stack(lambda i: rng.integers(0, C, B)).astype(np.int32)
    probs = f32(stack(lambda i: _softmax_np(rng.normal(0, 1.5, (B, C)))))
    # introduce ties in one row to test top-k / argmax tie handling
    probs[0, 0] = f32([0.3, 0.3, 0.2, 0.2])
    data = {
        "cat": (f32(onehot[lab]), probs),
        "sparse": (lab, probs),
        "sparse_col": (lab[..., None], probs),
        "sparse_float": (f32(lab), probs),
        "bin": (f32(stack(lambda i: rng.integers(0, 2, (B, 3)))),
                f32(stack(lambda i: rng.uniform(0, 1, (B, 3))))),
        "bin1d": (f32(stack(lambda i: rng.integers(0, 2, (B * 2,)))),
                  f32(stack(lambda i: rng.uniform(0, 1, (B * 2,))))),
        "multilabel": (f32(stack(lambda i: rng.integers(0, 2, (B, C)))),
                       f32(stack(lambda i: rng.uniform(0, 1, (B, C))))),
        "reg": (f32(stack(lambda i: rng.uniform(0.5, 3, (B, 3)))),
                f32(stack(lambda i: rng.uniform(0.1, 3, (B, 3))))),
        "reg_signed": (f32(stack(lambda i: rng.normal(0, 1, (B, 3)))),
                       f32(stack(lambda i: rng.normal(0, 1, (B, 3))))),
        "labels_eq": (f32(stack(lambda i: rng.integers(0, 3, (B, 2)))),
                      f32(stack(lambda i: rng.integers(0, 3, (B, 2))))),
        "logits": (f32(stack(lambda i: rng.integers(0, 2, (B, 3)))),
                   f32(stack(lambda i: rng.normal(0, 2, (B, 3))))),
        "dist": (f32(stack(lambda i: _softmax_np(rng.normal(0, 1, (B, C))))),
                 probs),
        "values": (f32(stack(lambda i: rng.normal(0, 2, (B,)))), None),
    }
    sw = f32(stack(lambda i: rng.choice([0.0, 0.5, 1.0, 2.0], B)))
    sw8 = f32(stack(lambda i: rng.choice([0.0, 0.5, 1.0, 2.0], B * 2)))

    metric_cases = [
        ("Accuracy", "Accuracy", {}, "labels_eq", True),
        ("BinaryAccuracy", "BinaryAccuracy", {}, "bin", True),
        ("BinaryAccuracy_t0.7", "BinaryAccuracy", {"threshold": 0.7}, "bin",
         False),
        ("CategoricalAccuracy", "CategoricalAccuracy", {}, "cat", True),
        ("SparseCategoricalAccuracy", "SparseCategoricalAccuracy", {},
         "sparse", True),
        ("SparseCategoricalAccuracy_col", "SparseCategoricalAccuracy", {},
         "sparse_col", False),
        ("SparseCategoricalAccuracy_float", "SparseCategoricalAccuracy", {},
         "sparse_float", False),
        ("TopK", "TopKCategoricalAccuracy", {}, "cat", True),
        ("TopK_k2", "TopKCategoricalAccuracy", {"k": 2}, "cat", True),
        ("SparseTopK", "SparseTopKCategoricalAccuracy", {}, "sparse", True),
        ("SparseTopK_k2", "SparseTopKCategoricalAccuracy", {"k": 2},
         "sparse", True),
        ("CosineSimilarity", "CosineSimilarity", {}, "reg_signed", True),
        ("MSE", "MeanSquaredError", {}, "reg_signed", True),
        ("MAE", "MeanAbsoluteError", {}, "reg_signed", True),
        ("MAPE", "MeanAbsolutePercentageError", {}, "reg", True),
        ("MSLE", "MeanSquaredLogarithmicError", {}, "reg", True),
        ("RMSE", "RootMeanSquaredError", {}, "reg_signed", True),
        ("LogCoshError", "LogCoshError", {}, "reg_signed", True),
        ("R2Score", "R2Score", {}, "reg_signed", True),
        ("R2Score_none", "R2Score", {"class_aggregation": None},
         "reg_signed", False),
        ("R2Score_varweighted", "R2Score",
         {"class_aggregation": "variance_weighted_average"}, "reg_signed",
         False),
        ("R2Score_regressors", "R2Score", {"num_regressors": 2},
         "reg_signed", False),
        ("Precision", "Precision", {}, "bin", True),
        ("Precision_thresholds", "Precision",
         {"thresholds": [0.3, 0.5, 0.7]}, "bin", True),
        ("Precision_topk", "Precision", {"top_k": 2}, "multilabel", False),
        ("Precision_classid", "Precision", {"class_id": 1}, "multilabel",
         False),
        ("Recall", "Recall", {}, "bin", True),
        ("Recall_thresholds", "Recall", {"thresholds": [0.3, 0.5, 0.7]},
         "bin", True),
        ("Recall_topk", "Recall", {"top_k": 2}, "multilabel", False),
        ("Recall_classid", "Recall", {"class_id": 1}, "multilabel", False),
        ("F1Score", "F1Score", {}, "multilabel", True),
        ("F1Score_t0.5_micro", "F1Score",
         {"average": "micro", "threshold": 0.5}, "multilabel", True),
        ("F1Score_macro", "F1Score", {"average": "macro", "threshold": 0.5},
         "multilabel", False),
        ("F1Score_weighted", "F1Score",
         {"average": "weighted", "threshold": 0.5}, "multilabel", True),
        ("F1Score_cat_argmax", "F1Score", {"average": "macro"}, "cat", False),
        ("FBetaScore", "FBetaScore", {"beta": 2.0, "threshold": 0.5},
         "multilabel", True),
        ("FBetaScore_micro", "FBetaScore",
         {"beta": 0.5, "average": "micro", "threshold": 0.4}, "multilabel",
         False),
        ("AUC_ROC", "AUC", {}, "bin", True),
        ("AUC_ROC_1d", "AUC", {}, "bin1d", True),
        ("AUC_PR", "AUC", {"curve": "PR"}, "bin", True),
        ("AUC_ROC_minoring", "AUC",
         {"summation_method": "minoring", "num_thresholds": 50}, "bin",
         False),
        ("AUC_ROC_majoring", "AUC",
         {"summation_method": "majoring", "num_thresholds": 50}, "bin",
         False),
        ("AUC_PR_few_thresholds", "AUC",
         {"curve": "PR", "num_thresholds": 10}, "bin", False),
        ("AUC_PR_minoring", "AUC",
         {"curve": "PR", "summation_method": "minoring"}, "bin", False),
        ("AUC_logits", "AUC", {"from_logits": True}, "logits", False),
        ("AUC_multilabel", "AUC", {"multi_label": True, "num_labels": C},
         "multilabel", False),
        ("AUC_thresholds", "AUC", {"thresholds": [0.25, 0.5, 0.75]}, "bin",
         False),
        ("TruePositives", "TruePositives", {}, "bin", True),
        ("TruePositives_thr", "TruePositives",
         {"thresholds": [0.3, 0.5, 0.7]}, "bin", True),
        ("TrueNegatives", "TrueNegatives", {}, "bin", True),
        ("TrueNegatives_thr", "TrueNegatives",
         {"thresholds": [0.3, 0.5, 0.7]}, "bin", True),
        ("FalsePositives", "FalsePositives", {}, "bin", True),
        ("FalsePositives_thr", "FalsePositives",
         {"thresholds": [0.3, 0.5, 0.7]}, "bin", True),
        ("FalseNegatives", "FalseNegatives", {}, "bin", True),
        ("FalseNegatives_thr", "FalseNegatives",
         {"thresholds": [0.3, 0.5, 0.7]}, "bin", True),
        ("BinaryCrossentropy", "BinaryCrossentropy", {}, "bin", True),
        ("BinaryCrossentropy_logits_ls", "BinaryCrossentropy",
         {"from_logits": True, "label_smoothing": 0.1}, "logits", False),
        ("CategoricalCrossentropy", "CategoricalCrossentropy", {}, "cat",
         True),
        ("SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy",
         {}, "sparse", True),
        ("KLDivergence", "KLDivergence", {}, "dist", True),
        ("Poisson", "Poisson", {}, "reg", True),
        ("Hinge", "Hinge", {}, "logits", True),
        ("SquaredHinge", "SquaredHinge", {}, "logits", True),
        ("CategoricalHinge", "CategoricalHinge", {}, "cat", True),
    ]
    for base, cls, cfg, key, also_sw in metric_cases:
        y_true, y_pred = data[key]
        for use_sw in (False, True) if also_sw else (False,):
            weight = None
            if use_sw:
                weight = sw8 if key == "bin1d" else sw
            keras.backend.clear_session()  # un-suffixed auto names
            m = getattr(keras.metrics, cls)(**cfg)
            results = []
            for i in range(NB):
                m.update_state(y_true[i], y_pred[i],
                               sample_weight=None if weight is None
                               else weight[i])
                results.append(to_np(m.result()))
            name = base + ("__sw" if use_sw else "")
            g.add(name, cls, "keras.metrics", cfg,
                  {"y_true": y_true, "y_pred": y_pred,
                   "sample_weight": weight, "result": np.stack(results)},
                  update_args=["y_true", "y_pred"] +
                  (["sample_weight"] if use_sw else []),
                  n_batches=NB, data=key, default_name=m.name,
                  keras_config=m.get_config())

    # Mean / Sum take values (and optional weights)
    values = data["values"][0]
    for cls in ["Mean", "Sum"]:
        for use_sw in (False, True):
            keras.backend.clear_session()
            m = getattr(keras.metrics, cls)()
            results = []
            for i in range(NB):
                m.update_state(values[i],
                               sample_weight=sw[i] if use_sw else None)
                results.append(to_np(m.result()))
            g.add(cls + ("__sw" if use_sw else ""), cls, "keras.metrics", {},
                  {"values": values, "sample_weight": sw if use_sw else None,
                   "result": np.stack(results)},
                  update_args=["values"] +
                  (["sample_weight"] if use_sw else []),
                  n_batches=NB, default_name=m.name,
                  keras_config=m.get_config())
    g.write()


# --------------------------------------------------------------------------
# optimizers
# --------------------------------------------------------------------------


def make_optimizers():
    g = Golden(
        "optimizers",
        seed=4,
        description=(
            "Two keras.Variables initialised to w0_init (3,2) and w1_init (2,); "
            "opt = keras.optimizers.<Class>(**config); for step in range(5): "
            "opt.apply_gradients([(grad0[step], v0), (grad1[step], v1)]); "
            "w0[step], w1[step] = values after that step.  Config values "
            "that are {'__class__', '__module__', 'config'} dicts are nested "
            "objects (a learning-rate schedule)."
        ),
    )
    rng = np.random.default_rng(4)
    NSTEP = 5
    w0_init = f32(rng.normal(0, 1, (3, 2)))
    w1_init = f32(rng.normal(0, 1, (2,)))
    grad0 = f32(rng.normal(0, 1, (NSTEP, 3, 2)))
    grad1 = f32(rng.normal(0, 1, (NSTEP, 2)))
    # one exact zero gradient entry (sign/0 handling in Lion, Ftrl, ...)
    grad0[2, 0, 0] = 0.0

    exp_decay = obj_ref("keras.optimizers.schedules", "ExponentialDecay",
                        {"initial_learning_rate": 0.1, "decay_steps": 2,
                         "decay_rate": 0.5})
    opt_cases = [
        ("SGD", "SGD", {"learning_rate": 0.1}),
        ("SGD_momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        ("SGD_nesterov", "SGD",
         {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
        ("SGD_clipnorm", "SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
        ("SGD_clipvalue", "SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
        ("SGD_global_clipnorm", "SGD",
         {"learning_rate": 0.1, "global_clipnorm": 0.8}),
        ("SGD_weight_decay", "SGD",
         {"learning_rate": 0.1, "weight_decay": 0.2}),
        ("SGD_momentum_weight_decay", "SGD",
         {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.2}),
        ("SGD_schedule", "SGD", {"learning_rate": exp_decay}),
        ("RMSprop", "RMSprop", {"learning_rate": 0.01}),
        ("RMSprop_momentum", "RMSprop",
         {"learning_rate": 0.01, "momentum": 0.9}),
        ("RMSprop_centered", "RMSprop",
         {"learning_rate": 0.01, "centered": True}),
        ("RMSprop_centered_momentum", "RMSprop",
         {"learning_rate": 0.01, "centered": True, "momentum": 0.5,
          "rho": 0.8}),
        ("Adagrad", "Adagrad", {"learning_rate": 0.1}),
        ("Adagrad_init", "Adagrad",
         {"learning_rate": 0.1, "initial_accumulator_value": 1.0}),
        ("Adadelta", "Adadelta", {"learning_rate": 1.0}),
        ("Adadelta_rho", "Adadelta", {"learning_rate": 0.5, "rho": 0.5}),
        ("Adam", "Adam", {"learning_rate": 0.01}),
        ("Adam_amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True}),
        ("Adam_eps", "Adam", {"learning_rate": 0.01, "epsilon": 0.1,
                              "beta_1": 0.8, "beta_2": 0.9}),
        ("Adam_clipnorm", "Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
        ("Adam_clipvalue", "Adam", {"learning_rate": 0.01, "clipvalue": 0.3}),
        ("Adam_global_clipnorm", "Adam",
         {"learning_rate": 0.01, "global_clipnorm": 0.8}),
        ("Adam_weight_decay", "Adam",
         {"learning_rate": 0.01, "weight_decay": 0.2}),
        ("Adam_schedule", "Adam", {"learning_rate": exp_decay}),
        ("AdamW", "AdamW", {"learning_rate": 0.01}),
        ("AdamW_wd", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.2}),
        ("AdamW_amsgrad", "AdamW",
         {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
        ("Adamax", "Adamax", {"learning_rate": 0.01}),
        ("Nadam", "Nadam", {"learning_rate": 0.01}),
        ("Lion", "Lion", {"learning_rate": 0.01}),
        ("Lion_betas", "Lion",
         {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.8}),
        ("Ftrl", "Ftrl", {"learning_rate": 0.1}),
        ("Ftrl_l1l2", "Ftrl",
         {"learning_rate": 0.1, "l1_regularization_strength": 0.05,
          "l2_regularization_strength": 0.1,
          "l2_shrinkage_regularization_strength": 0.05,
          "learning_rate_power": -0.3, "beta": 0.1,
          "initial_accumulator_value": 0.5}),
        ("Lamb", "Lamb", {"learning_rate": 0.01}),
        ("Lamb_betas", "Lamb",
         {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 0.1}),
        ("Lamb_weight_decay", "Lamb", {"learning_rate": 0.01, "weight_decay": 0.2}),
        ("Lamb_schedule", "Lamb", {"learning_rate": exp_decay}),
        ("Adafactor", "Adafactor", {"learning_rate": 0.01}),
        ("Adafactor_large_lr", "Adafactor", {"learning_rate": 0.9}),
        ("Adafactor_options", "Adafactor",
         {"learning_rate": 0.1, "beta_2_decay": -0.5, "epsilon_1": 1e-20,
          "epsilon_2": 0.01, "clip_threshold": 0.5, "relative_step": False}),
        ("Adafactor_clipnorm", "Adafactor", {"learning_rate": 0.01, "clipnorm": 0.5}),
        ("Adafactor_schedule", "Adafactor", {"learning_rate": exp_decay}),
    ]
    for name, cls, cfg in opt_cases:
        opt = getattr(keras.optimizers, cls)(**build_obj(cfg))
        v0 = keras.Variable(w0_init, name="kernel")
        v1 = keras.Variable(w1_init, name="bias")
        w0s, w1s, lrs = [], [], []
        for step in range(NSTEP):
            lrs.append(float(to_np(opt.learning_rate)))
            opt.apply_gradients([(grad0[step], v0), (grad1[step], v1)])
            w0s.append(to_np(v0.value))
            w1s.append(to_np(v1.value))
        g.add(name, cls, "keras.optimizers", cfg,
              {"w0_init": w0_init, "w1_init": w1_init, "grad0": grad0,
               "grad1": grad1, "w0": np.stack(w0s), "w1": np.stack(w1s),
               "learning_rate": f32(lrs)},
              n_steps=NSTEP, variable_names=["kernel", "bias"],
              iterations_after=int(to_np(opt.iterations)),
              keras_config=opt.get_config())
    g.write()


def make_schedules():
    g = Golden(
        "schedules",
        seed=5,
        description=(
            "s = keras.optimizers.schedules.<Class>(**config); "
            "lr[i] = s(steps[i])"
        ),
    )
    steps = np.array([0, 1, 5, 10, 50, 100], np.int64)
    cases = [
        ("ExponentialDecay", "ExponentialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 10,
          "decay_rate": 0.5}),
        ("ExponentialDecay_staircase", "ExponentialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 10,
          "decay_rate": 0.5, "staircase": True}),
        ("PiecewiseConstantDecay", "PiecewiseConstantDecay",
         {"boundaries": [5, 50], "values": [1.0, 0.5, 0.1]}),
        ("PolynomialDecay", "PolynomialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 50,
          "end_learning_rate": 0.01}),
        ("PolynomialDecay_power2", "PolynomialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 50,
          "end_learning_rate": 0.01, "power": 2.0}),
        ("PolynomialDecay_cycle", "PolynomialDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 20,
          "end_learning_rate": 0.01, "power": 0.5, "cycle": True}),
        ("InverseTimeDecay", "InverseTimeDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 10,
          "decay_rate": 0.5}),
        ("InverseTimeDecay_staircase", "InverseTimeDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 10,
          "decay_rate": 0.5, "staircase": True}),
        ("CosineDecay", "CosineDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 60}),
        ("CosineDecay_alpha", "CosineDecay",
         {"initial_learning_rate": 0.1, "decay_steps": 60, "alpha": 0.1}),
        ("CosineDecay_warmup", "CosineDecay",
         {"initial_learning_rate": 0.0, "decay_steps": 60,
          "warmup_target": 0.1, "warmup_steps": 10}),
        ("CosineDecay_warmup_alpha", "CosineDecay",
         {"initial_learning_rate": 0.01, "decay_steps": 60, "alpha": 0.2,
          "warmup_target": 0.1, "warmup_steps": 10}),
        ("CosineDecayRestarts", "CosineDecayRestarts",
         {"initial_learning_rate": 0.1, "first_decay_steps": 8}),
        ("CosineDecayRestarts_params", "CosineDecayRestarts",
         {"initial_learning_rate": 0.1, "first_decay_steps": 8,
          "t_mul": 1.5, "m_mul": 0.8, "alpha": 0.1}),
    ]
    for name, cls, cfg in cases:
        s = getattr(keras.optimizers.schedules, cls)(**cfg)
        lr = f32([to_np(s(int(st))) for st in steps])
        g.add(name, cls, "keras.optimizers.schedules", cfg,
              {"steps": steps, "lr": lr}, keras_config=s.get_config())
    g.write()


# --------------------------------------------------------------------------
# constraints & regularizers
# --------------------------------------------------------------------------


def make_constraints_regularizers():
    g = Golden(
        "constraints_regularizers",
        seed=6,
        description=(
            "kind 'constraint': y = keras.constraints.<Class>(**config)(w).  "
            "kind 'regularizer': penalty = "
            "keras.regularizers.<Class>(**config)(w) (a scalar)."
        ),
    )
    rng = np.random.default_rng(6)
    w = f32(rng.normal(0, 1.5, (4, 3)))
    w[1, 2] = 0.0
    w_tall = f32(rng.normal(0, 1, (5, 3)))
    cons = [
        ("NonNeg", "NonNeg", {}),
        ("UnitNorm", "UnitNorm", {}),
        ("UnitNorm_axis1", "UnitNorm", {"axis": 1}),
        ("MaxNorm", "MaxNorm", {}),
        ("MaxNorm_1_axis0", "MaxNorm", {"max_value": 1.0, "axis": 0}),
        ("MaxNorm_1_axis1", "MaxNorm", {"max_value": 1.0, "axis": 1}),
        ("MinMaxNorm", "MinMaxNorm", {}),
        ("MinMaxNorm_params", "MinMaxNorm",
         {"min_value": 1.5, "max_value": 2.0, "rate": 1.0, "axis": 0}),
        ("MinMaxNorm_rate", "MinMaxNorm",
         {"min_value": 1.5, "max_value": 2.0, "rate": 0.5, "axis": 1}),
    ]
    for name, cls, cfg in cons:
        # keras applies these to variables, i.e. backend tensors
        y = getattr(keras.constraints, cls)(**cfg)(ops.convert_to_tensor(w))
        g.add(name, cls, "keras.constraints", cfg, {"w": w, "y": to_np(y)},
              kind="constraint")
    regs = [
        ("L1", "L1", {"l1": 0.01}, w),
        ("L2", "L2", {"l2": 0.01}, w),
        ("L1L2", "L1L2", {"l1": 0.01, "l2": 0.02}, w),
        ("L1L2_default", "L1L2", {}, w),
        ("Orthogonal_rows", "OrthogonalRegularizer",
         {"factor": 0.01, "mode": "rows"}, w),
        ("Orthogonal_columns", "OrthogonalRegularizer",
         {"factor": 0.01, "mode": "columns"}, w_tall),
    ]
    for name, cls, cfg, ww in regs:
        # backend tensor, as for a variable (the NumPy path of
        # keras.utils.normalize treats axis=0 as axis=-1)
        p = getattr(keras.regularizers, cls)(**cfg)(ops.convert_to_tensor(ww))
        g.add(name, cls, "keras.regularizers", cfg,
              {"w": ww, "penalty": to_np(p)}, kind="regularizer")
    g.write()


# --------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------


def make_layers():
    g = Golden(
        "layers",
        seed=7,
        description=(
            "layer = keras.layers.<Class>(**config); layer.build / first call "
            "on x; layer.set_weights([w0, w1, ...]) (get_weights() order; "
            "names in 'weight_names'); y = layer(x, **call_kwargs).  Layers "
            "with several outputs store y0, y1, ....  BatchNormalization "
            "training cases also store the weights after the call as "
            "w<i>_after."
        ),
    )
    rng = np.random.default_rng(7)

    def rnd(*shape):
        return f32(rng.normal(0, 1, shape))

    x2 = rnd(3, 6)
    x_seq = rnd(3, 5, 4)        # (batch, time, features) / Conv1D input
    x_conv1 = rnd(2, 7, 4)
    x_img = rnd(2, 6, 6, 4)
    x_img_odd = rnd(2, 5, 7, 4)
    x_img_cf = rnd(2, 4, 6, 6)
    x_vol = rnd(2, 4, 5, 4, 2)
    ids = np.array([[0, 3, 9], [2, 2, 7], [5, 1, 0]], np.int32)

    # (name, class, config, x, call_kwargs)
    cases = [
        ("Dense", "Dense", {"units": 3}, x2, {}),
        ("Dense_relu_nobias", "Dense",
         {"units": 2, "activation": "relu", "use_bias": False}, x2, {}),
        ("Dense_rank3", "Dense", {"units": 2}, x_seq, {}),
        ("BatchNormalization_inference", "BatchNormalization", {}, x2,
         {"training": False}),
        ("BatchNormalization_training", "BatchNormalization",
         {"momentum": 0.9}, x2, {"training": True}),
        ("BatchNormalization_training_img", "BatchNormalization",
         {"momentum": 0.8, "epsilon": 0.01}, x_img, {"training": True}),
        ("BatchNormalization_axis1", "BatchNormalization", {"axis": 1},
         x_img_cf, {"training": False}),
        ("BatchNormalization_noscale_nocenter", "BatchNormalization",
         {"center": False, "scale": False}, x2, {"training": True}),
        ("LayerNormalization", "LayerNormalization", {}, x_seq, {}),
        ("LayerNormalization_axes", "LayerNormalization",
         {"axis": [-2, -1], "epsilon": 0.01}, x_seq, {}),
        ("LayerNormalization_nocenter", "LayerNormalization",
         {"center": False}, x_seq, {}),
        ("LayerNormalization_rms", "LayerNormalization",
         {"rms_scaling": True}, x_seq, {}),
        ("RMSNormalization", "RMSNormalization", {}, x_seq, {}),
        ("Embedding", "Embedding", {"input_dim": 10, "output_dim": 4}, ids,
         {}),
        ("Reshape", "Reshape", {"target_shape": [3, 2]}, x2, {}),
        ("Reshape_minus1", "Reshape", {"target_shape": [-1, 3]}, x2, {}),
        ("Permute", "Permute", {"dims": [2, 1]}, x_seq, {}),
        ("Flatten", "Flatten", {}, x_img_odd[:, :2, :3, :2], {}),
        ("RepeatVector", "RepeatVector", {"n": 3}, x2, {}),
        ("ReLU", "ReLU", {}, x2, {}),
        ("ReLU_params", "ReLU",
         {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, x2,
         {}),
        ("LeakyReLU", "LeakyReLU", {}, x2, {}),
        ("LeakyReLU_slope", "LeakyReLU", {"negative_slope": 0.1}, x2, {}),
        ("PReLU", "PReLU", {}, x2, {}),
        ("PReLU_shared", "PReLU", {"shared_axes": [1]}, x_seq, {}),
        ("ELU", "ELU", {}, x2, {}),
        ("ELU_alpha", "ELU", {"alpha": 0.5}, x2, {}),
        ("Softmax", "Softmax", {}, x2, {}),
        ("Softmax_axis1", "Softmax", {"axis": 1}, x_seq, {}),
        ("Conv1D_valid", "Conv1D", {"filters": 4, "kernel_size": 3},
         x_conv1, {}),
        ("Conv1D_same", "Conv1D",
         {"filters": 4, "kernel_size": 3, "padding": "same"}, x_conv1, {}),
        ("Conv1D_causal", "Conv1D",
         {"filters": 4, "kernel_size": 3, "padding": "causal"}, x_conv1, {}),
        ("Conv1D_strides2", "Conv1D",
         {"filters": 4, "kernel_size": 3, "strides": 2}, x_conv1, {}),
        ("Conv1D_strides2_same", "Conv1D",
         {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"},
         x_conv1, {}),
        ("Conv1D_dilation2", "Conv1D",
         {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, x_conv1, {}),
        ("Conv1D_dilation2_causal", "Conv1D",
         {"filters": 4, "kernel_size": 2, "dilation_rate": 2,
          "padding": "causal"}, x_conv1, {}),
        ("Conv1D_groups2", "Conv1D",
         {"filters": 4, "kernel_size": 3, "groups": 2}, x_conv1, {}),
        ("Conv2D_valid", "Conv2D", {"filters": 3, "kernel_size": 3},
         x_img, {}),
        ("Conv2D_same", "Conv2D",
         {"filters": 3, "kernel_size": 3, "padding": "same"}, x_img, {}),
        ("Conv2D_strides2", "Conv2D",
         {"filters": 3, "kernel_size": 3, "strides": 2}, x_img, {}),
        ("Conv2D_strides2_same", "Conv2D",
         {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
         x_img, {}),
        ("Conv2D_strides2_same_odd", "Conv2D",
         {"filters": 3, "kernel_size": [3, 2], "strides": [2, 3],
          "padding": "same", "activation": "relu"}, x_img_odd, {}),
        ("Conv2D_dilation2", "Conv2D",
         {"filters": 3, "kernel_size": 2, "dilation_rate": 2}, x_img, {}),
        ("Conv2D_groups2", "Conv2D",
         {"filters": 4, "kernel_size": 3, "groups": 2}, x_img, {}),
        ("Conv2D_channels_first", "Conv2D",
         {"filters": 3, "kernel_size": 3, "data_format": "channels_first"},
         x_img_cf, {}),
        ("Conv2D_channels_first_same", "Conv2D",
         {"filters": 3, "kernel_size": 3, "padding": "same",
          "data_format": "channels_first"}, x_img_cf, {}),
        ("Conv3D_valid", "Conv3D", {"filters": 2, "kernel_size": 2},
         x_vol, {}),
        ("Conv3D_same_strides2", "Conv3D",
         {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
         x_vol, {}),
        ("Conv1DTranspose", "Conv1DTranspose",
         {"filters": 3, "kernel_size": 3, "strides": 2}, x_conv1, {}),
        ("Conv2DTranspose_valid", "Conv2DTranspose",
         {"filters": 3, "kernel_size": 3}, x_img, {}),
        ("Conv2DTranspose_same", "Conv2DTranspose",
         {"filters": 3, "kernel_size": 3, "padding": "same"}, x_img, {}),
        ("Conv2DTranspose_strides2", "Conv2DTranspose",
         {"filters": 3, "kernel_size": 3, "strides": 2}, x_img, {}),
        ("Conv2DTranspose_strides2_same", "Conv2DTranspose",
         {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
         x_img, {}),
        ("Conv2DTranspose_strides2_same_k4", "Conv2DTranspose",
         {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"},
         x_img_odd, {}),
        ("Conv2DTranspose_output_padding", "Conv2DTranspose",
         {"filters": 2, "kernel_size": 3, "strides": 2,
          "output_padding": 1}, x_img_odd, {}),
        ("DepthwiseConv2D", "DepthwiseConv2D", {"kernel_size": 3}, x_img,
         {}),
        ("DepthwiseConv2D_mult2_same", "DepthwiseConv2D",
         {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
         x_img, {}),
        ("SeparableConv2D", "SeparableConv2D",
         {"filters": 3, "kernel_size": 3}, x_img, {}),
        ("SeparableConv2D_mult2_same", "SeparableConv2D",
         {"filters": 3, "kernel_size": 3, "depth_multiplier": 2,
          "padding": "same"}, x_img, {}),
        ("MaxPooling1D", "MaxPooling1D", {}, x_conv1, {}),
        ("MaxPooling1D_same_s2", "MaxPooling1D",
         {"pool_size": 3, "strides": 2, "padding": "same"}, x_conv1, {}),
        ("MaxPooling1D_s1", "MaxPooling1D", {"pool_size": 3, "strides": 1},
         x_conv1, {}),
        ("MaxPooling2D", "MaxPooling2D", {}, x_img, {}),
        ("MaxPooling2D_same", "MaxPooling2D",
         {"pool_size": 2, "padding": "same"}, x_img_odd, {}),
        ("MaxPooling2D_s1", "MaxPooling2D",
         {"pool_size": 3, "strides": 1}, x_img_odd, {}),
        ("MaxPooling2D_channels_first", "MaxPooling2D",
         {"data_format": "channels_first"}, x_img_cf, {}),
        ("MaxPooling3D", "MaxPooling3D", {}, x_vol, {}),
        ("MaxPooling3D_same", "MaxPooling3D", {"padding": "same"}, x_vol,
         {}),
        ("AveragePooling1D", "AveragePooling1D", {"pool_size": 2}, x_conv1,
         {}),
        ("AveragePooling1D_same_s2", "AveragePooling1D",
         {"pool_size": 3, "strides": 2, "padding": "same"}, x_conv1, {}),
        ("AveragePooling2D", "AveragePooling2D", {"pool_size": 2}, x_img, {}),
        ("AveragePooling2D_same", "AveragePooling2D",
         {"pool_size": 2, "padding": "same"}, x_img_odd, {}),
        ("AveragePooling2D_same_p3_s1", "AveragePooling2D",
         {"pool_size": 3, "strides": 1, "padding": "same"}, x_img_odd, {}),
        ("AveragePooling2D_s1", "AveragePooling2D",
         {"pool_size": 3, "strides": 1}, x_img_odd, {}),
        ("AveragePooling3D", "AveragePooling3D", {"pool_size": 2}, x_vol, {}),
        ("AveragePooling3D_same", "AveragePooling3D",
         {"pool_size": 2, "padding": "same"}, x_vol, {}),
        ("GlobalAveragePooling1D", "GlobalAveragePooling1D", {}, x_seq, {}),
        ("GlobalAveragePooling1D_keepdims", "GlobalAveragePooling1D",
         {"keepdims": True}, x_seq, {}),
        ("GlobalMaxPooling1D", "GlobalMaxPooling1D", {}, x_seq, {}),
        ("GlobalAveragePooling2D", "GlobalAveragePooling2D", {}, x_img, {}),
        ("GlobalMaxPooling2D", "GlobalMaxPooling2D", {}, x_img, {}),
        ("GlobalMaxPooling2D_keepdims", "GlobalMaxPooling2D",
         {"keepdims": True}, x_img, {}),
        ("GlobalAveragePooling2D_channels_first", "GlobalAveragePooling2D",
         {"data_format": "channels_first"}, x_img_cf, {}),
        ("GlobalAveragePooling3D", "GlobalAveragePooling3D", {}, x_vol, {}),
        ("GlobalMaxPooling3D", "GlobalMaxPooling3D", {}, x_vol, {}),
        ("ZeroPadding2D", "ZeroPadding2D", {}, x_img_odd, {}),
        ("ZeroPadding2D_asym", "ZeroPadding2D",
         {"padding": [[1, 2], [0, 1]]}, x_img_odd, {}),
        ("Cropping2D", "Cropping2D", {"cropping": [[1, 0], [1, 2]]},
         x_img_odd, {}),
        ("UpSampling2D", "UpSampling2D", {}, x_img_odd[:, :3, :3], {}),
        ("UpSampling2D_size", "UpSampling2D", {"size": [2, 3]},
         x_img_odd[:, :3, :3], {}),
        ("UpSampling2D_bilinear", "UpSampling2D",
         {"interpolation": "bilinear"}, x_img_odd[:, :3, :3], {}),
    ]
    rnn_cases = []
    for cls in ["SimpleRNN", "LSTM", "GRU"]:
        variants = [("", {}), ("_seq", {"return_sequences": True}),
                    ("_backwards", {"go_backwards": True}),
                    ("_seq_backwards",
                     {"return_sequences": True, "go_backwards": True})]
        for suffix, extra in variants:
            rnn_cases.append((f"{cls}{suffix}", cls, dict(units=3, **extra)))
        rnn_cases.append((f"{cls}_state", cls,
                          {"units": 3, "return_sequences": True,
                           "return_state": True}))
    rnn_cases += [
        ("GRU_reset_after_false", "GRU", {"units": 3, "reset_after": False}),
        ("GRU_reset_after_false_seq", "GRU",
         {"units": 3, "reset_after": False, "return_sequences": True}),
        ("LSTM_activations", "LSTM",
         {"units": 2, "activation": "relu",
          "recurrent_activation": "hard_sigmoid", "return_sequences": True}),
        ("LSTM_unit_forget_bias", "LSTM",
         {"units": 2, "unit_forget_bias": False}),
    ]
    for name, cls, cfg in rnn_cases:
        cases.append((name, cls, cfg, x_seq, {}))
    lstm = obj_ref("keras.layers", "LSTM", {"units": 3})
    lstm_seq = obj_ref("keras.layers", "LSTM",
                       {"units": 3, "return_sequences": True})
    cases += [
        ("Bidirectional_LSTM", "Bidirectional", {"layer": lstm}, x_seq, {}),
        ("Bidirectional_LSTM_seq", "Bidirectional", {"layer": lstm_seq},
         x_seq, {}),
        ("Bidirectional_LSTM_sum", "Bidirectional",
         {"layer": lstm_seq, "merge_mode": "sum"}, x_seq, {}),
        ("Bidirectional_GRU_ave", "Bidirectional",
         {"layer": obj_ref("keras.layers", "GRU", {"units": 2}),
          "merge_mode": "ave"}, x_seq, {}),
    ]

    for name, cls, cfg, x, call_kwargs in cases:
        keras.backend.clear_session()  # un-suffixed auto names
        layer = getattr(keras.layers, cls)(**build_obj(cfg))
        layer(x)  # build
        names = [v.path for v in layer.weights]
        weights = []
        for v, wv in zip(layer.weights, layer.get_weights()):
            if "variance" in v.path:
                new = f32(rng.uniform(0.5, 1.5, wv.shape))
            elif "moving_mean" in v.path:
                new = f32(rng.normal(0, 0.5, wv.shape))
            else:
                new = f32(rng.normal(0, 0.5, wv.shape))
            weights.append(new)
        layer.set_weights(weights)
        out = layer(x, **call_kwargs)
        arrays = {"x": x}
        arrays.update({f"w{i}": w for i, w in enumerate(weights)})
        if isinstance(out, (list, tuple)):
            arrays.update({f"y{i}": to_np(o) for i, o in enumerate(out)})
            n_out = len(out)
        else:
            arrays["y"] = to_np(out)
            n_out = 1
        if cls == "BatchNormalization" and call_kwargs.get("training"):
            arrays.update({f"w{i}_after": w
                           for i, w in enumerate(layer.get_weights())})
        g.add(name, cls, "keras.layers", cfg, arrays,
              call_kwargs=call_kwargs, weight_names=names,
              n_weights=len(weights), n_outputs=n_out,
              keras_config=layer.get_config())
    g.write()


# --------------------------------------------------------------------------
# History keys
# --------------------------------------------------------------------------


def make_history_keys():
    rng = np.random.default_rng(8)
    keras.utils.set_random_seed(8)
    out = {"keras_version": keras.__version__,
           "backend": keras.backend.backend(), "cases": []}

    def record(name, description, model, fit_kwargs, eval_x, eval_y):
        hist = model.fit(verbose=0, **fit_kwargs)
        ev = model.evaluate(eval_x, eval_y, verbose=0, return_dict=True)
        out["cases"].append({
            "name": name,
            "description": description,
            "history_keys": list(hist.history.keys()),
            "history_epochs": len(next(iter(hist.history.values()))),
            "evaluate_return_dict_keys": list(ev.keys()),
            "metrics_names": list(model.metrics_names),
        })

    # functional model, two named outputs
    inp = keras.Input((4,), name="features")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    out_a = keras.layers.Dense(3, activation="softmax", name="out_a")(h)
    out_b = keras.layers.Dense(1, name="out_b")(h)
    x = f32(rng.normal(0, 1, (16, 4)))
    ya = rng.integers(0, 3, (16,)).astype(np.int32)
    yb = f32(rng.normal(0, 1, (16, 1)))

    for variant, loss, metrics in [
        ("two_outputs_dict",
         {"out_a": "sparse_categorical_crossentropy", "out_b": "mse"},
         {"out_a": ["accuracy"], "out_b": ["mae"]}),
        ("two_outputs_list",
         ["sparse_categorical_crossentropy", "mse"],
         [["accuracy"], ["mae"]]),
    ]:
        model = keras.Model(inp, {"out_a": out_a, "out_b": out_b}
                            if variant.endswith("dict") else [out_a, out_b])
        model.compile(optimizer="adam", loss=loss, metrics=metrics)
        ys = ({"out_a": ya, "out_b": yb} if variant.endswith("dict")
              else [ya, yb])
        record(f"functional_{variant}",
               "keras.Model(Input(4) -> Dense(8) -> out_a=Dense(3, softmax), "
               f"out_b=Dense(1)); outputs as a {variant.split('_')[-1]}; "
               f"compile(adam, loss={loss!r}, metrics={metrics!r}); "
               "fit(epochs=1, batch_size=4, validation_split=0.25)",
               model, dict(x=x, y=ys, epochs=1, batch_size=4,
                           validation_split=0.25), x, ys)

    y_bin = rng.integers(0, 2, (16, 1)).astype(np.float32)
    xv = f32(rng.normal(0, 1, (8, 4)))
    yv = rng.integers(0, 2, (8, 1)).astype(np.float32)
    for name, metrics in [("sequential_accuracy", ["accuracy"]),
                          ("sequential_accuracy_mse_auc",
                           ["accuracy", "mse", "AUC"]),
                          ("sequential_no_metrics", None)]:
        model = keras.Sequential([keras.Input((4,)),
                                  keras.layers.Dense(1,
                                                     activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy",
                      metrics=metrics)
        record(name,
               "Sequential([Input(4), Dense(1, sigmoid)]); compile(sgd, "
               f"binary_crossentropy, metrics={metrics!r}); fit(epochs=1, "
               "batch_size=4, validation_data=(xv, yv))",
               model, dict(x=x, y=y_bin, epochs=1, batch_size=4,
                           validation_data=(xv, yv)), x, y_bin)

    # metric objects with explicit names, and two fits' epochs
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="my_auc"),
                           keras.metrics.BinaryAccuracy(),
                           keras.metrics.Precision()])
    record("sequential_metric_objects",
           "Sequential([Input(4), Dense(1, sigmoid)]); compile(sgd, "
           "binary_crossentropy, metrics=[AUC(name='my_auc'), "
           "BinaryAccuracy(), Precision()]); fit(epochs=2, batch_size=4) "
           "without validation", model,
           dict(x=x, y=y_bin, epochs=2, batch_size=4), x, y_bin)

    path = os.path.join(HERE, "history_keys.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"history_keys: {len(out['cases'])} cases")


# --------------------------------------------------------------------------
# attention layers
# --------------------------------------------------------------------------


def make_attention():
    """MultiHeadAttention / Attention / AdditiveAttention forward passes with fixed
    weights; small Embedding(mask_zero=True) models (mask propagation); and a trained
    functional model saved as ``attention_model.keras`` (cross-loading)."""
    g = Golden(
        "attention",
        seed=11,
        description=(
            "kind 'layer': layer = keras.layers.<Class>(**config), built for the "
            "case's tensors (MultiHeadAttention: layer.build(query.shape, "
            "value.shape, key.shape or None)); layer.set_weights([w0, ...]); then "
            "MultiHeadAttention: out = layer(**{arg: arrays[name] for arg, name in "
            "tensor_args.items()}, **call_kwargs); Attention/AdditiveAttention: out = "
            "layer([arrays[n] for n in inputs], mask=[arrays[n] or None for n in "
            "masks] or None, **call_kwargs).  y (and scores with "
            "return_attention_scores).  kind 'embedding_model': Input(int32) -> "
            "Embedding(mask_zero=True) -> the layer on (e, e) / [e, e]; weights "
            "w<i> in model.get_weights() order; y = model(ids).  kind 'saved_model': "
            "the trained model in attention_model.keras, its predictions on x and "
            "after one more train_on_batch(step_x, step_y).  Keras gives a query "
            "position that may attend to nothing all-zero weights when it computes "
            "the scores explicitly (return_attention_scores) but uniform ones in its "
            "fused kernel, so such (padded) rows of y are not comparable."
        ),
    )
    rng = np.random.default_rng(11)

    def rnd(*shape):
        return f32(rng.normal(0, 1, shape))

    q, v, v8, k3 = rnd(2, 4, 6), rnd(2, 5, 6), rnd(2, 5, 8), rnd(2, 5, 3)
    q4 = rnd(2, 3, 4, 5)
    vmask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    qmask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    amask = rng.uniform(size=(2, 4, 5)) > 0.3
    amask[:, :, 0] = True
    amask[0, 2, :] = False  # a query position that may attend to nothing
    arrays_all = {"q": q, "v": v, "v8": v8, "k3": k3, "q4": q4, "vmask": vmask,
                  "qmask": qmask, "amask": amask, "amask2d": amask[1],
                  "amask4": rng.uniform(size=(2, 4, 3, 3)) > 0.3}

    mha = [
        ("MHA_self", {"num_heads": 2, "key_dim": 3}, {"query": "q", "value": "q"}, {}),
        ("MHA_cross_scores", {"num_heads": 3, "key_dim": 2},
         {"query": "q", "value": "v"}, {"return_attention_scores": True}),
        ("MHA_key_value_dims_output_shape",
         {"num_heads": 2, "key_dim": 4, "value_dim": 3, "output_shape": [2, 5]},
         {"query": "q", "value": "v8", "key": "k3"}, {"return_attention_scores": True}),
        ("MHA_no_bias_output_int",
         {"num_heads": 2, "key_dim": 3, "use_bias": False, "output_shape": 7},
         {"query": "q", "value": "v"}, {}),
        ("MHA_causal", {"num_heads": 2, "key_dim": 3}, {"query": "q", "value": "q"},
         {"use_causal_mask": True, "return_attention_scores": True}),
        ("MHA_value_mask", {"num_heads": 2, "key_dim": 3},
         {"query": "q", "value": "v", "value_mask": "vmask"},
         {"return_attention_scores": True}),
        ("MHA_key_mask", {"num_heads": 2, "key_dim": 3},
         {"query": "q", "value": "v", "key": "k3", "key_mask": "vmask"},
         {"return_attention_scores": True}),
        ("MHA_attention_mask_empty_row", {"num_heads": 2, "key_dim": 3},
         {"query": "q", "value": "v", "attention_mask": "amask"},
         {"return_attention_scores": True}),
        ("MHA_attention_mask_2d_causal", {"num_heads": 2, "key_dim": 3},
         {"query": "q", "value": "v", "attention_mask": "amask2d", "value_mask": "vmask"},
         {"use_causal_mask": True, "return_attention_scores": True}),
        ("MHA_gate_sliding_window",
         {"num_heads": 2, "key_dim": 3, "use_gate": True, "sliding_window": 2},
         {"query": "q", "value": "q"}, {"return_attention_scores": True}),
        ("MHA_rank4_default_axes", {"num_heads": 2, "key_dim": 2},
         {"query": "q4", "value": "q4"}, {"return_attention_scores": True}),
        ("MHA_rank4_axis2", {"num_heads": 2, "key_dim": 2, "attention_axes": [2]},
         {"query": "q4", "value": "q4"}, {"return_attention_scores": True}),
        ("MHA_rank4_axis_minus3_mask", {"num_heads": 2, "key_dim": 2, "attention_axes": -3},
         {"query": "q4", "value": "q4", "attention_mask": "amask4"},
         {"return_attention_scores": True}),
    ]
    luong = [
        ("Attention_dot", "Attention", {}, ["q", "v"], None, {}),
        ("Attention_scale_key_masks", "Attention", {"use_scale": True},
         ["q", "v8", "v"], ["qmask", "vmask"], {"return_attention_scores": True}),
        ("Attention_concat_causal", "Attention", {"score_mode": "concat", "use_scale": True},
         ["q", "q"], None, {"use_causal_mask": True, "return_attention_scores": True}),
        ("Attention_causal_value_mask", "Attention", {},
         ["q", "v"], [None, "vmask"], {"use_causal_mask": True,
                                       "return_attention_scores": True}),
        ("AdditiveAttention", "AdditiveAttention", {}, ["q", "v"], None,
         {"return_attention_scores": True}),
        ("AdditiveAttention_noscale_masks", "AdditiveAttention", {"use_scale": False},
         ["q", "v8", "v"], ["qmask", "vmask"], {"return_attention_scores": True}),
    ]

    def randomize(layer):
        weights = [f32(rng.normal(0, 0.5, w.shape)) for w in layer.get_weights()]
        layer.set_weights(weights)
        return weights

    def add(name, cls, cfg, layer, out, used, weights, **meta):
        arrays = {n: arrays_all[n] for n in used}
        arrays.update({f"w{i}": w for i, w in enumerate(weights)})
        outs = out if isinstance(out, (list, tuple)) else [out]
        arrays["y"] = to_np(outs[0])
        if len(outs) > 1:
            arrays["scores"] = to_np(outs[1])
        g.add(name, cls, "keras.layers", cfg, arrays, kind="layer",
              weight_names=[w.path for w in layer.weights], n_weights=len(weights),
              keras_config=layer.get_config(), **meta)

    for name, cfg, tensor_args, call_kwargs in mha:
        keras.backend.clear_session()
        layer = keras.layers.MultiHeadAttention(**cfg)
        tensors = {a: arrays_all[n] for a, n in tensor_args.items()}
        # build from shapes: Keras's fused path (taken by a plain call) rejects
        # key_dim != value_dim
        layer.build(*[tensors[a].shape if a in tensors else None
                      for a in ("query", "value", "key")])
        weights = randomize(layer)
        out = layer(**tensors, **call_kwargs)
        add(name, "MultiHeadAttention", cfg, layer, out, list(tensor_args.values()), weights,
            tensor_args=tensor_args, call_kwargs=call_kwargs)

    for name, cls, cfg, inputs, masks, call_kwargs in luong:
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**cfg)
        xs = [arrays_all[n] for n in inputs]
        layer(xs)
        weights = randomize(layer)
        mask = None if masks is None else [None if n is None else arrays_all[n]
                                           for n in masks]
        out = layer(xs, mask=mask, **call_kwargs)
        used = inputs + [n for n in (masks or []) if n is not None]
        add(name, cls, cfg, layer, out, list(dict.fromkeys(used)), weights, inputs=inputs,
            masks=masks, call_kwargs=call_kwargs)

    ids = np.array([[3, 5, 2, 0, 0], [1, 4, 4, 6, 0]], np.int32)
    for cls, cfg in [("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}),
                     ("Attention", {}), ("AdditiveAttention", {})]:
        keras.backend.clear_session()
        inp = keras.Input((5,), dtype="int32")
        e = keras.layers.Embedding(8, 6, mask_zero=True)(inp)
        layer = getattr(keras.layers, cls)(**cfg)
        out = layer(e, e) if cls == "MultiHeadAttention" else layer([e, e])
        model = keras.Model(inp, out)
        weights = [f32(rng.normal(0, 0.5, w.shape)) for w in model.get_weights()]
        model.set_weights(weights)
        arrays = {"ids": ids, "y": to_np(model(ids))}
        arrays.update({f"w{i}": w for i, w in enumerate(weights)})
        g.add(f"{cls}_embedding_mask", cls, "keras.layers", cfg, arrays,
              kind="embedding_model", embedding={"input_dim": 8, "output_dim": 6},
              n_weights=len(weights))

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,), dtype="int32")
    e = keras.layers.Embedding(10, 8, mask_zero=True)(inp)
    h = keras.layers.MultiHeadAttention(2, 4)(e, e, use_causal_mask=True)
    h = keras.layers.AdditiveAttention()([h, e])
    # per-position outputs: the loss reads their (query) mask; a masked pooling layer
    # here would make Keras record its mask as ConvertToTensor graph ops
    out = keras.layers.Dense(2)(h)
    model = keras.Model(inp, out, name="attention_model")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = rng.integers(0, 10, size=(32, 6)).astype(np.int32)
    x[::3, 4:] = 0
    y = f32(rng.normal(0, 1, (32, 6, 2)))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(HERE, "attention_model.keras"))
    # continue in a reloaded copy (training on after save() can trip over donated buffers)
    model = keras.models.load_model(os.path.join(HERE, "attention_model.keras"))
    pred = to_np(model.predict(x[:4], verbose=0))
    model.train_on_batch(x[8:16], y[8:16])
    g.add("saved_model", "Functional", "keras", {}, {
        "x": x[:4], "pred": pred, "step_x": x[8:16], "step_y": y[8:16],
        "after_step": to_np(model.predict(x[:4], verbose=0))},
        kind="saved_model", file="attention_model.keras")
    g.write()


# --------------------------------------------------------------------------
# preprocessing layers
# --------------------------------------------------------------------------


def make_preprocessing():
    g = Golden(
        "preprocessing",
        seed=12,
        description=(
            "layer = keras.layers.<Class>(**config); if the case has an "
            "'adapt' array: Normalization: layer.adapt(adapt); "
            "Discretization: reset_state(), update_state(adapt), "
            "finalize_state() (what adapt does, without tf.data); then "
            "y = layer(x, **{k: arrays[k] for k in call_arrays}).  "
            "Normalization cases store the weights after adapt as w0, w1, "
            "... (names in 'weight_names'); Discretization adapt cases "
            "store 'bin_boundaries'."
        ),
    )
    rng = np.random.default_rng(12)
    img_u8 = rng.integers(0, 256, (2, 4, 5, 3)).astype(np.uint8)
    img = f32(rng.normal(0, 1, (2, 5, 7, 3)))
    feats = f32(rng.normal(0, 1, (6, 3)) * [1.0, 3.0, 0.5] + [0.0, 2.0, -1.0])
    adapt3 = f32(rng.normal(0, 1, (40, 3)) * [2.0, 0.5, 1.0] + [1.0, -2.0, 0.0])
    const = adapt3.copy()
    const[:, 1] = 4.0
    seq = f32(rng.normal(0, 1, (4, 3, 2)))
    adapt_seq = f32(rng.normal(0, 1, (10, 3, 2)) * 2.0 + 0.5)
    ids = np.array([[0, 3, 3], [1, 1, 2], [4, 0, 0]], np.int32)
    weights = f32(rng.uniform(0.5, 2.0, ids.shape))
    values = f32(rng.normal(0, 1, (3, 4)))
    adapt_values = f32(rng.normal(0, 1, (30,)))

    # (name, class, config, x, adapt data or None, extra call arrays)
    cases = [
        ("Rescaling_uint8", "Rescaling", {"scale": 1 / 255.0}, img_u8, None,
         {}),
        ("Rescaling_offset", "Rescaling",
         {"scale": 1 / 127.5, "offset": -1.0}, img_u8, None, {}),
        ("Rescaling_per_channel", "Rescaling",
         {"scale": [0.5, 1.0, 2.0], "offset": [0.0, 1.0, -1.0]}, img, None,
         {}),
        ("Normalization_adapt", "Normalization", {}, feats, adapt3, {}),
        ("Normalization_adapt_axis_none", "Normalization", {"axis": None},
         feats, adapt3, {}),
        ("Normalization_adapt_axes", "Normalization", {"axis": [1, 2]},
         seq, adapt_seq, {}),
        ("Normalization_adapt_axis1", "Normalization", {"axis": 1}, seq,
         adapt_seq, {}),
        ("Normalization_constant_feature", "Normalization", {}, feats,
         const, {}),
        ("Normalization_invert", "Normalization", {"invert": True}, feats,
         adapt3, {}),
        ("Normalization_given", "Normalization",
         {"mean": [1.0, 2.0, -1.0], "variance": [1.0, 4.0, 0.25]}, feats,
         None, {}),
        ("Normalization_given_scalar", "Normalization",
         {"mean": 3.0, "variance": 2.0}, feats, None, {}),
        ("Normalization_given_invert", "Normalization",
         {"mean": [1.0, 2.0, -1.0], "variance": [1.0, 4.0, 0.25],
          "invert": True}, feats, None, {}),
        ("CategoryEncoding_multi_hot", "CategoryEncoding", {"num_tokens": 6},
         ids, None, {}),
        ("CategoryEncoding_multi_hot_rank1", "CategoryEncoding",
         {"num_tokens": 6}, ids[0], None, {}),
        ("CategoryEncoding_one_hot", "CategoryEncoding",
         {"num_tokens": 5, "output_mode": "one_hot"}, ids[:, :1], None, {}),
        ("CategoryEncoding_one_hot_rank1", "CategoryEncoding",
         {"num_tokens": 5, "output_mode": "one_hot"}, ids[:, 1], None, {}),
        ("CategoryEncoding_count", "CategoryEncoding",
         {"num_tokens": 5, "output_mode": "count"}, ids, None, {}),
        ("CategoryEncoding_count_weights", "CategoryEncoding",
         {"num_tokens": 5, "output_mode": "count"}, ids, None,
         {"count_weights": weights}),
        ("Discretization_int", "Discretization",
         {"bin_boundaries": [-0.5, 0.0, 0.5]}, values, None, {}),
        ("Discretization_int_inputs", "Discretization",
         {"bin_boundaries": [0.0, 2.0]}, ids, None, {}),
        ("Discretization_one_hot", "Discretization",
         {"bin_boundaries": [-0.5, 0.0, 0.5], "output_mode": "one_hot"},
         values, None, {}),
        ("Discretization_multi_hot", "Discretization",
         {"bin_boundaries": [-0.5, 0.0, 0.5], "output_mode": "multi_hot"},
         values, None, {}),
        ("Discretization_count", "Discretization",
         {"bin_boundaries": [-0.5, 0.0, 0.5], "output_mode": "count"},
         values, None, {}),
        ("Discretization_adapt", "Discretization", {"num_bins": 4}, values,
         adapt_values, {}),
        ("Resizing_bilinear_down", "Resizing", {"height": 3, "width": 4},
         img, None, {}),
        ("Resizing_bilinear_up", "Resizing", {"height": 8, "width": 11}, img,
         None, {}),
        ("Resizing_nearest", "Resizing",
         {"height": 3, "width": 10, "interpolation": "nearest"}, img, None,
         {}),
        ("Resizing_crop_to_aspect_ratio", "Resizing",
         {"height": 4, "width": 4, "crop_to_aspect_ratio": True}, img, None,
         {}),
        ("Resizing_pad_to_aspect_ratio", "Resizing",
         {"height": 4, "width": 4, "pad_to_aspect_ratio": True,
          "fill_value": 0.5}, img, None, {}),
        ("Resizing_uint8", "Resizing", {"height": 3, "width": 3}, img_u8,
         None, {}),
        ("Resizing_single_image", "Resizing", {"height": 6, "width": 3},
         img[0], None, {}),
        ("CenterCrop", "CenterCrop", {"height": 3, "width": 4}, img, None,
         {}),
        ("CenterCrop_smaller_image", "CenterCrop", {"height": 6, "width": 4},
         img, None, {}),
    ]
    for name, cls, cfg, x, adapt, call_arrays in cases:
        keras.backend.clear_session()  # un-suffixed auto names
        layer = getattr(keras.layers, cls)(**cfg)
        arrays = {"x": x, "adapt": adapt}
        meta = {}
        if adapt is not None and cls == "Discretization":
            layer.reset_state()
            layer.update_state(adapt)
            layer.finalize_state()
            meta["bin_boundaries"] = [float(b) for b in layer.bin_boundaries]
        elif adapt is not None:
            layer.adapt(adapt)
        if cls == "Normalization":
            if not layer.built:
                layer.build(x.shape)
            arrays.update({f"w{i}": w
                           for i, w in enumerate(layer.get_weights())})
            meta["weight_names"] = [v.path for v in layer.weights]
        y = layer(x, **call_arrays)
        arrays.update(call_arrays)
        arrays["y"] = to_np(y)
        g.add(name, cls, "keras.layers", cfg, arrays,
              call_arrays=sorted(call_arrays), y_dtype=str(to_np(y).dtype),
              keras_config=layer.get_config(), **meta)

    # random layers: their transformation is given, through transform_images
    flips = np.array([True, False])
    shifts = f32([[1.5, -0.25], [-6.5, 4.75]])  # (dx, dy) per image, in pixels
    random_cases = [
        ("RandomFlip_horizontal", "RandomFlip", {"mode": "horizontal"}),
        ("RandomFlip_vertical", "RandomFlip", {"mode": "vertical"}),
        ("RandomFlip_both", "RandomFlip", {}),
        ("RandomTranslation_reflect", "RandomTranslation",
         {"height_factor": 0.5, "width_factor": 0.5}),
        ("RandomTranslation_wrap", "RandomTranslation",
         {"height_factor": 0.5, "width_factor": 0.5, "fill_mode": "wrap"}),
        ("RandomTranslation_constant", "RandomTranslation",
         {"height_factor": 0.5, "width_factor": 0.5, "fill_mode": "constant",
          "fill_value": 0.5}),
        ("RandomTranslation_nearest_fill", "RandomTranslation",
         {"height_factor": 0.5, "width_factor": 0.5, "fill_mode": "nearest"}),
        ("RandomTranslation_nearest_interpolation", "RandomTranslation",
         {"height_factor": 0.5, "width_factor": 0.5,
          "interpolation": "nearest"}),
    ]
    for name, cls, cfg in random_cases:
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**cfg)
        if cls == "RandomFlip":
            transform = {"flips": flips.reshape(2, 1, 1, 1)}
            arrays = {"x": img, "flips": flips}
        else:
            transform = {"translations": shifts}
            arrays = {"x": img, "translations": shifts}
        y = layer.transform_images(img, transform, training=True)
        arrays["y"] = to_np(y)
        g.add(name, cls, "keras.layers", cfg, arrays, call_arrays=[],
              transformation=sorted(set(arrays) - {"x", "y"}),
              y_dtype=str(to_np(y).dtype), keras_config=layer.get_config())

    # a trained model with every layer above, saved by Keras for the loading checks
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    images = keras.Input((5, 7, 3), dtype="uint8", name="images")
    features = keras.Input((3,), name="features")
    h = keras.layers.Rescaling(1 / 255.0)(images)
    h = keras.layers.Resizing(4, 6)(h)
    h = keras.layers.CenterCrop(3, 3)(h)
    h = keras.layers.Flatten()(h)
    norm = keras.layers.Normalization()
    norm.adapt(adapt3)
    f = norm(features)
    bins = keras.layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.0],
                                       output_mode="one_hot")(features)
    bins = keras.layers.Flatten()(bins)
    h = keras.layers.Concatenate()([h, f, bins])
    out = keras.layers.Dense(2)(h)
    model = keras.Model([images, features], out, name="preprocessing_model")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    xi = rng.integers(0, 256, (16, 5, 7, 3)).astype(np.uint8)
    xf = f32(rng.normal(0, 1, (16, 3)) * 2.0)
    y = f32(rng.normal(0, 1, (16, 2)))
    model.fit([xi, xf], y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = os.path.join(HERE, "preprocessing_model.keras")
    model.save(path)
    model = keras.models.load_model(path)
    g.add("saved_model", "Functional", "keras", {}, {
        "images": xi[:4], "features": xf[:4],
        "pred": to_np(model.predict([xi[:4], xf[:4]], verbose=0))},
        file="preprocessing_model.keras", call_arrays=[])
    g.write()


# --------------------------------------------------------------------------
# metrics_iou: IoU metrics and correlation metrics
# --------------------------------------------------------------------------


def make_metrics_iou():
    g = Golden(
        "metrics_iou",
        seed=21,
        description=(
            "kind 'metric': m = keras.metrics.<Class>(**config); for i in "
            "range(n_batches): m.update_state(*update_args[i]); result[i] = "
            "m.result(); 'confusion_matrix' holds m's accumulated confusion "
            "matrix after the last batch (IoU classes).  kind 'function': "
            "result = keras.metrics.<class>(y_true, y_pred, **config)."
        ),
    )
    rng = np.random.default_rng(21)
    NB, B, C = 3, 4, 4

    def stack(fn):
        return np.stack([fn(i) for i in range(NB)])

    # segmentation-like labels (batch, 5) with class 3 never present, and
    # predictions that also contain out-of-range ids (-1, 4) to be dropped
    seg_true = stack(lambda i: rng.integers(0, 3, (B, 5))).astype(np.int32)
    seg_pred = stack(lambda i: rng.integers(-1, 5, (B, 5))).astype(np.int32)
    seg_void = seg_true.copy()
    seg_void[:, 0, :2] = 255  # a "void" label outside [0, C)
    seg_void[:, 1, 0] = -1
    logits = f32(stack(lambda i: rng.normal(0, 2, (B, C))))
    probs = f32(_softmax_np(logits))
    lab = stack(lambda i: rng.integers(0, C, B)).astype(np.int32)
    onehot = np.eye(C, dtype=np.float32)[lab]
    data = {
        "seg": (seg_true, seg_pred),
        "seg_void": (seg_void, seg_pred),
        "sparse_probs": (lab, probs),
        "onehot_probs": (onehot, probs),
        "onehot_logits": (onehot, logits),
        "onehot_ids": (onehot, np.where(rng.uniform(size=lab.shape) < 0.6, lab,
                                        rng.integers(0, C, lab.shape)).astype(np.int32)),
        "binary": (stack(lambda i: rng.integers(0, 2, (B, 3))).astype(np.int32),
                   f32(stack(lambda i: rng.uniform(0, 1, (B, 3))))),
        "reg": (f32(stack(lambda i: rng.normal(0, 1, (B, 5)))),
                f32(stack(lambda i: rng.normal(0, 1, (B, 5))))),
    }
    data["binary"][1][0, 0, :2] = [0.5, 0.3]  # scores equal to the thresholds
    int_sw = {"seg": stack(lambda i: rng.integers(0, 4, (B, 5))).astype(np.int32),
              "row": stack(lambda i: rng.integers(0, 4, B)).astype(np.int32),
              "binary": stack(lambda i: rng.integers(0, 4, (B, 3))).astype(np.int32)}
    float_sw = {"seg": f32(stack(lambda i: rng.uniform(0, 2, (B, 5)))),
                "row": f32(stack(lambda i: rng.uniform(0, 2, B))),
                "binary": f32(stack(lambda i: rng.uniform(0, 2, (B, 3)))),
                "reg": f32(stack(lambda i: rng.choice([0.0, 0.5, 1.0, 2.0], B)))}
    sw_kind = {"seg": "seg", "seg_void": "seg", "sparse_probs": "row",
               "onehot_probs": "row", "onehot_logits": "row",
               "onehot_ids": "row", "binary": "binary", "reg": "reg"}
    f32c = {"dtype": "float32"}
    # (case name, class, config, data, sample weights: None / "int" / "float")
    metric_cases = [
        ("IoU", "IoU", {"num_classes": C, "target_class_ids": [0, 2]}, "seg",
         None),
        ("IoU_one_class", "IoU", {"num_classes": C, "target_class_ids": [1]},
         "seg", None),
        ("IoU_absent_target", "IoU",
         {"num_classes": C, "target_class_ids": [1, 3]}, "seg", None),
        ("IoU__sw_int", "IoU", {"num_classes": C, "target_class_ids": [0, 1]},
         "seg", "int"),
        ("IoU_f32__sw", "IoU",
         {"num_classes": C, "target_class_ids": [0, 1], **f32c}, "seg",
         "float"),
        ("IoU_ignore_class", "IoU",
         {"num_classes": C, "target_class_ids": [0, 2], "ignore_class": 1},
         "seg", None),
        ("IoU_dense_pred", "IoU",
         {"num_classes": C, "target_class_ids": [0, 3],
          "sparse_y_pred": False}, "sparse_probs", None),
        ("MeanIoU", "MeanIoU", {"num_classes": C}, "seg", None),
        ("MeanIoU__sw_int", "MeanIoU", {"num_classes": C}, "seg", "int"),
        ("MeanIoU_f32__sw", "MeanIoU", {"num_classes": C, **f32c}, "seg",
         "float"),
        ("MeanIoU_void", "MeanIoU", {"num_classes": C}, "seg_void", None),
        ("MeanIoU_ignore_255", "MeanIoU",
         {"num_classes": C, "ignore_class": 255}, "seg_void", None),
        ("MeanIoU_ignore_0", "MeanIoU", {"num_classes": C, "ignore_class": 0},
         "seg", None),
        ("MeanIoU_dense_pred", "MeanIoU",
         {"num_classes": C, "sparse_y_pred": False}, "sparse_probs", None),
        ("MeanIoU_dense_both", "MeanIoU",
         {"num_classes": C, "sparse_y_true": False, "sparse_y_pred": False},
         "onehot_probs", None),
        ("BinaryIoU", "BinaryIoU", {}, "binary", None),
        ("BinaryIoU__sw_int", "BinaryIoU", {}, "binary", "int"),
        ("BinaryIoU_t0.3_class1", "BinaryIoU",
         {"target_class_ids": [1], "threshold": 0.3}, "binary", None),
        ("BinaryIoU_f32__sw", "BinaryIoU",
         {"target_class_ids": [0], "threshold": 0.6, **f32c}, "binary",
         "float"),
        ("OneHotIoU", "OneHotIoU", {"num_classes": C, "target_class_ids": [1, 2]},
         "onehot_probs", None),
        ("OneHotIoU_logits", "OneHotIoU",
         {"num_classes": C, "target_class_ids": [1, 2]}, "onehot_logits", None),
        ("OneHotIoU_sparse_pred", "OneHotIoU",
         {"num_classes": C, "target_class_ids": [0], "sparse_y_pred": True},
         "onehot_ids", None),
        ("OneHotIoU_f32__sw", "OneHotIoU",
         {"num_classes": C, "target_class_ids": [0, 3], **f32c},
         "onehot_probs", "float"),
        ("OneHotMeanIoU", "OneHotMeanIoU", {"num_classes": C}, "onehot_probs",
         None),
        ("OneHotMeanIoU_logits__sw_int", "OneHotMeanIoU", {"num_classes": C},
         "onehot_logits", "int"),
        ("OneHotMeanIoU_ignore_class", "OneHotMeanIoU",
         {"num_classes": C, "ignore_class": 2}, "onehot_probs", None),
        ("PearsonCorrelation", "PearsonCorrelation", {}, "reg", None),
        ("PearsonCorrelation__sw", "PearsonCorrelation", {}, "reg", "float"),
        ("PearsonCorrelation_axis0", "PearsonCorrelation", {"axis": 0}, "reg",
         None),
        ("ConcordanceCorrelation", "ConcordanceCorrelation", {}, "reg", None),
        ("ConcordanceCorrelation__sw", "ConcordanceCorrelation", {}, "reg",
         "float"),
        ("ConcordanceCorrelation_axis0", "ConcordanceCorrelation",
         {"axis": 0}, "reg", None),
    ]
    for name, cls, cfg, key, sw in metric_cases:
        y_true, y_pred = data[key]
        weight = None
        if sw is not None:
            weight = (int_sw if sw == "int" else float_sw)[sw_kind[key]]
        keras.backend.clear_session()  # un-suffixed auto names
        m = getattr(keras.metrics, cls)(**cfg)
        results = []
        for i in range(NB):
            m.update_state(y_true[i], y_pred[i],
                           sample_weight=None if weight is None else weight[i])
            results.append(to_np(m.result()))
        arrays = {"y_true": y_true, "y_pred": y_pred, "sample_weight": weight,
                  "result": np.stack(results)}
        if hasattr(m, "total_cm"):
            arrays["confusion_matrix"] = to_np(m.total_cm)
        g.add(name, cls, "keras.metrics", cfg, arrays, kind="metric",
              update_args=["y_true", "y_pred"] +
              (["sample_weight"] if weight is not None else []),
              n_batches=NB, data=key, default_name=m.name,
              keras_config=m.get_config())

    y_true, y_pred = data["reg"]
    for fn in ("pearson_correlation", "concordance_correlation"):
        for cfg in ({}, {"axis": 0}, {"axis": [0, 1]}):
            out = getattr(keras.metrics, fn)(y_true, y_pred, **cfg)
            suffix = "_axis" + "".join(str(a) for a in np.ravel(cfg["axis"])) \
                if cfg else ""
            g.add(fn + suffix, fn, "keras.metrics", cfg,
                  {"y_true": y_true, "y_pred": y_pred, "result": to_np(out)},
                  kind="function")
    g.write()


# --------------------------------------------------------------------------
# ctc: the CTC loss (op and loss class) and the CTC decoders
# --------------------------------------------------------------------------


def make_ctc():
    g = Golden(
        "ctc",
        seed=31,
        description=(
            "kind 'loss_op': loss = keras.ops.ctc_loss(target, output, "
            "target_length, output_length, mask_index=config['mask_index']); "
            "grad = d sum(loss) / d output (jax.grad).  kind 'loss_class': "
            "for each r in 'reductions', loss__<r> = keras.losses.CTC("
            "reduction=r)(y_true, y_pred) and loss__<r>__sw the same with "
            "sample_weight; fn_values = keras.losses.ctc(y_true, y_pred).  "
            "kind 'decode': (decoded, scores) = keras.ops.ctc_decode(inputs, "
            "sequence_lengths, **config)."
        ),
    )
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(31)

    def loss_op_case(name, target, output, target_length, output_length,
                     mask_index=0):
        target = np.asarray(target, np.int32)
        output = f32(output)
        tl = np.asarray(target_length, np.int32)
        ol = np.asarray(output_length, np.int32)

        def total(z):
            return jnp.sum(ops.ctc_loss(target, z, tl, ol,
                                        mask_index=mask_index))

        loss = ops.ctc_loss(target, output, tl, ol, mask_index=mask_index)
        grad = jax.grad(total)(jnp.asarray(output))
        g.add(name, "ctc_loss", "keras.ops", {"mask_index": mask_index},
              {"target": target, "output": output, "target_length": tl,
               "output_length": ol, "loss": to_np(loss), "grad": to_np(grad)},
              kind="loss_op")

    loss_op_case("basic", [[1, 2, 3], [3, 1, 0], [2, 2, 1], [1, 0, 0]],
                 rng.normal(0, 1, (4, 6, 4)), [3, 2, 3, 1], [6, 6, 6, 6])
    # repeated labels that fit exactly (a blank between each pair) and one
    # all-repeated label
    loss_op_case("repeats_tight", [[1, 1, 1], [2, 2, 0], [1, 2, 1]],
                 rng.normal(0, 1, (3, 5, 3)), [3, 2, 3], [5, 3, 3])
    # labels that cannot fit in their output length, and an output length 0
    loss_op_case("impossible", [[1, 1, 2], [1, 2, 1], [2, 0, 0], [1, 2, 0]],
                 rng.normal(0, 1, (4, 4, 3)), [3, 3, 1, 2], [4, 2, 0, 1])
    # per-sample output lengths below the time axis, padding that holds
    # labels (ignored) and an empty label
    loss_op_case("lengths_padding",
                 [[2, 1, 2, 2], [1, 3, 3, 1], [3, 3, 3, 3], [0, 0, 0, 0]],
                 rng.normal(0, 1, (4, 7, 4)), [2, 4, 1, 0], [3, 7, 5, 4])
    loss_op_case("mask_index_2", [[0, 1, 0], [1, 1, 3], [3, 0, 0]],
                 rng.normal(0, 1, (3, 6, 4)), [3, 3, 2], [6, 6, 4],
                 mask_index=2)
    loss_op_case("mask_index_last", [[0, 1, 2], [2, 2, 0]],
                 rng.normal(0, 1, (2, 5, 4)), [3, 2], [5, 5], mask_index=3)
    # large logits: float32 stability of the log-space recursion
    loss_op_case("large_logits", [[1, 2, 1, 3], [3, 3, 2, 0]],
                 rng.normal(0, 30, (2, 12, 4)), [4, 3], [12, 9])
    loss_op_case("long", rng.integers(1, 6, (3, 10)),
                 rng.normal(0, 2, (3, 40, 6)), [10, 7, 4], [40, 31, 22])

    # the loss class: label lengths from the non-zero labels, all steps used
    y_true = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0]], np.int32)
    y_pred = f32(rng.normal(0, 1, (3, 6, 4)))
    weight = f32([0.5, 2.0, 0.0])
    reductions = ["sum_over_batch_size", "sum", "mean",
                  "mean_with_sample_weight", "none"]
    arrays = {"y_true": y_true, "y_pred": y_pred, "sample_weight": weight,
              "fn_values": to_np(keras.losses.ctc(y_true, y_pred))}
    for red in reductions:
        loss = keras.losses.CTC(reduction=red)
        arrays[f"loss__{red}"] = to_np(loss(y_true, y_pred))
        arrays[f"loss__{red}__sw"] = to_np(loss(y_true, y_pred,
                                                sample_weight=weight))
    loss = keras.losses.CTC()
    g.add("CTC", "CTC", "keras.losses", {}, arrays, kind="loss_class",
          reductions=reductions, default_name=loss.name,
          keras_config=loss.get_config(),
          serialized=keras.losses.serialize(loss),
          get_ctc=keras.losses.get("ctc").__name__)

    # the greedy decoder
    logits = f32(rng.normal(0, 1, (4, 8, 4)))
    logits[0, 2:5] = logits[0, 1]  # a run of one class (merged or not)
    logits[1, :, 0] += 3.0  # mostly blank
    lengths = np.array([8, 5, 1, 0], np.int32)
    for name, cfg in [
        ("greedy", {}),
        ("greedy_no_merge", {"merge_repeated": False}),
        ("greedy_mask_2", {"mask_index": 2}),
        ("greedy_mask_none", {"mask_index": None}),
    ]:
        decoded, scores = ops.ctc_decode(logits, lengths,
                                         **dict(cfg, strategy="greedy"))
        g.add(name, "ctc_decode", "keras.ops", dict(cfg, strategy="greedy"),
              {"inputs": logits, "sequence_lengths": lengths,
               "decoded": to_np(decoded), "scores": to_np(scores)},
              kind="decode")

    # the beam search: a narrow beam, the best paths of a wide one, another
    # blank, and a beam wider than the sequences that are possible
    beam_logits = f32(rng.normal(0, 1.5, (3, 7, 5)))
    beam_lengths = np.array([7, 4, 1], np.int32)
    for name, cfg in [
        ("beam_w3", {"beam_width": 3}),
        ("beam_w10_top4", {"beam_width": 10, "top_paths": 4}),
        ("beam_w6_top2_mask_4", {"beam_width": 6, "top_paths": 2,
                                 "mask_index": 4}),
    ]:
        cfg = dict(cfg, strategy="beam_search")
        decoded, scores = ops.ctc_decode(beam_logits, beam_lengths, **cfg)
        g.add(name, "ctc_decode", "keras.ops", cfg,
              {"inputs": beam_logits, "sequence_lengths": beam_lengths,
               "decoded": to_np(decoded), "scores": to_np(scores)},
              kind="decode")
    few = f32(rng.normal(0, 1, (2, 2, 3)))
    cfg = {"strategy": "beam_search", "beam_width": 8, "top_paths": 5}
    decoded, scores = ops.ctc_decode(few, np.array([2, 1], np.int32), **cfg)
    g.add("beam_wider_than_possible", "ctc_decode", "keras.ops", cfg,
          {"inputs": few, "sequence_lengths": np.array([2, 1], np.int32),
           "decoded": to_np(decoded), "scores": to_np(scores)}, kind="decode")
    g.write()


def make_conv_lstm():
    """ConvLSTM1D/2D/3D forward passes with fixed weights (Keras 3 has no working
    masks for these layers, so there are no mask cases)."""
    g = Golden(
        "conv_lstm",
        seed=23,
        description=(
            "layer = keras.layers.<Class>(**config); layer.build(x.shape); "
            "layer.set_weights([w0, w1, w2]) (kernel, recurrent_kernel, bias; "
            "names in 'weight_names'); y = layer(x, **call_kwargs), with "
            "initial_state=[h0, c0] when the case has 'initial_state'.  Layers "
            "with several outputs (return_state) store y0, y1, y2.  kind "
            "'saved_model': the model Keras trained and saved as "
            "conv_lstm_model.keras, its predictions on x (pred) and after one "
            "more train_on_batch(step_x, step_y) (after_step)."
        ),
    )
    rng = np.random.default_rng(23)

    def rnd(*shape):
        return f32(rng.normal(0, 1, shape))

    x1, x1_cf = rnd(2, 4, 7, 3), rnd(2, 4, 3, 7)
    x2, x2_cf = rnd(2, 3, 5, 6, 2), rnd(2, 3, 2, 5, 6)
    x3, x3_cf = rnd(2, 3, 4, 3, 5, 2), rnd(2, 2, 2, 4, 3, 3)
    seq, state = {"return_sequences": True}, {"return_state": True}
    cases = [
        ("ConvLSTM1D_valid", "ConvLSTM1D", {"filters": 2, "kernel_size": 3}, x1),
        ("ConvLSTM1D_same_seq", "ConvLSTM1D",
         {"filters": 3, "kernel_size": 3, "padding": "same", **seq}, x1),
        ("ConvLSTM1D_strides2_seq_state", "ConvLSTM1D",
         {"filters": 2, "kernel_size": 2, "strides": 2, **seq, **state}, x1),
        ("ConvLSTM1D_dilation2_backwards_seq", "ConvLSTM1D",
         {"filters": 2, "kernel_size": 2, "dilation_rate": 2,
          "go_backwards": True, **seq}, x1),
        ("ConvLSTM1D_channels_first_seq", "ConvLSTM1D",
         {"filters": 2, "kernel_size": 3, "padding": "same",
          "data_format": "channels_first", **seq}, x1_cf),
        ("ConvLSTM2D_valid", "ConvLSTM2D", {"filters": 2, "kernel_size": 3}, x2),
        ("ConvLSTM2D_same_seq_state", "ConvLSTM2D",
         {"filters": 3, "kernel_size": 3, "padding": "same", **seq, **state},
         x2),
        ("ConvLSTM2D_kernel32_strides21", "ConvLSTM2D",
         {"filters": 2, "kernel_size": [3, 2], "strides": [2, 1], **seq}, x2),
        ("ConvLSTM2D_dilation2_same_backwards", "ConvLSTM2D",
         {"filters": 2, "kernel_size": 2, "dilation_rate": 2,
          "padding": "same", "go_backwards": True}, x2),
        ("ConvLSTM2D_channels_first_state_backwards", "ConvLSTM2D",
         {"filters": 2, "kernel_size": 2, "padding": "same",
          "data_format": "channels_first", "go_backwards": True, **seq,
          **state}, x2_cf),
        ("ConvLSTM2D_relu_hard_sigmoid_nobias", "ConvLSTM2D",
         {"filters": 2, "kernel_size": 2, "activation": "relu",
          "recurrent_activation": "hard_sigmoid", "use_bias": False, **seq},
         x2),
        ("ConvLSTM2D_initial_state", "ConvLSTM2D",
         {"filters": 2, "kernel_size": 3, "padding": "same", **seq, **state},
         x2),
        ("ConvLSTM3D_valid", "ConvLSTM3D", {"filters": 2, "kernel_size": 2}, x3),
        ("ConvLSTM3D_same_seq_state", "ConvLSTM3D",
         {"filters": 2, "kernel_size": 3, "padding": "same", **seq, **state},
         x3),
        ("ConvLSTM3D_channels_first_strides2", "ConvLSTM3D",
         {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
          "data_format": "channels_first", **seq}, x3_cf),
    ]
    for name, cls, cfg, x in cases:
        keras.backend.clear_session()  # un-suffixed auto names
        layer = getattr(keras.layers, cls)(**cfg)
        layer.build(x.shape)
        names = [v.path for v in layer.weights]
        weights = [f32(rng.normal(0, 0.5, w.shape)) for w in layer.get_weights()]
        layer.set_weights(weights)
        arrays = {"x": x, **{f"w{i}": w for i, w in enumerate(weights)}}
        call_kwargs, meta = {}, {}
        if name.endswith("initial_state"):
            step = (x.shape[0],) + x.shape[2:]
            h_shape = layer.cell.compute_output_shape(step)[0]
            arrays["h0"], arrays["c0"] = rnd(*h_shape), rnd(*h_shape)
            call_kwargs["initial_state"] = [arrays["h0"], arrays["c0"]]
            meta["initial_state"] = True
        out = layer(x, **call_kwargs)
        if isinstance(out, (list, tuple)):
            arrays.update({f"y{i}": to_np(o) for i, o in enumerate(out)})
            n_out = len(out)
        else:
            arrays["y"] = to_np(out)
            n_out = 1
        g.add(name, cls, "keras.layers", cfg, arrays, weight_names=names,
              n_weights=len(weights), n_outputs=n_out,
              keras_config=layer.get_config(), kind="layer", **meta)

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((3, 5, 5, 2)),
        keras.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True,
                                go_backwards=True),
        keras.layers.ConvLSTM2D(2, 2, strides=2, dropout=0.2, seed=1),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ], name="conv_lstm_model")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = rnd(32, 3, 5, 5, 2)
    y = rnd(32, 2)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = os.path.join(HERE, "conv_lstm_model.keras")
    model.save(path)
    # continue in a reloaded copy (training on after save() can trip over donated buffers)
    model = keras.models.load_model(path)
    pred = to_np(model.predict(x[:4], verbose=0))
    # the step without dropout (rate 0 in the reloaded copy) so that kerasx can repeat it
    model.layers[1].cell.dropout = 0.0
    model.train_on_batch(x[8:16], y[8:16])
    g.add("saved_model", "Sequential", "keras", {}, {
        "x": x[:4], "pred": pred, "step_x": x[8:16], "step_y": y[8:16],
        "after_step": to_np(model.predict(x[:4], verbose=0))},
        kind="saved_model", file="conv_lstm_model.keras")
    g.write()


# --------------------------------------------------------------------------
# EinsumDense and adaptive pooling
# --------------------------------------------------------------------------


def make_einsum_adaptive():
    """EinsumDense forward passes with fixed weights; AdaptiveAverage/MaxPooling1D/2D/3D
    forward passes; JAX gradients of both; a trained model saved as
    ``einsum_adaptive_model.keras`` (cross-loading)."""
    import jax

    g = Golden(
        "einsum_adaptive",
        seed=13,
        description=(
            "kind 'layer': layer = keras.layers.<Class>(**config); layer(x) builds it; "
            "layer.set_weights([w0, ...]) (get_weights() order, names in "
            "'weight_names'); y = layer(x); dx = d sum(y * proj) / dx and dw<i> the "
            "same for weight i, by jax.grad.  kind 'saved_model': the trained model in "
            "einsum_adaptive_model.keras, its predictions on x and after one more "
            "train_on_batch(step_x, step_y)."
        ),
    )
    rng = np.random.default_rng(13)

    def rnd(*shape):
        return f32(rng.normal(0, 1, shape))

    einsum = [
        ("EinsumDense_ab_bc", {"equation": "ab,bc->ac", "output_shape": 4,
                               "bias_axes": "c"}, (3, 5)),
        ("EinsumDense_seq_relu", {"equation": "abc,cd->abd", "output_shape": [None, 4],
                                  "bias_axes": "d", "activation": "relu"}, (2, 3, 5)),
        ("EinsumDense_split_heads", {"equation": "abc,cde->abde",
                                     "output_shape": [3, 2, 4], "bias_axes": "de"},
         (2, 3, 5)),
        ("EinsumDense_bias_be", {"equation": "abc,cde->abde", "output_shape": [3, 2, 4],
                                 "bias_axes": "be"}, (2, 3, 5)),
        ("EinsumDense_merge_heads", {"equation": "abcd,cde->abe", "output_shape": [3, 4],
                                     "bias_axes": "e"}, (2, 3, 2, 5)),
        ("EinsumDense_left_ellipsis", {"equation": "...b,bc->...c", "output_shape": 3,
                                       "bias_axes": "c", "activation": "tanh"},
         (2, 3, 4, 5)),
        ("EinsumDense_right_ellipsis", {"equation": "ab...,bc->ac...", "output_shape": 3,
                                        "bias_axes": "c"}, (2, 4, 3, 2)),
        ("EinsumDense_no_bias", {"equation": "abc,cd->abd", "output_shape": [3, 4]},
         (2, 3, 5)),
        ("EinsumDense_transpose_output", {"equation": "abc,cd->adb",
                                          "output_shape": [4, 3], "bias_axes": "d"},
         (2, 3, 5)),
    ]
    adaptive = []
    for mode in ("Average", "Max"):
        adaptive += [
            (f"Adaptive{mode}Pooling1D_7to3", f"Adaptive{mode}Pooling1D",
             {"output_size": 3}, (2, 7, 3)),
            (f"Adaptive{mode}Pooling1D_8to4", f"Adaptive{mode}Pooling1D",
             {"output_size": 4}, (2, 8, 3)),
            (f"Adaptive{mode}Pooling1D_3to5_cf", f"Adaptive{mode}Pooling1D",
             {"output_size": [5], "data_format": "channels_first"}, (2, 2, 3)),
            (f"Adaptive{mode}Pooling2D_7x5to3x2", f"Adaptive{mode}Pooling2D",
             {"output_size": [3, 2]}, (2, 7, 5, 3)),
            (f"Adaptive{mode}Pooling2D_6x9to3", f"Adaptive{mode}Pooling2D",
             {"output_size": 3}, (2, 6, 9, 2)),
            (f"Adaptive{mode}Pooling2D_10x11to4x5_cf", f"Adaptive{mode}Pooling2D",
             {"output_size": [4, 5], "data_format": "channels_first"}, (1, 2, 10, 11)),
            (f"Adaptive{mode}Pooling2D_5x3to7x3", f"Adaptive{mode}Pooling2D",
             {"output_size": [7, 3]}, (1, 5, 3, 2)),
            (f"Adaptive{mode}Pooling3D_5x6x7to2x3x4", f"Adaptive{mode}Pooling3D",
             {"output_size": [2, 3, 4]}, (1, 5, 6, 7, 2)),
            (f"Adaptive{mode}Pooling3D_4x4x6to2_cf", f"Adaptive{mode}Pooling3D",
             {"output_size": 2, "data_format": "channels_first"}, (1, 2, 4, 4, 6)),
        ]

    def gradients(layer, x, y, weights):
        proj = rnd(*y.shape)

        def loss(x, *ws):
            y, _ = layer.stateless_call(list(ws), [], x)
            return jax.numpy.sum(y * proj)

        grads = jax.grad(loss, argnums=tuple(range(1 + len(weights))))(x, *weights)
        return proj, [to_np(d) for d in grads]

    cases = [(name, "EinsumDense", cfg, shape) for name, cfg, shape in einsum] + adaptive
    for name, cls, cfg, shape in cases:
        keras.backend.clear_session()
        x = rnd(*shape)
        layer = getattr(keras.layers, cls)(**cfg)
        layer(x)
        weights = [f32(rng.normal(0, 0.5, w.shape)) for w in layer.get_weights()]
        layer.set_weights(weights)
        y = to_np(layer(x))
        arrays = {"x": x, "y": y}
        arrays.update({f"w{i}": w for i, w in enumerate(weights)})
        if cls == "EinsumDense":
            proj, grads = gradients(layer, x, y, weights)
        else:
            proj, grads = gradients(layer, x, y, [])
        arrays["proj"] = proj
        arrays["dx"] = grads[0]
        arrays.update({f"dw{i}": d for i, d in enumerate(grads[1:])})
        g.add(name, cls, "keras.layers", cfg, arrays, kind="layer",
              weight_names=[w.path for w in layer.weights], n_weights=len(weights),
              keras_config=layer.get_config())

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inp = keras.Input((7, 6, 3))
    h = keras.layers.AdaptiveAveragePooling2D((3, 4))(inp)
    h = keras.layers.EinsumDense("abcd,de->abce", output_shape=(3, 4, 5),
                                 bias_axes="e", activation="relu")(h)
    h = keras.layers.AdaptiveMaxPooling2D((2, 3), data_format="channels_first")(h)
    h = keras.layers.Flatten()(h)
    out = keras.layers.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c")(h)
    model = keras.Model(inp, out, name="einsum_adaptive_model")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = rnd(32, 7, 6, 3)
    y = rnd(32, 2)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = os.path.join(HERE, "einsum_adaptive_model.keras")
    model.save(path)
    model = keras.models.load_model(path)
    pred = to_np(model.predict(x[:4], verbose=0))
    model.train_on_batch(x[8:16], y[8:16])
    g.add("saved_model", "Functional", "keras", {}, {
        "x": x[:4], "pred": pred, "step_x": x[8:16], "step_y": y[8:16],
        "after_step": to_np(model.predict(x[:4], verbose=0))},
        kind="saved_model", file="einsum_adaptive_model.keras")
    g.write()


FAMILIES = {
    "activations": make_activations,
    "losses": make_losses,
    "metrics": make_metrics,
    "metrics_iou": make_metrics_iou,
    "optimizers": make_optimizers,
    "schedules": make_schedules,
    "constraints_regularizers": make_constraints_regularizers,
    "layers": make_layers,
    "history_keys": make_history_keys,
    "attention": make_attention,
    "preprocessing": make_preprocessing,
    "ctc": make_ctc,
    "conv_lstm": make_conv_lstm,
    "einsum_adaptive": make_einsum_adaptive,
}


# Families whose generator lives in its own file, `family_<name>.py` (`make_<name>()`).
SEPARATE_FAMILIES = ("circle", "ops_more", "linalg_fft", "image", "color_augment",
                     "geometric_augment", "layers_more", "mixed_precision", "optimizers_more",
                     "ops_arguments", "api_more", "quantizers", "bounding_boxes",
                     "visualization", "distillation", "bounding_boxes_more", "bfloat16_ops",
                     "ops_defaults", "lora", "lora_quantized", "gptq", "ops_parity",
                     "preprocessing_api", "fuzz_training", "fuzz_vision",
                     "fuzz_sequence", "fuzz_saving", "fuzz_callbacks",
                     "fuzz_losses_metrics", "fuzz_models", "fuzz_dtypes",
                     "fuzz_regularization", "floatx_half", "fuzz_attention",
                     "fuzz_layer_grads", "fuzz_optimizers", "fuzz_model_api",
                     "fuzz_errors", "fuzz_edges", "dtype_config")
# Families that need Keras with TensorFlow installed: run their file on its own
# (see its docstring); a plain run of this script leaves them out.
TENSORFLOW_FAMILIES = ("lookup", "feature_space", "fuzz_preprocessing", "fuzz_data")


def main(argv):
    names = argv[1:] or list(FAMILIES) + list(SEPARATE_FAMILIES)
    for n in names:
        if n in FAMILIES:
            FAMILIES[n]()
        else:
            module = importlib.import_module(f"family_{n}")
            getattr(module, f"make_{n}")()


if __name__ == "__main__":
    main(sys.argv)
