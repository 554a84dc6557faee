"""`crop_images` and `pad_images`: fixed crops and zero padding of the spatial axes."""

from kerasx import ops
from kerasx.ops.image._common import data_format_of, images_of, spatial_axes


def _two_of_three(op, names, values):
    if list(values).count(None) != 1:
        given = ", ".join(f"{n}={v!r}" for n, v in zip(names, values))
        raise ValueError(f"ops.image.{op}: Must specify exactly two of {', '.join(names)}. "
                         f"Received: {given}. Leave exactly one of them None.")
    for name, value in zip(names, values):
        if value is not None and (isinstance(value, bool) or not hasattr(value, "__index__")
                                  or value < 0):
            raise ValueError(f"ops.image.{op}: {name} must be >= 0 (a non-negative "
                             f"integer). Received: {name}={value!r}.")


def _check_amounts(op, amounts):
    for name, value in amounts:
        if value < 0:
            raise ValueError(f"ops.image.{op}: {name} must be >= 0, received {name}={value} "
                             "(the other two arguments of that axis do not fit the images).")


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pads images with zeros: per axis give two of the before/after padding and the
    target size (the third follows).

    Returns:
        The padded image (rank 3) or batch (rank 4); gradients pass back to the
        unpadded part.
    """
    _two_of_three("pad_images", ("top_padding", "bottom_padding", "target_height"),
                  (top_padding, bottom_padding, target_height))
    _two_of_three("pad_images", ("left_padding", "right_padding", "target_width"),
                  (left_padding, right_padding, target_width))
    images = images_of("pad_images", images)
    axes = spatial_axes(len(images.shape), data_format_of(data_format))
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    _check_amounts("pad_images", (("top_padding", top_padding),
                                  ("bottom_padding", bottom_padding),
                                  ("left_padding", left_padding),
                                  ("right_padding", right_padding)))
    pads = [(0, 0)] * len(images.shape)
    pads[axes[0]] = (top_padding, bottom_padding)
    pads[axes[1]] = (left_padding, right_padding)
    return ops.pad(images, pads)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crops images: per axis give two of the before/after cropping and the target
    size (the third follows).

    Returns:
        The cropped image (rank 3) or batch (rank 4); gradients pass back to the
        window.
    """
    _two_of_three("crop_images", ("top_cropping", "bottom_cropping", "target_height"),
                  (top_cropping, bottom_cropping, target_height))
    _two_of_three("crop_images", ("left_cropping", "right_cropping", "target_width"),
                  (left_cropping, right_cropping, target_width))
    images = images_of("crop_images", images)
    axes = spatial_axes(len(images.shape), data_format_of(data_format))
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    _check_amounts("crop_images", (("top_cropping", top_cropping),
                                   ("target_height", target_height),
                                   ("left_cropping", left_cropping),
                                   ("target_width", target_width)))
    if top_cropping + target_height > height or left_cropping + target_width > width:
        raise ValueError(f"ops.image.crop_images: the window of {target_height}x{target_width} "
                         f"at row {top_cropping}, column {left_cropping} does not fit in "
                         f"images of {height}x{width}.")
    key = [slice(None)] * len(images.shape)
    key[axes[0]] = slice(top_cropping, top_cropping + target_height)
    key[axes[1]] = slice(left_cropping, left_cropping + target_width)
    return images[tuple(key)]
