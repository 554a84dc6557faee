"""`AugMix`: mixes chains of random augmentations with the original images during
training."""

__all__ = ["AugMix"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer
from kerasx.layers.preprocessing.rand_augment import (COLOR, GEOMETRIC, TONE,
                                                      set_policy_arguments)


class AugMix(LabeledImageAugmentationLayer):
    """AugMix in training; identity in inference.

    `num_chains` copies of the batch each go through a chain of up to
    `chain_depth` augmentations (at every step one of the operations, or none,
    picked uniformly). The chains are summed with Dirichlet(`alpha`) weights,
    the sum is blended with the original images with a Beta(`alpha`, `alpha`)
    weight on the originals, and the result is clipped to `value_range`. The
    operations are shear, translation, rotation, posterization, solarization,
    auto-contrast and equalization, and with `all_ops` also brightness, colour
    degeneration, contrast and sharpness; they are built from `factor` as
    Keras builds them. A direct call counts as training, as in Keras. The
    output has the layer's float dtype.

    Args:
        value_range: `(low, high)`, the range of the images' values.
        num_chains: the number of chains mixed.
        chain_depth: the most augmentations in a chain.
        factor: the strength: a float `f` in [0, 1] (each operation's factor
            range becomes `[0, f]`) or a pair.
        alpha: the Dirichlet and Beta parameter (positive).
        all_ops: whether to include the colour operations.
        interpolation: `"bilinear"` or `"nearest"` (the geometric layers').
        seed: an int for a repeatable sequence of chains.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Input: images (a batch or one image), or a dict `{"images": ...,
    "labels": ...}` (labels pass through). Output: the same structure.
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"AugMix: {name} must be a positive integer, received "
                                 f"{name}={value!r}.")
        if not _augment._number(alpha) or not alpha > 0:
            raise ValueError(f"AugMix: alpha must be a positive number, received alpha={alpha!r}.")
        if not isinstance(all_ops, bool):
            raise ValueError(f"AugMix: all_ops must be True or False, received all_ops={all_ops!r}.")
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self.alpha, self.all_ops = alpha, all_ops
        self.names = GEOMETRIC + TONE + (COLOR if all_ops else [])
        set_policy_arguments(self, value_range, factor, interpolation, seed, data_format)

    def _transform(self, images, count):
        return self.augment(images)

    def augment(self, images):
        backend = current()
        rng = backend.rng
        alpha = backend.asarray(float(self.alpha), dtype="float64")
        gammas = backend.to_numpy(rng.gamma((self.num_chains,), alpha, dtype="float64",
                                            seed=self._seeds.next()))
        chain_weights = gammas / gammas.sum()
        keep = float(backend.to_numpy(rng.beta((1,), alpha, alpha, dtype="float64",
                                               seed=self._seeds.next()))[0])
        picks = backend.to_numpy(rng.integers((self.num_chains, self.chain_depth), 0,
                                              len(self.names) + 1, seed=self._seeds.next()))
        mixed = None
        for chain, weight in zip(picks, chain_weights):
            x = images
            for pick in chain:
                if int(pick) < len(self.names):
                    x = getattr(self, self.names[int(pick)])(x, training=True)
            x = ops.multiply(x, float(weight))
            mixed = x if mixed is None else ops.add(mixed, x)
        out = ops.add(ops.multiply(images, keep), ops.multiply(mixed, 1.0 - keep))
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation, "seed": self.seed,
                "data_format": self.data_format}
