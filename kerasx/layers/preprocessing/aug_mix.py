"""`AugMix`: mixes chains of random augmentations with the original images during
training."""

__all__ = ["AugMix"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_layer import LabeledImageAugmentationLayer
from kerasx.layers.preprocessing.rand_augment import (COLOR, GEOMETRIC, TONE, apply_steps,
                                                      build_policy_layers, draw_step,
                                                      set_policy_arguments, steps_masks)


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

    A dict input `{"images": ..., "labels": ..., "bounding_boxes": ...,
    "segmentation_masks": ...}` gets the same draws: the masks go through
    the geometric steps of each chain (nearest sampling; colour steps leave
    them alone) and are mixed with the images' weights, in the layer's float
    dtype (as Keras mixes them); labels and bounding boxes pass through
    unchanged, as in Keras (the original image keeps the largest share of
    the mix). With the same seed, the images of a dict are those of a call
    on the images alone.

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
        bounding_box_format: the format of the boxes of a dict input (see
            `keras.utils.bounding_boxes.convert_format`).

    Input: images (a batch or one image), or a dict as above. Output: the
    same structure.
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
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

    def build(self, input_shape):
        build_policy_layers(self, input_shape)

    def _draw(self, images, count):
        """`(chain_weights, keep, chains)`: the Dirichlet weights of the chains (float64),
        the Beta share of the original images, and each chain's steps (see
        `rand_augment.draw_step`)."""
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
        chains = [[draw_step(self, self.names[int(pick)], images, count)
                   for pick in chain if int(pick) < len(self.names)] for chain in picks]
        return [float(w) for w in chain_weights], keep, chains

    def _apply(self, images, transformation):
        mixed = self._mix(images, transformation, apply_steps)
        return ops.clip(mixed, self.value_range[0], self.value_range[1])

    def _apply_to_masks(self, masks, transformation):
        return self._mix(as_dtype(masks, self.dtype), transformation, steps_masks)

    def _mix(self, x, transformation, run_chain):
        """`keep x + (1 - keep) sum_c w_c chain_c(x)`, each chain run by
        `run_chain(layer, x, steps)`."""
        chain_weights, keep, chains = transformation
        mixed = None
        for weight, steps in zip(chain_weights, chains):
            chained = ops.multiply(run_chain(self, x, steps), float(weight))
            mixed = chained if mixed is None else ops.add(mixed, chained)
        return ops.add(ops.multiply(x, float(keep)), ops.multiply(mixed, 1.0 - float(keep)))

    def _passes_boxes(self):
        # the boxes pass through unchanged (checked, not clipped), as in Keras
        return True

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation, "seed": self.seed,
                "data_format": self.data_format}
