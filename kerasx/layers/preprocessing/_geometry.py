"""Plumbing the erasing, warping and mixing augmentation layers share: inputs given as
images or as a dict with `"images"` and `"labels"`, per-image probabilities of
application, and rectangular boxes of pixels."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._dtypes import as_dtype


def unpack(layer, data):
    """`(images, labels or None, is_dict)` of a layer's input: images, or a dict
    `{"images": ..., "labels": ...}` ("labels" optional)."""
    name = type(layer).__name__
    if not isinstance(data, dict):
        return data, None, False
    if "images" not in data:
        raise ValueError(f"{name} layer {layer.name!r} received a dict without an 'images' "
                         f"key (keys: {sorted(data)}). Pass images, or a dict "
                         "{'images': images, 'labels': labels}.")
    extra = sorted(set(data) - {"images", "labels"})
    if extra:
        raise ValueError(
            f"{name} layer {layer.name!r} received the keys {extra}; it takes images, or a "
            "dict with 'images' and optionally 'labels'. Bounding boxes and segmentation "
            "masks are not supported by this layer: transform them separately or drop the "
            "keys.")
    return data["images"], data.get("labels"), True


def pack(data, images, labels, is_dict):
    """The layer's output in the form of its input `data`."""
    if not is_dict:
        return images
    out = dict(data)
    out["images"] = images
    if labels is not None:
        out["labels"] = labels
    return out


def float_images(layer, images):
    """`images` checked (rank 3 or 4) and cast to the layer's dtype, as a batch:
    `(batch, unbatched)`."""
    image.check_images(layer, images.shape)
    images = as_dtype(images, layer.dtype)
    if len(images.shape) == 3:
        return ops.expand_dims(images, 0), True
    return images, False


def unbatch(images, unbatched):
    return ops.squeeze(images, 0) if unbatched else images


def height_width(images, data_format):
    axes = image.spatial_axes(len(images.shape), data_format)
    return images.shape[axes[0]], images.shape[axes[1]]


def applied(seeds, count, factor):
    """Keras's per-image coin: a probability drawn from `factor` (a pair), then the
    image is transformed when a uniform draw falls below it (a boolean backend array)."""
    probability = _augment.uniform(seeds, count, *factor)
    return _augment.uniform(seeds, count, 0.0, 1.0) < probability


def crop_bounds(seeds, count, length, ratio):
    """`(start, end)`: a span of `ratio * length` (float64, one per image) placed
    uniformly at random within `[0, length]`."""
    span = ratio * float(length)
    start = _augment.uniform(seeds, count, 0.0, 1.0) * (float(length) - span)
    return start, start + span


def as_float64(values):
    """`values` (numbers, an array or a tensor) as a float64 backend array."""
    backend = current()
    return backend.xp.astype(value_of(ops.convert_to_tensor(values)), backend.dtype("float64"))


def box_mask(images, data_format, boxes):
    """A boolean tensor, True at the pixels `x0 <= x < x1`, `y0 <= y < y1` of each
    image's box `boxes = (x0, x1, y0, y1)` (one value per image each), shaped to
    broadcast against the batch `images` (size 1 on the channel axis)."""
    backend = current()
    xp = backend.xp
    f64 = backend.dtype("float64")
    x0, x1, y0, y1 = (xp.reshape(as_float64(b), (-1, 1, 1)) for b in boxes)
    height, width = height_width(images, data_format)
    rows = xp.reshape(xp.arange(height, dtype=f64, device=backend.device), (1, height, 1))
    cols = xp.reshape(xp.arange(width, dtype=f64, device=backend.device), (1, 1, width))
    inside = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
    axis = 3 if data_format == "channels_last" else 1
    return ops.convert_to_tensor(xp.expand_dims(inside, axis=axis))


def per_image_flags(flags):
    """Boolean flags, one per image, shaped `(batch, 1, 1, 1)`."""
    flags = value_of(ops.convert_to_tensor(flags))
    return ops.convert_to_tensor(current().xp.reshape(flags, (-1, 1, 1, 1)))
