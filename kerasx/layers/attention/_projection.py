"""`HeadProjection`: the dense projections inside `MultiHeadAttention` and
`GroupQueryAttention`, `EinsumDense` layers with Keras's equations."""

__all__ = []

import math
import string

from kerasx import ops
from kerasx.layers.core.einsum_dense import EinsumDense


def projection_equation(free_dims, bound_dims, output_dims):
    """`(equation, bias_axes)` of a projection keeping `free_dims` leading input axes,
    contracting the next `bound_dims` with the kernel and appending `output_dims`
    kernel axes, spelled in the letters Keras's attention layers use (its scales and
    int4 layouts follow from them)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    output = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{output}->{free}{output}", output


class HeadProjection(EinsumDense):
    """An `EinsumDense` whose equation contracts the input's last axes with the
    kernel's first ones and appends the kernel's others (`"abc,cde->abde"`: `(..., dim)`
    to `(..., heads, size)`; `"abcd,cde->abe"`: the heads back to features).

    Its variables, quantized modes, LoRA and files are `EinsumDense`'s; the float call
    is the same product as one matrix product on the flattened axes.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supports_masking = True  # the attention layer sets its output's mask itself

    @classmethod
    def _quantizable_class(cls):
        # `quantize(type_check=True)` accepts the class whose `call` matches EinsumDense's
        return HeadProjection

    def call(self, inputs):
        shape = tuple(inputs.shape)
        contracted = self._contracted_sizes
        if self._quantized is not None or len(shape) != self._input_rank or any(
                shape[axis] != size for axis, size in contracted.items()):
            return super().call(inputs)
        kernel = self.kernel
        n_axes = len(contracted)
        lead, out_shape = shape[:-n_axes], tuple(kernel.shape[n_axes:])
        n_in, n_out = math.prod(shape[-n_axes:]), math.prod(out_shape)
        x = ops.reshape(inputs, lead + (n_in,)) if n_axes != 1 else inputs
        bias = None if self.bias is None else ops.reshape(self.bias, (n_out,))
        out = ops.dense(x, ops.reshape(kernel, (n_in, n_out)), bias)
        if out_shape != (n_out,):
            out = ops.reshape(out, lead + out_shape)
        return out if self.activation is None else self.activation(out)
