"""`Softmax`: the softmax activation as a layer, with mask support."""

__all__ = ["Softmax"]

from kerasx import activations, ops
from kerasx.layers.layer import Layer


def large_negative(dtype):
    """The logit given to masked positions: -1e9, or -3e4 in float16, whose range ends
    at 65504 (-1e9 would round to -inf and turn fully masked rows into NaN), as Keras."""
    return -3e4 if str(dtype) == "float16" else -1e9


class Softmax(Layer):
    """Softmax along `axis`; masked positions get probability 0.

    Args:
        axis: an integer or a tuple of integers, the axes to normalize over.

    Call arguments:
        inputs: the logits.
        mask: optional mask broadcastable to `inputs`; True (or > 0.5) keeps a
            position, False removes it from the softmax (its output is 0).

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._standardize_mask(inputs, mask)
            inputs = ops.where(mask, inputs, large_negative(inputs.dtype))
        if isinstance(self.axis, (tuple, list)) and len(self.axis) > 1:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=tuple(self.axis), keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (tuple, list)) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def _standardize_mask(self, inputs, mask):
        mshape, ishape = tuple(mask.shape), tuple(inputs.shape)
        if len(mshape) > len(ishape):
            raise ValueError(
                f"Softmax layer {self.name!r}: the mask must be broadcastable to the inputs "
                f"and must not have more dimensions. Received: inputs.shape={ishape}, "
                f"mask.shape={mshape}.")
        if any(m != 1 and m != i for m, i in zip(mshape[::-1], ishape[::-1])):
            raise ValueError(
                f"Softmax layer {self.name!r}: the mask must be broadcastable to the inputs. "
                "Each mask dimension must be 1 or match the corresponding input dimension. "
                f"Received: inputs.shape={ishape}, mask.shape={mshape}.")
        mask = ops.convert_to_tensor(mask)
        if mask.dtype != "bool":
            mask = ops.greater(mask, 0.5)
        return mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
