"""`Dropout`: randomly zeroes inputs during training."""

__all__ = ["Dropout"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.layers.regularization._arguments import check_noise_shape, check_rate
from kerasx.layers.regularization._seed import SeedStream


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 in training and scales the rest by
    `1 / (1 - rate)`; does nothing in inference.

    Args:
        rate: float in [0, 1], the fraction to drop (1 drops everything).
        noise_shape: shape of the binary mask (None entries follow the input),
            e.g. `(batch, 1, features)` to drop the same features at every timestep.
        seed: an int for a repeatable sequence of masks (a new mask at every
            call, the same sequence in every run).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(check_rate(type(self).__name__, rate))
        self.noise_shape = check_noise_shape(noise_shape)
        self.seed = seed
        self._seeds = SeedStream(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate == 1.0:  # as Keras: every entry dropped
            return ops.zeros_like(inputs)
        return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                           seed=self._seeds.next())

    def _noise_shape(self, inputs):
        return self.noise_shape

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}
