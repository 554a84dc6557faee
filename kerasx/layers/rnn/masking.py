"""`Masking`: marks timesteps to skip in the recurrent layers that follow."""

__all__ = ["Masking"]

from kerasx import ops
from kerasx.layers.layer import Layer


class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value`.

    Such timesteps are zeroed in the output and flagged `False` in the output's
    mask `(batch, timesteps)`, which downstream recurrent layers read: the
    states (and the output) keep their previous values at those steps.

    Args:
        mask_value: the padding value (default 0.0).

    Input shape: `(batch, timesteps, features)`. Output shape: the same.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self._build_at_init()

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.multiply(inputs, ops.cast(keep, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
