"""`MixUp`: blends each image (and its label) with another of the batch during training."""

__all__ = ["MixUp"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing import _geometry as geometry
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer


class MixUp(LabeledImageAugmentationLayer):
    """MixUp in training: image `i` becomes `w_i x_i + (1 - w_i) x_p(i)` for a random
    permutation `p` of the batch and weights `w_i ~ Beta(alpha, alpha)`; the
    labels, when given, are mixed with the same weights. Identity in inference.

    Call it on images, or on a dict `{"images": images, "labels": labels}`
    (labels one-hot or soft, batch first) to mix both; it returns the same
    structure. One image alone is mixed with itself (left unchanged). A direct
    call counts as training, as in Keras. Images come out in the layer's float
    dtype; gradients pass to the images and the labels.

    Args:
        alpha: the Beta distribution's parameter (positive); small values
            mix little.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
        seed: an int for a repeatable sequence of mixes.
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not _augment._number(alpha) or not alpha > 0:
            raise ValueError(f"MixUp: alpha must be a positive number, received alpha={alpha!r}.")
        self.alpha = alpha
        self._set_seed_and_data_format("MixUp", seed, data_format)

    def call(self, inputs, training=None):
        images, labels, is_dict = geometry.unpack(self, inputs)
        images, unbatched = geometry.float_images(self, images)
        if training is not False:
            if labels is not None and unbatched:
                labels = ops.expand_dims(labels, 0)
            count = images.shape[0]
            rng = current().rng
            order = rng.permutation(count, seed=self._seeds.next())
            alpha = current().asarray(float(self.alpha), dtype="float64")
            weights = rng.beta((count,), alpha, alpha, dtype="float64", seed=self._seeds.next())
            images, labels = self.mix(images, labels, weights, order)
            if labels is not None and unbatched:
                labels = ops.squeeze(labels, 0)
        return geometry.pack(inputs, geometry.unbatch(images, unbatched), labels, is_dict)

    def mix(self, images, labels, weights, order):
        """`(images, labels)` of a batch mixed with the batch taken in `order` (a
        permutation), image `i` keeping the share `weights[i]`; `labels` may be None."""
        order = ops.convert_to_tensor(order)
        images = blend(images, ops.take(images, order, axis=0), weights)
        if labels is not None:
            labels = blend(labels, ops.take(labels, order, axis=0), weights)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed,
                "data_format": self.data_format}


def blend(x, other, weights):
    """`w x + (1 - w) other` with one weight per entry of the first axis; integer `x`
    (labels) are mixed as floats."""
    from kerasx.config import floatx

    if not current().isdtype(value_of(x).dtype, "real floating"):
        x, other = ops.cast(x, floatx()), ops.cast(other, floatx())
    w = ops.cast(ops.convert_to_tensor(weights), value_of(x).dtype)
    w = ops.reshape(w, (-1,) + (1,) * (len(x.shape) - 1))
    return ops.add(ops.multiply(w, x), ops.multiply(ops.subtract(1.0, w), other))
