"""`plot_image_gallery`: a grid of images drawn with matplotlib, with optional labels."""

import math
import numbers

from kerasx.visualization import _common

_CALLER = "plot_image_gallery()"


def pyplot(caller):
    """`matplotlib.pyplot`, or an ImportError that says how to install matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(f"{caller} needs the matplotlib package, which is not installed. "
                          "Install it with `pip install matplotlib`.") from None
    return plt


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """Draws a batch of images as a grid, with optional true and predicted labels.

    The grid has `rows` rows and `cols` columns: by default about square
    (`rows = ceil(sqrt(batch))`), and either one, when not given, is what it
    takes to hold the batch (`cols = ceil(batch / rows)`). The first `rows *
    cols` images are drawn, and cells beyond the batch stay empty. Needs matplotlib
    (`pip install matplotlib`).

    Args:
        images: a batch of images, `(batch, height, width, channels)` (or
            channels first, see `data_format`), with 1, 3 or 4 channels.
        y_true: the true class id of each image, shown as the title `Label: name`.
        y_pred: the predicted class id of each image, shown as `Pred: name`.
        label_map: a dict from class id to name; required with `y_true` or `y_pred`.
        rows, cols: the shape of the grid.
        value_range: the range of the image values, e.g. `(0, 255)` or `(0, 1)`.
        scale: the size of each cell in inches.
        path: save the figure there (as `plt.savefig` does) and close it.
        show: call `plt.show()` and close the figure (default: when no `path`).
        transparent: save with a transparent background.
        dpi: the resolution of the saved figure.
        legend_handles: matplotlib artists (e.g. `Patch`es) for a legend below.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `keras.config.image_data_format()`).

    Returns:
        The matplotlib `Figure` when it is neither saved nor shown (`show=False`
        and no `path`), else `None` (the figure is closed).
    """
    if path is not None and show:
        raise ValueError(f"{_CALLER} expects either `path` to be set, or `show` to be true, not "
                         "both. Pass path=... to save the gallery, or show=True to display it.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(f"{_CALLER}: if `y_true` or `y_pred` are provided, a `label_map` must "
                         "also be provided (a dict from class id to class name).")
    data_format = _common.check_data_format(data_format, _CALLER)
    value_range = _common.check_value_range(value_range, _CALLER)
    images = _common.channels_last(_common.batched_images(images, _CALLER), data_format)
    batch_size = images.shape[0]
    rows, cols = _grid_size(rows, "rows"), _grid_size(cols, "cols")
    if rows is None:
        rows = max(1, math.ceil(batch_size / cols if cols else math.sqrt(batch_size)))
    cols = cols or max(1, math.ceil(batch_size / rows))
    plt = pyplot(_CALLER)
    images = _common.to_uint8(images[:rows * cols], value_range)
    titles = _titles(y_true, y_pred, label_map, len(images))

    figure, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                                frameon=False, layout="tight", squeeze=False, sharex="row",
                                sharey="col")
    figure.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        figure.legend(handles=legend_handles, loc="lower center")
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        image = images[index]
        if image.shape[-1] == 1:
            axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            axis.imshow(image)
        axis.margins(x=0, y=0)
        if titles[index]:
            axis.set_title(titles[index], fontsize=8)

    if path is not None:
        figure.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(figure)
        return None
    if show is None or show:
        plt.show()
        plt.close(figure)
        return None
    return figure


def _grid_size(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{_CALLER}: `{name}` must be a positive integer (or None to choose it "
                         f"from the batch size). Received: {name}={value!r}.")
    return int(value)


def _titles(y_true, y_pred, label_map, count):
    """The title of each of the first `count` cells ("" for none)."""
    parts = [[] for _ in range(count)]
    for prefix, labels in (("Label", y_true), ("Pred", y_pred)):
        if labels is None:
            continue
        labels = _common.host_array(labels).reshape(-1)
        for index in range(min(count, labels.shape[0])):
            parts[index].append(f"{prefix}: {label_map.get(int(labels[index]), 'Unknown')}")
    return ["  ".join(p) for p in parts]
