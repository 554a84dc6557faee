"""`GaussianNoise`: adds zero-centered Gaussian noise during training."""

__all__ = ["GaussianNoise"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.regularization._seed import SeedStream


class GaussianNoise(Layer):
    """Adds noise drawn from `N(0, stddev ** 2)` in training; identity in inference.

    A regularizer against overfitting and a simple form of data augmentation
    for real-valued inputs.

    Args:
        stddev: float in [0, 1], the standard deviation of the noise.
        seed: an int for a repeatable sequence of noise draws.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                f"GaussianNoise: stddev must be a float in [0, 1], received stddev={stddev}.")
        self.stddev = stddev
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, training=False):
        if not training or self.stddev <= 0:
            return inputs
        noise = current().rng.normal(inputs.shape, 0.0, float(self.stddev), dtype=inputs.dtype,
                                     seed=self._seeds.next())
        return ops.add(inputs, noise)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
