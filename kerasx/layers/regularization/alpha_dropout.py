"""`AlphaDropout`: dropout that keeps the self-normalizing property of SELU networks."""

__all__ = ["AlphaDropout"]

from kerasx import ops
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.regularization._arguments import check_rate
from kerasx.layers.regularization._seed import SeedStream

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Sets dropped inputs to SELU's negative saturation value, then applies
    the affine correction that keeps the mean and variance of the inputs.

    Use it with `activation="selu"` and the `lecun_normal` initializer;
    identity in inference.

    Args:
        rate: float in [0, 1], the fraction to drop.
        noise_shape: shape of the mask (None entries follow the input).
        seed: an int for a repeatable sequence of masks.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_rate(type(self).__name__, rate)
        self.rate = rate
        self.seed = seed
        self.noise_shape = noise_shape
        self._seeds = SeedStream(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(shape[i] if n is None else n for i, n in enumerate(self.noise_shape))
        kept = current().rng.bernoulli(shape, 1.0 - self.rate, dtype=inputs.dtype,
                                       seed=self._seeds.next())
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        # a * (x * kept + alpha_p * (1 - kept)) + b, with kept a constant 0/1 mask
        return ops.add(ops.multiply(inputs, kept * a), (1.0 - kept) * (a * alpha_p) + b)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}
