"""`CutMix`: pastes a random box of another image of the batch into each image during
training, and mixes the labels by area."""

__all__ = ["CutMix"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer
from kerasx.layers.preprocessing.mix_up import blend


class CutMix(LabeledImageAugmentationLayer):
    """CutMix in training: a box of image `p(i)` (a random permutation `p` of the
    batch) replaces the same box of image `i`; labels, when given, are mixed in
    proportion to the area kept. Identity in inference and for one image alone.

    As in Keras, a Beta parameter `a` is drawn once per call from `factor`
    (plus 1e-6), a weight `w_i ~ Beta(a, a)` per image, and each side of the
    box is `sqrt(1 - w_i)` times the image's, placed uniformly inside it. The
    label weight is the exact fraction of the area outside the box.

    Call it on images, or on a dict `{"images": images, "labels": labels}`
    (labels batch first); it returns the same structure. A direct call
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

    def call(self, inputs, training=None):
        images, labels, is_dict = geometry.unpack(self, inputs)
        unbatched = len(images.shape) == 3
        images, _ = geometry.float_images(self, images)
        if training is not False and not unbatched:
            count = images.shape[0]
            height, width = geometry.height_width(images, self.data_format)
            rng = current().rng
            alpha = float(_augment.uniform(self._seeds, 1, *self.factor)[0]) + 1e-6
            alpha = current().asarray(alpha, dtype="float64")
            weights = rng.beta((count,), alpha, alpha, dtype="float64", seed=self._seeds.next())
            ratio = current().xp.sqrt(1.0 - weights)
            x0, x1 = geometry.crop_bounds(self._seeds, count, width, ratio)
            y0, y1 = geometry.crop_bounds(self._seeds, count, height, ratio)
            order = rng.permutation(count, seed=self._seeds.next())
            images, labels = self.cut_mix(images, labels, (x0, x1, y0, y1), order)
        return geometry.pack(inputs, geometry.unbatch(images, unbatched), labels, is_dict)

    def cut_mix(self, images, labels, boxes, order):
        """`(images, labels)` of a batch whose boxes `boxes = (x0, x1, y0, y1)` (pixel
        bounds, one per image: `x0 <= x < x1`, `y0 <= y < y1`) come from the batch
        taken in `order`; `labels` (or None) keep the share of area outside the box."""
        order = ops.convert_to_tensor(order)
        mask = geometry.box_mask(images, self.data_format, boxes)
        images = ops.where(mask, ops.take(images, order, axis=0), images)
        if labels is not None:
            height, width = geometry.height_width(images, self.data_format)
            x0, x1, y0, y1 = (geometry.as_float64(b) for b in boxes)
            kept = 1.0 - (x1 - x0) * (y1 - y0) / float(width * height)
            labels = blend(labels, ops.take(labels, order, axis=0), kept)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed,
                "data_format": self.data_format}
