"""`ActivityRegularization`: penalizes the size of the activations passing through."""

__all__ = ["ActivityRegularization"]

from kerasx import regularizers
from kerasx.layers.layer import Layer


class ActivityRegularization(Layer):
    """Passes its input through unchanged and adds
    `(l1 * sum(|x|) + l2 * sum(x ** 2)) / batch_size` to the model's losses.

    Args:
        l1: L1 factor (float >= 0).
        l2: L2 factor (float >= 0).

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.activity_regularizer = regularizers.L1L2(l1=l1, l2=l2)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # rebuilt from l1 and l2
        return {**config, "l1": self.l1, "l2": self.l2}
