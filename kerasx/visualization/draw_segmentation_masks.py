"""`draw_segmentation_masks`: class masks painted over a batch of images."""

import numbers

from kerasx.visualization import _common

_CALLER = "draw_segmentation_masks()"


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Paints segmentation masks over a batch of images.

    Every pixel whose class `c` is in `0..num_classes - 1` takes the colour of
    class `c`, mixed with the image as `image * (1 - alpha) + colour * alpha`
    when `blend`. Pixels of class `ignore_index`, and of classes outside
    `0..num_classes - 1`, keep the image's value. As in Keras, `num_classes`
    defaults to the largest class in the masks, which leaves that class
    unpainted: pass `num_classes=max_class + 1` to paint every class. Class 0
    is painted too (black in the default palette) unless `ignore_index=0`.

    Args:
        images: a batch of images, `(batch, height, width, channels)` (or
            channels first, see `data_format`), with values in 0..255 (the
            blended result is clipped to that range). A grey image is painted
            with the first component of each colour.
        segmentation_masks: integer class ids, `(batch, height, width)` or
            `(batch, height, width, 1)` (`(batch, 1, height, width)` channels
            first).
        num_classes: how many classes to paint (default: the largest class id).
        color_mapping: the RGB colour of each class `0..num_classes - 1` (a
            dict or list); default: a fixed palette.
        alpha: the opacity of the masks, in 0..1.
        blend: mix the colours with the image (result `uint8`); `False`
            replaces the pixels by the colours (result `float32`).
        ignore_index: the class id left unpainted.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `keras.config.image_data_format()`).

    Returns:
        A NumPy array in the layout of `images`: `uint8` when `blend`, else
        `float32`.
    """
    data_format = _common.check_data_format(data_format, _CALLER)
    images = _common.batched_images(images, _CALLER)
    images = _common.channels_last(images, data_format).astype("float32")
    masks = masks_as_batch(segmentation_masks, images.shape, data_format, _CALLER)
    drawn = paint_masks(images, masks, num_classes, color_mapping, alpha, blend, ignore_index,
                        _CALLER)
    return _common.from_channels_last(drawn, data_format)


def paint_masks(images, masks, num_classes, color_mapping, alpha, blend, ignore_index, caller):
    """`draw_segmentation_masks` on channels-last float32 images and `(batch, height,
    width)` integer masks, both NumPy arrays."""
    if num_classes is None:
        if masks.size == 0:
            raise ValueError(f"{caller}: `segmentation_masks` is empty, so `num_classes` cannot "
                             "be inferred from it. Pass `num_classes`.")
        num_classes = max(int(masks.max()), 0)
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise ValueError(f"{caller}: `num_classes` must be an integer. Received: "
                         f"num_classes={num_classes!r}.")
    alpha = _check_alpha(alpha, caller)
    channels = images.shape[-1]
    colors = _class_colors(int(num_classes), color_mapping, caller)
    colored = images.copy()
    for class_id, color in enumerate(colors):
        colored[masks == class_id] = _common.pixel_for(color, channels, "color_mapping", caller)
    ignored = masks == ignore_index
    if not blend:
        colored[ignored] = images[ignored]
        return colored
    mixed = images * (1 - alpha) + colored * alpha
    mixed[ignored] = images[ignored]
    return mixed.clip(0, 255).astype("uint8")


def default_palette(num_classes):
    """The colours Keras gives classes `0..num_classes - 1` when no mapping is given."""
    return [tuple(i * prime % 255 for prime in (2**25 - 1, 2**15 - 1, 2**21 - 1))
            for i in range(num_classes)]


def _class_colors(num_classes, color_mapping, caller):
    if num_classes < 0:
        raise ValueError(f"{caller}: `num_classes` must be non-negative. Received: "
                         f"num_classes={num_classes}.")
    if color_mapping is None:
        return default_palette(num_classes)
    if isinstance(color_mapping, dict):
        missing = [c for c in range(num_classes) if c not in color_mapping]
    else:
        color_mapping = list(color_mapping)
        missing = list(range(len(color_mapping), num_classes))
    if missing:
        raise ValueError(f"{caller}: `color_mapping` must give a colour to every class 0.."
                         f"{num_classes - 1}; classes {missing} have none. Add them, or pass "
                         "color_mapping=None for the default palette.")
    return [_common.check_color(color_mapping[c], f"color_mapping[{c}]", caller)
            for c in range(num_classes)]


def masks_as_batch(segmentation_masks, images_shape, data_format, caller,
                   name="segmentation_masks"):
    """The masks as a `(batch, height, width)` integer NumPy array, checked against the images."""
    from kerasx.backend import standardize_dtype

    masks = _common.host_array(segmentation_masks)
    received_shape = masks.shape
    dtype = standardize_dtype(masks.dtype)
    if not dtype.startswith(("int", "uint")):
        raise TypeError(f"{caller}: `{name}` must be in integer dtype (class ids). "
                        f"Received: {name}.dtype={dtype}. Cast it with "
                        "`keras.ops.cast(masks, 'int32')`.")
    channel_axis = 1 if data_format == "channels_first" else 3
    if masks.ndim == 4 and masks.shape[channel_axis] == 1:
        masks = masks[:, 0] if channel_axis == 1 else masks[..., 0]
    if masks.shape != tuple(images_shape[:3]):
        expected = tuple(images_shape[:3])
        raise ValueError(f"{caller}: `{name}` must have shape (batch, height, width) "
                         f"= {expected}, or that with a channel axis of 1, to match `images`. "
                         f"Received: {name}.shape={received_shape}.")
    return masks


def _check_alpha(alpha, caller):
    if not isinstance(alpha, numbers.Real) or not 0 <= alpha <= 1:
        raise ValueError(f"{caller}: `alpha` must be a number in [0, 1]. Received: "
                         f"alpha={alpha!r}.")
    return float(alpha)
