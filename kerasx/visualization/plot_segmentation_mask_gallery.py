"""`plot_segmentation_mask_gallery`: each image beside its true and predicted masks."""

from kerasx.visualization import _common
from kerasx.visualization.draw_segmentation_masks import masks_as_batch, paint_masks
from kerasx.visualization.plot_image_gallery import plot_image_gallery, pyplot

_CALLER = "plot_segmentation_mask_gallery()"


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """Draws one row per image: the image, then its true masks, then its predicted
    masks (each painted over the image as `draw_segmentation_masks` paints them).

    The images are mapped from `value_range` to 0..255 before the masks are
    painted; masks of any dtype are cast to integers, as Keras casts them.
    Needs matplotlib.

    Args:
        images: a batch of images, `(batch, height, width, channels)` (or
            channels first, see `data_format`).
        num_classes: how many classes to paint (`0..num_classes - 1`).
        value_range: the range of the image values, e.g. `(0, 255)` or `(0, 1)`.
        y_true: the true masks, `(batch, height, width)` or with a channel axis of 1.
        y_pred: the predicted masks, likewise.
        color_mapping: the RGB colour of each class (default: a fixed palette).
        blend: mix the colours with the image with opacity `alpha`.
        alpha: the opacity of the masks, in 0..1.
        ignore_index: the class id left unpainted.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `keras.config.image_data_format()`), for images and masks alike.
        **kwargs: passed to `plot_image_gallery` (`path`, `show`, `scale`, ...).

    Returns:
        What `plot_image_gallery` returns.
    """
    data_format = _common.check_data_format(data_format, _CALLER)
    value_range = _common.check_value_range(value_range, _CALLER)
    images = _common.channels_last(_common.batched_images(images, _CALLER), data_format)
    pyplot(_CALLER)  # a missing matplotlib is reported before any drawing
    images = _common.to_0_255(images, value_range)
    columns = [images]
    for name, masks in (("y_true", y_true), ("y_pred", y_pred)):
        if masks is not None:
            masks = _common.host_array(masks).astype("int32")
            masks = masks_as_batch(masks, images.shape, data_format, _CALLER, name)
            painted = paint_masks(images, masks, num_classes, color_mapping, alpha, blend,
                                  ignore_index, _CALLER)
            columns.append(painted)
    gallery = _common.stack([column[i] for i in range(images.shape[0]) for column in columns])
    return plot_image_gallery(gallery, value_range=(0, 255), rows=images.shape[0],
                              cols=len(columns), data_format="channels_last", **kwargs)
