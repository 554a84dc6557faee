"""`MonitorCallback`: the shared logic of callbacks that watch a metric for improvement."""

import warnings

from kerasx.callbacks.callback import Callback
from kerasx.utils.suggest import did_you_mean

_UP_WORDS = ("acc", "auc", "cosine", "precision", "recall", "f1", "fbeta", "iou", "r2", "fmeasure",
             "true_positives", "true_negatives", "specificity", "sensitivity")


def metric_direction(model, name):
    """"up", "down" or None: whether metric `name` (without `val_`) improves upward."""
    if name == "loss" or name.endswith("_loss"):
        return "down"
    for metric in _all_metrics(model):
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None):
            return metric._direction
    lowered = name.lower()
    if any(word in lowered for word in _UP_WORDS):
        return "up"
    if any(word in lowered for word in ("error", "loss", "crossentropy", "hinge", "divergence",
                                        "poisson", "cosh", "mse", "mae", "mape", "msle")):
        return "down"
    return None


def _all_metrics(model):
    out = []
    for metric in getattr(model, "metrics", None) or []:
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            out.extend(m[-1] if isinstance(m, tuple) else m for m in inner)
        out.append(metric)
    return out


class MonitorCallback(Callback):
    """Base class of callbacks that monitor a quantity and detect improvements.

    Args:
        monitor: the log key to watch (default `"val_loss"`).
        mode: `"min"`, `"max"` or `"auto"` (decided from the metric: losses and
            errors go down; accuracy, AUC, precision, recall... go up).
        baseline: the initial "best" value; None takes the first monitored value.
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode {mode!r} is unknown (expected 'auto', 'min' or "
                "'max'); falling back to 'auto'.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            direction = "down"
        elif self.mode == "max":
            direction = "up"
        else:
            direction = metric_direction(self.model, self.monitor.removeprefix("val_"))
            if direction is None:
                raise ValueError(
                    f"{type(self).__name__} received monitor={self.monitor!r} but cannot tell "
                    "whether that metric should be maximized or minimized. Pass mode='max' to "
                    "keep the highest value or mode='min' to keep the lowest."
                    + _monitor_hint(self.model, self.monitor)
                )
        if direction == "down":
            self.monitor_op = _less
            self.min_delta = -abs(self.min_delta)
        else:
            self.monitor_op = _greater
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


def _monitor_hint(model, monitor):
    """The hint `" Did you mean 'val_loss'?"` when `monitor` looks like a misspelt log key
    of `model` (its metrics, with and without `val_`), else `""`."""
    names = {"loss"} | {getattr(m, "name", None) for m in _all_metrics(model)
                        if not isinstance(getattr(m, "metrics", None), (list, tuple))}
    names = {n for n in names if isinstance(n, str)}
    return did_you_mean(monitor, sorted(names | {f"val_{n}" for n in names}), n=1, cutoff=0.8)


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b
