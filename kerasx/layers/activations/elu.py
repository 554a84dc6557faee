"""`ELU`: the exponential linear unit as a layer."""

__all__ = ["ELU"]

from kerasx import activations
from kerasx.layers.layer import Layer


class ELU(Layer):
    """`f(x) = x` for `x > 0` and `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: float, the saturation value for negative inputs is `-alpha`.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
