"""`CutMix`: pastes a random box of another image of the batch into each image during
training, and mixes the labels by area."""

__all__ = ["CutMix"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer
from kerasx.layers.preprocessing._transformation import draws_of
from kerasx.layers.preprocessing.mix_up import blend


class CutMix(LabeledImageAugmentationLayer):
    """CutMix in training: a box of image `p(i)` (a random permutation `p` of the
    batch) replaces the same box of image `i`; labels, when given, are mixed in
    proportion to the area kept. Identity in inference and for one image alone.

    As in Keras, a Beta parameter `a` is drawn once per call from `factor`
    (plus 1e-6), a weight `w_i ~ Beta(a, a)` per image, and each side of the
    box is `sqrt(1 - w_i)` times the image's, placed uniformly inside it. The
    label weight is the exact fraction of the area outside the box.

    Call it on images, or on a dict `{"images": ..., "labels": ...,
    "segmentation_masks": ...}` (labels batch first); it returns the same
    structure. The masks get the same box of the same partner as their images
    and keep their dtype (Keras 3 casts them to floats and, for masks with
    fewer channels than the images, repeats them to the images' channels).
    With the same seed, the images of a dict are those of a call on the
    images alone. Bounding boxes are refused, as in Keras. A direct call
    counts as training, as in Keras. Images come out in the layer's float
    dtype; gradients pass to the images and the labels.

    Args:
        factor: a float `f` in [0, 1] (the Beta parameter drawn from
            `[0, f]`) or a pair `(min, max)`.
        seed: an int for a repeatable sequence of boxes.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _augment.factor_pair("CutMix", "factor", factor, 0.0, 1.0)
        self._set_seed_and_data_format("CutMix", seed, data_format)

    def call(self, data, training=True):
        is_dict = isinstance(data, dict)
        images = dict_inputs.images_of(self, data) if is_dict else data
        if is_dict and "bounding_boxes" in data:
            raise ValueError(
                "Bounding boxes are not supported by CutMix (nor by Keras's): layer "
                f"{self.name!r} received a 'bounding_boxes' key. Drop it, or use MixUp, "
                "which keeps the boxes of both images.")
        unbatched = len(images.shape) == 3
        images, _ = geometry.float_images(self, images)
        out = None
        if is_dict:
            size = geometry.height_width(images, self.data_format)
            out = self._dict_output(data, geometry.unbatch(images, unbatched), None, size)
        if training is False or unbatched:
            return out if is_dict else geometry.unbatch(images, unbatched)
        transformation = draws_of(self.get_random_transformation(images, True))
        boxes, order, _ = transformation
        images, labels = self.cut_mix(images, out.get("labels") if is_dict else None,
                                      boxes, order)
        if not is_dict:
            return images
        out["images"] = images
        if labels is not None:
            out["labels"] = labels
        if "segmentation_masks" in out:
            out["segmentation_masks"] = self._cut_masks(
                out["segmentation_masks"], transformation, images.shape)
        return out

    def _draw(self, images, count):
        """`(boxes, order, kept)`: the pixel bounds `(x0, x1, y0, y1)` of each image's
        box (float64), the permutation that names the image it is cut from, and the
        share of each image's area outside its box."""
        height, width = geometry.height_width(images, self.data_format)
        rng = current().rng
        alpha = float(_augment.uniform(self._seeds, 1, *self.factor)[0]) + 1e-6
        alpha = current().asarray(alpha, dtype="float64")
        weights = rng.beta((count,), alpha, alpha, dtype="float64", seed=self._seeds.next())
        ratio = current().xp.sqrt(1.0 - weights)
        x0, x1 = geometry.crop_bounds(self._seeds, count, width, ratio)
        y0, y1 = geometry.crop_bounds(self._seeds, count, height, ratio)
        order = rng.permutation(count, seed=self._seeds.next())
        return cut_transformation((x0, x1, y0, y1), order, height, width)

    def _apply(self, images, transformation):
        boxes, order, _ = transformation
        mask = geometry.box_mask(images, self.data_format, boxes)
        return ops.where(mask, ops.take(images, ops.convert_to_tensor(order), axis=0), images)

    def _apply_to_labels(self, labels, transformation):
        """The batch `labels` mixed with their partners' by the share of area kept."""
        _, order, kept = transformation
        return blend(labels, ops.take(labels, ops.convert_to_tensor(order), axis=0), kept)

    def _apply_to_masks(self, masks, transformation):
        return self._apply(masks, transformation)

    def _cut_masks(self, masks, transformation, images_shape):
        """The batch `masks` (laid out as images of shape `images_shape`) with the box
        of their partner's pasted in, in their dtype."""
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        if len(masks.shape) != 4 or any(masks.shape[a] != images_shape[a] for a in axes):
            raise ValueError(
                f"CutMix layer {self.name!r} expects segmentation masks of rank 4 with the "
                f"images' height and width ({self.data_format}), received masks of shape "
                f"{tuple(masks.shape)} for images of shape {tuple(images_shape)}.")
        return self._apply(masks, transformation)

    def cut_mix(self, images, labels, boxes, order):
        """`(images, labels)` of a batch whose boxes `boxes = (x0, x1, y0, y1)` (pixel
        bounds, one per image: `x0 <= x < x1`, `y0 <= y < y1`) come from the batch
        taken in `order`; `labels` (or None) keep the share of area outside the box."""
        transformation = cut_transformation(boxes, order,
                                            *geometry.height_width(images, self.data_format))
        images = self._apply(images, transformation)
        if labels is not None:
            labels = self._apply_to_labels(labels, transformation)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed,
                "data_format": self.data_format}


def cut_transformation(boxes, order, height, width):
    """CutMix's transformation of the pixel bounds `boxes = (x0, x1, y0, y1)` and the
    permutation `order` for images of `height` x `width`."""
    x0, x1, y0, y1 = (geometry.as_float64(b) for b in boxes)
    kept = 1.0 - (x1 - x0) * (y1 - y0) / float(width * height)
    return boxes, order, kept
