"""`GaussianDropout`: multiplies inputs by Gaussian noise centered at 1 during training."""

__all__ = ["GaussianDropout"]

import math

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.regularization._arguments import check_rate
from kerasx.layers.regularization._seed import SeedStream


class GaussianDropout(Layer):
    """Multiplies inputs by noise from `N(1, rate / (1 - rate))` in training.

    The multiplicative counterpart of dropout with the same mean and
    variance as dropout at `rate`; identity in inference.

    Args:
        rate: float in [0, 1), the equivalent drop probability.
        seed: an int for a repeatable sequence of noise draws.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_rate(type(self).__name__, rate)
        self.rate = rate
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate)) if self.rate < 1 else math.inf
        noise = current().rng.normal(inputs.shape, 1.0, stddev, dtype=inputs.dtype,
                                     seed=self._seeds.next())
        return ops.multiply(inputs, noise)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
