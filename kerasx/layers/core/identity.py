"""`Identity`: returns its input unchanged."""

__all__ = ["Identity"]

from kerasx.layers.layer import Layer


class Identity(Layer):
    """Identity layer: a placeholder where no operation is to be performed.

    The layer returns its `inputs` argument as output (a tensor, or a list or
    dict of tensors, unchanged) and passes an input mask through. It has no
    weights and is built when created.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        if mask is not None:
            return mask
        if isinstance(inputs, (list, tuple)):
            masks = [getattr(x, "_keras_mask", None) for x in inputs]
            return None if all(m is None for m in masks) else masks
        return getattr(inputs, "_keras_mask", None)

    def compute_output_shape(self, input_shape):
        return input_shape
