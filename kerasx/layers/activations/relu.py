"""`ReLU`: the rectified linear unit as a layer."""

__all__ = ["ReLU"]

from kerasx import activations
from kerasx.layers.layer import Layer


class ReLU(Layer):
    """Rectified linear unit with optional cap, threshold and leak.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold < x < max_value`,
    and `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: float >= 0, the largest output (None: no cap).
        negative_slope: float >= 0, the slope below the threshold.
        threshold: float >= 0, the value below which the output is leaky (or 0).

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                "max_value of a ReLU layer cannot be a negative value. "
                f"Received: max_value={max_value}. Use None for no cap or a value >= 0.")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative value. "
                f"Received: negative_slope={negative_slope}. Expected a float >= 0.")
        if threshold is None or threshold < 0.0:
            raise ValueError(
                "threshold of a ReLU layer cannot be None or a negative value. "
                f"Received: threshold={threshold}. Expected a float >= 0.")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}
