"""`MixUp`: blends each image (and its label) with another of the batch during training."""

__all__ = ["MixUp"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _dict_inputs as dict_inputs
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer
from kerasx.layers.preprocessing._transformation import draws_of


class MixUp(LabeledImageAugmentationLayer):
    """MixUp in training: image `i` becomes `w_i x_i + (1 - w_i) x_p(i)` for a random
    permutation `p` of the batch and weights `w_i ~ Beta(alpha, alpha)`; the
    labels, when given, are mixed with the same weights. Identity in inference.

    Call it on images, or on a dict `{"images": ..., "labels": ...,
    "bounding_boxes": {"boxes": ..., "labels": ...}, "segmentation_masks":
    ...}` (labels one-hot or soft, batch first); it returns the same
    structure. With the same seed, the images of a dict are those of a call
    on the images alone. One image alone is mixed with itself (left
    unchanged). A direct call counts as training, as in Keras. Images come out
    in the layer's float dtype; gradients pass to the images and the labels.

    As in Keras, each image keeps its boxes and gains those of its partner
    image `p(i)` (MixUp for object detection): boxes `(batch, N, 4)` become
    `(batch, 2N, 4)`, in the same format (`bounding_box_format` must be set),
    their labels `(batch, 2N)`. (Keras 3 joins the box labels along the batch
    axis instead; they are joined along the box axis here, next to their
    boxes.) Segmentation masks are blended with the images' weights and come
    out in the layer's float dtype. (Keras 3 gathers the partner masks from
    the flattened masks; here they are the partner images' masks.)

    Args:
        alpha: the Beta distribution's parameter (positive); small values
            mix little.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of mixes.
        bounding_box_format: the format of the boxes of a dict input (see
            `keras.utils.bounding_boxes.convert_format`).
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, bounding_box_format=None,
                 **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        if not _augment._number(alpha) or not alpha > 0:
            raise ValueError(f"MixUp: alpha must be a positive number, received alpha={alpha!r}.")
        self.alpha = alpha
        self._set_seed_and_data_format("MixUp", seed, data_format)

    def call(self, data, training=True):
        is_dict = isinstance(data, dict)
        images = dict_inputs.images_of(self, data) if is_dict else data
        images, unbatched = geometry.float_images(self, images)
        out = None
        if is_dict:
            size = geometry.height_width(images, self.data_format)
            out = self._dict_output(data, geometry.unbatch(images, unbatched), None, size)
        if training is False:
            return out if is_dict else geometry.unbatch(images, unbatched)
        transformation = draws_of(self.get_random_transformation(images, True))
        weights, order = transformation
        labels = out.get("labels") if is_dict else None
        if labels is not None and unbatched:
            labels = ops.expand_dims(labels, 0)
        images, labels = self.mix(images, labels, weights, order)
        images = geometry.unbatch(images, unbatched)
        if not is_dict:
            return images
        out["images"] = images
        if labels is not None:
            out["labels"] = ops.squeeze(labels, 0) if unbatched else labels
        if "segmentation_masks" in out:
            masks = out["segmentation_masks"]
            masks = ops.expand_dims(masks, 0) if unbatched else masks
            masks = self._apply_to_masks(masks, transformation)
            out["segmentation_masks"] = ops.squeeze(masks, 0) if unbatched else masks
        if "bounding_boxes" in out:
            out["bounding_boxes"] = self.transform_box_dict(out["bounding_boxes"],
                                                            transformation, unbatched)
        return out

    def _draw(self, images, count):
        """`(weights, order)`: the share each image keeps (float64, one per image) and
        the permutation that names its partner."""
        rng = current().rng
        order = rng.permutation(count, seed=self._seeds.next())
        alpha = current().asarray(float(self.alpha), dtype="float64")
        weights = rng.beta((count,), alpha, alpha, dtype="float64", seed=self._seeds.next())
        return weights, order

    def _apply(self, images, transformation):
        weights, order = transformation
        return blend(images, _partners(images, order), weights)

    def _apply_to_labels(self, labels, transformation):
        """The batch `labels` mixed as the images are (integer labels as floats)."""
        weights, order = transformation
        return blend(labels, _partners(labels, order), weights)

    def _apply_to_masks(self, masks, transformation):
        """The batch `masks` blended as the images are, in the layer's dtype."""
        return self._apply(as_dtype(masks, self.dtype), transformation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """The batched boxes of each image followed by its partner's (Keras's MixUp
        for object detection)."""
        if not self._active(training):
            return bounding_boxes
        return self.transform_box_dict(bounding_boxes, draws_of(transformation))

    def transform_box_dict(self, bounding_boxes, transformation, unbatched=False):
        """The boxes and box labels of each image followed by its partner's (one
        image alone: followed by its own)."""
        _, order = transformation
        order = ops.convert_to_tensor(order)
        out = dict(bounding_boxes)
        for key in ("boxes", "labels"):
            values = bounding_boxes[key]
            if unbatched:
                out[key] = ops.concatenate([values, values], axis=0)
            else:
                out[key] = ops.concatenate([values, ops.take(values, order, axis=0)], axis=1)
        return out

    def mix(self, images, labels, weights, order):
        """`(images, labels)` of a batch mixed with the batch taken in `order` (a
        permutation), image `i` keeping the share `weights[i]`; `labels` may be None."""
        images = self._apply(images, (weights, order))
        if labels is not None:
            labels = self._apply_to_labels(labels, (weights, order))
        return images, labels

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed,
                "data_format": self.data_format}


def _partners(x, order):
    return ops.take(x, ops.convert_to_tensor(order), axis=0)


def blend(x, other, weights):
    """`w x + (1 - w) other` with one weight per entry of the first axis; integer `x`
    (labels) are mixed as floats."""
    from kerasx.config import floatx

    if not current().isdtype(value_of(x).dtype, "real floating"):
        x, other = ops.cast(x, floatx()), ops.cast(other, floatx())
    w = ops.cast(ops.convert_to_tensor(weights), value_of(x).dtype)
    w = ops.reshape(w, (-1,) + (1,) * (len(x.shape) - 1))
    return ops.add(ops.multiply(w, x), ops.multiply(ops.subtract(1.0, w), other))
