"""`plot_bounding_box_gallery`: a grid of images with true and predicted boxes drawn on."""

from kerasx.visualization import _common
from kerasx.visualization.draw_bounding_boxes import draw_boxes_on_uint8
from kerasx.visualization.plot_image_gallery import plot_image_gallery, pyplot

_CALLER = "plot_bounding_box_gallery()"


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None,
                              rows=None, cols=None, data_format=None, **kwargs):
    """Draws a batch of images as a grid, with ground-truth and predicted boxes.

    The images are mapped from `value_range` to 0..255, the boxes of `y_true`
    are drawn in `true_color` and those of `y_pred` in `pred_color` (as
    `draw_bounding_boxes` draws them), and the result goes to
    `plot_image_gallery`. Needs matplotlib; class labels also need Pillow.

    Args:
        images: a batch of images, `(batch, height, width, channels)` (or
            channels first, see `data_format`).
        bounding_box_format: the format of the boxes (see `draw_bounding_boxes`).
        y_true: the ground-truth boxes, a dict as `draw_bounding_boxes` takes.
        y_pred: the predicted boxes, a dict likewise.
        value_range: the range of the image values, e.g. `(0, 255)` or `(0, 1)`.
        true_color: the RGB colour of the ground-truth boxes.
        pred_color: the RGB colour of the predicted boxes.
        line_thickness: the width of the box outlines in pixels.
        font_scale: the size of the labels.
        text_thickness: the stroke weight of the labels (default: `line_thickness`).
        class_mapping: a dict from class id to name, for both kinds of boxes.
        ground_truth_mapping: the names for `y_true` (default: `class_mapping`).
        prediction_mapping: the names for `y_pred` (default: `class_mapping`).
        legend: add a legend "Ground Truth" / "Prediction" in the two colours.
        legend_handles: matplotlib artists for a legend of one's own (not with `legend`).
        rows, cols: the shape of the grid.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `keras.config.image_data_format()`).
        **kwargs: passed to `plot_image_gallery` (`path`, `show`, `scale`, ...).

    Returns:
        What `plot_image_gallery` returns.
    """
    if legend and legend_handles:
        raise ValueError(f"Only pass `legend` OR `legend_handles` to {_CALLER}: `legend=True` "
                         "builds the legend from the two box colours.")
    data_format = _common.check_data_format(data_format, _CALLER)
    value_range = _common.check_value_range(value_range, _CALLER)
    images = _common.channels_last(_common.batched_images(images, _CALLER), data_format)
    pyplot(_CALLER)  # a missing matplotlib is reported before any drawing
    drawn = _common.to_uint8(images, value_range)
    for boxes, color, mapping in ((y_true, true_color, ground_truth_mapping or class_mapping),
                                  (y_pred, pred_color, prediction_mapping or class_mapping)):
        if boxes is not None:
            drawn = draw_boxes_on_uint8(drawn, boxes, bounding_box_format, mapping, color,
                                        line_thickness, text_thickness, font_scale, _CALLER)
    if legend:
        from matplotlib import patches

        legend_handles = [
            patches.Patch(color=_unit_rgb(true_color, "true_color"), label="Ground Truth"),
            patches.Patch(color=_unit_rgb(pred_color, "pred_color"), label="Prediction"),
        ]
    return plot_image_gallery(drawn, value_range=(0, 255), legend_handles=legend_handles,
                              rows=rows, cols=cols, data_format="channels_last", **kwargs)


def _unit_rgb(color, name):
    """An RGB colour in 0..255 as matplotlib's 0..1 triple."""
    return tuple(c / 255.0 for c in _common.check_color(color, name, _CALLER))
