"""Dict inputs of the image preprocessing layers: `{"images": ..., "labels": ...,
"bounding_boxes": {"boxes": ..., "labels": ...}, "segmentation_masks": ...}`.

`BoxesAndMasks` is the mixin the image layers share. A layer that moves pixels
defines the hooks `_apply_to_boxes` (absolute `xyxy` boxes in, boxes and the
output image size out) and `_apply_to_masks`; the mixin converts the boxes from
and back to the layer's `bounding_box_format`, clips them to the output image (a
box left empty gets the label -1) and restores one image's unbatched shapes.
"""

from kerasx import ops
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._transformation import draws_of
from kerasx.utils.bounding_boxes.converters import check_format, convert_format
from kerasx.utils.bounding_boxes.geometry import clip_to_image_size

KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks")


def images_of(layer, data):
    """`data["images"]`, once the keys of `data` are checked."""
    name = type(layer).__name__
    if "images" not in data:
        raise ValueError(f"{name} layer {layer.name!r} received a dict without an 'images' "
                         f"key (keys: {sorted(data)}). Pass images, or a dict with 'images' "
                         "and optionally 'labels', 'bounding_boxes' and 'segmentation_masks'.")
    extra = sorted(set(data) - set(KEYS))
    if extra:
        raise ValueError(f"{name} layer {layer.name!r} received the unknown keys {extra}; the "
                         f"keys of its dict input are {list(KEYS)}.")
    return data["images"]


def _check_box_keys(bounding_boxes):
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes or \
            "labels" not in bounding_boxes:
        received = sorted(bounding_boxes) if isinstance(bounding_boxes, dict) else \
            type(bounding_boxes).__name__
        raise ValueError("Expected `bounding_boxes` argument to be a dict with keys 'boxes' "
                         f"and 'labels'. Received: {received}.")


def dense_boxes(bounding_boxes, batched):
    """`(boxes, labels)` of a `bounding_boxes` dict: boxes float32 of shape `(batch,
    N, 4)` (`(N, 4)` for one image), labels a tensor of shape `(batch, N)` or `(N,)`
    (a trailing class axis is allowed)."""
    _check_box_keys(bounding_boxes)
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"], "float32")
    labels = ops.convert_to_tensor(bounding_boxes["labels"])
    rank = 3 if batched else 2
    if len(boxes.shape) != rank or boxes.shape[-1] != 4:
        expected = "(batch, n, 4)" if batched else "(n, 4)"
        raise ValueError(f"Expected bounding_boxes['boxes'] of shape {expected} for "
                         f"{'a batch of images' if batched else 'one image'}, received "
                         f"bounding_boxes['boxes'].shape={tuple(boxes.shape)}.")
    if len(labels.shape) not in (rank - 1, rank) or \
            tuple(labels.shape[:rank - 1]) != tuple(boxes.shape[:rank - 1]):
        raise ValueError(f"Found bounding_boxes['boxes'].shape={tuple(boxes.shape)} and "
                         f"expected bounding_boxes['labels'] of shape {tuple(boxes.shape[:-1])}"
                         f" (or with a class axis), but received "
                         f"bounding_boxes['labels'].shape={tuple(labels.shape)}.")
    return boxes, labels


