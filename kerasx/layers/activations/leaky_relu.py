"""`LeakyReLU`: a rectified linear unit with a small slope for negative inputs."""

__all__ = ["LeakyReLU"]

import warnings

from kerasx import activations
from kerasx.layers.layer import Layer


class LeakyReLU(Layer):
    """`f(x) = x` for `x >= 0` and `negative_slope * x` otherwise.

    Args:
        negative_slope: float >= 0, the slope for negative inputs (default 0.3).

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope`.",
                          stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                f"value. Expected a float >= 0. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
