"""`Dropout`: randomly zeroes inputs during training."""

__all__ = ["Dropout"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.layers.regularization._seed import SeedStream


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 in training and scales the rest by
    `1 / (1 - rate)`; does nothing in inference.

    Args:
        rate: float in [0, 1), the fraction to drop.
        noise_shape: shape of the binary mask (None entries follow the input),
            e.g. `(batch, 1, features)` to drop the same features at every timestep.
        seed: an int for a repeatable sequence of masks (a new mask at every
            call, the same sequence in every run).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), received rate={rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                           seed=self._seeds.next())

    def _noise_shape(self, inputs):
        return self.noise_shape

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}