class BoxesAndMasks:
    """The dict-input half of an image preprocessing layer (see the module)."""

    bounding_box_format = None
    # a layer that is not random changes its inputs in inference too
    _applies_in_inference = True

    def _set_bounding_box_format(self, bounding_box_format):
        if bounding_box_format is not None:
            check_format("bounding_box_format", bounding_box_format,
                         f"{type(self).__name__}")
        self.bounding_box_format = bounding_box_format

    def _passes_boxes(self):
        """Whether the layer leaves bounding boxes as they are (it moves no pixels)."""
        return False

    def _apply_to_boxes(self, boxes, draws, height, width):
        """`(boxes, out_height, out_width)`: the absolute `xyxy` boxes `(batch, N, 4)`
        of images `height` x `width` moved with the images by `draws`."""
        raise NotImplementedError(
            f"{type(self).__name__} does not transform bounding boxes. Transform them "
            "separately, or drop the 'bounding_boxes' key.")

    def _apply_to_masks(self, masks, draws):
        """The batch of masks moved with the images by `draws`."""
        raise NotImplementedError(
            f"{type(self).__name__} does not transform segmentation masks. Transform them "
            "separately, or drop the 'segmentation_masks' key.")

    def _dict_output(self, data, images, transformation, size):
        """The output dict of `data`: `images` (already transformed, the rank of
        `data["images"]`), and the labels, boxes and masks of `data` moved by
        `transformation` through the public `transform_*` methods (None: left
        alone). `size` is the input `(height, width)`."""
        batched = len(data["images"].shape) == 4
        out = dict(data)
        out["images"] = images
        if "labels" in data:
            labels = ops.convert_to_tensor(data["labels"])
            if transformation is not None:
                labels = self.transform_labels(labels, transformation) if batched else \
                    self.transform_single_label(labels, transformation)
            out["labels"] = labels
        if "bounding_boxes" in data:
            out["bounding_boxes"] = self._moved_boxes(data["bounding_boxes"], transformation,
                                                      size, batched)
        if "segmentation_masks" in data:
            masks = ops.convert_to_tensor(data["segmentation_masks"])
            if transformation is not None:
                masks = self.transform_segmentation_masks(masks, transformation) if batched \
                    else self.transform_single_segmentation_mask(masks, transformation)
            out["segmentation_masks"] = masks
        return out

    def _moved_boxes(self, bounding_boxes, transformation, size, batched, public=True):
        """The `bounding_boxes` dict moved by `transformation`; with `public`, through
        the layer's own `transform_bounding_boxes` when a subclass replaces it."""
        if not self.bounding_box_format:
            raise ValueError(
                "Bounding boxes need a format: you passed an input with a 'bounding_boxes' "
                "key, but you didn't specify a bounding box format. Pass a "
                f"`bounding_box_format` argument to your {type(self).__name__} layer, e.g. "
                "`bounding_box_format='xyxy'`.")
        if transformation is None or self._passes_boxes():
            # left as they are, so (as Keras) their shapes are not checked
            _check_box_keys(bounding_boxes)
            return {**bounding_boxes,
                    "boxes": ops.convert_to_tensor(bounding_boxes["boxes"], "float32"),
                    "labels": ops.convert_to_tensor(bounding_boxes["labels"])}
        boxes, labels = dense_boxes(bounding_boxes, batched)
        result = {**bounding_boxes, "boxes": boxes, "labels": labels}
        if public and _overrides(self, "transform_bounding_boxes"):
            # a subclass's own public method, on a batch as Keras's `call` gives it
            if batched:
                return self.transform_bounding_boxes(result, transformation)
            return self.transform_single_bounding_box(result, transformation)
        if not batched:
            boxes, labels = ops.expand_dims(boxes, 0), ops.expand_dims(labels, 0)
        fmt = self.bounding_box_format
        height, width = size
        boxes = convert_format(boxes, fmt, "xyxy", height=height, width=width)
        boxes, height, width = self._apply_to_boxes(boxes, draws_of(transformation), height,
                                                    width)
        clipped = clip_to_image_size({"boxes": boxes, "labels": labels}, height=height,
                                     width=width)
        boxes = convert_format(clipped["boxes"], "xyxy", fmt, height=height, width=width)
        labels = clipped["labels"]
        if not batched:
            boxes, labels = ops.squeeze(boxes, 0), ops.squeeze(labels, 0)
        return {**result, "boxes": boxes, "labels": labels}


def _overrides(layer, name):
    """Whether `layer`'s class replaces the public method `name` of its base layers."""
    from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI

    return getattr(type(layer), name) is not getattr(ImagePreprocessingAPI, name)


def resampled_masks(masks, dtype, resample):
    """`masks` resampled by `resample` (a function of float masks) in the layer's
    `dtype`, then back in their own dtype (nearest sampling keeps their values)."""
    source = masks.dtype
    return ops.cast(resample(as_dtype(masks, dtype)), source)


def window_boxes(boxes, top, left, window_height, window_width, height, width):
    """Absolute `xyxy` boxes moved into the `window_height` x `window_width` window at
    `(top, left)`, clipped to it, then scaled with the window to `height` x
    `width` (a crop followed by a resize)."""
    x1, y1, x2, y2 = ops.split(boxes, 4, axis=-1)
    scale_x, scale_y = width / window_width, height / window_height
    xs = [(ops.clip(x, left, left + window_width) - left) * scale_x for x in (x1, x2)]
    ys = [(ops.clip(y, top, top + window_height) - top) * scale_y for y in (y1, y2)]
    return ops.concatenate([xs[0], ys[0], xs[1], ys[1]], axis=-1)
