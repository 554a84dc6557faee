"""`UnitNormalization`: scales each sample to unit L2 norm."""

__all__ = ["UnitNormalization"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.layers.normalization.layer_normalization import _check_axes


class UnitNormalization(Layer):
    """Divides each sample by its L2 norm over `axis`, so that norm becomes 1.

    Args:
        axis: an integer or a list of integers, the axes of the norm.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                f"UnitNormalization: axis must be an int or a list of ints, received "
                f"axis={axis!r}.")
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        _check_axes(self, inputs.shape)
        # the public op: its bfloat16 handling gives bfloat16 inputs bfloat16 gradients
        return ops.normalize(inputs, axis=self.axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
