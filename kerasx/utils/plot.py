"""`plot_history`: a PNG of the loss and metric curves of a training run."""

import os


def plot_history(history, path, metrics=None, title=None):
    """Saves the training curves of `history` as a PNG image.

    One panel per metric (`loss`, `accuracy`, ...), each with the training
    curve and, when present, the validation curve (`val_*`), against the epoch
    number. Needs matplotlib (`pip install matplotlib`); kerasx does not
    depend on it otherwise.

    Args:
        history: the `History` returned by `fit`, or its `history` dict.
        path: the PNG file to write.
        metrics: the metric names to plot (default: every training key).
        title: an optional title above the panels.

    Returns:
        `path`.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(
            "plot_history expects the History returned by fit() (or its .history dict) with at "
            f"least one metric, received {type(history).__name__}"
            f"{' (empty)' if isinstance(logs, dict) else ''}."
        )
    names = list(metrics) if metrics is not None else sorted(
        (k for k in logs if not k.startswith("val_")), key=lambda k: (k != "loss", k))
    unknown = [n for n in names if n not in logs]
    if unknown or not names:
        raise ValueError(
            f"plot_history: metrics {unknown or names} are not in the history; available: "
            f"{sorted(logs)}."
        )
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "plot_history needs the matplotlib package, which is not installed. Install it with "
            "`pip install matplotlib`."
        ) from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    epochs = list(getattr(history, "epoch", None) or range(len(logs[names[0]])))
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names):
        axis.plot([e + 1 for e in epochs[:len(logs[name])]], logs[name], marker="o",
                  label=f"training {name}")
        if f"val_{name}" in logs:
            val = logs[f"val_{name}"]
            # with validation_freq=k only every k-th epoch has a validation value
            step = len(logs[name]) / max(len(val), 1)
            val_epochs = [epochs[min(len(epochs), round((i + 1) * step)) - 1]
                          for i in range(len(val))]
            axis.plot([e + 1 for e in val_epochs], val, marker="o", label=f"validation {name}")
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path
