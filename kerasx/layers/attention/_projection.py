"""`HeadProjection`: the dense projections inside `MultiHeadAttention`."""

__all__ = []

import math

from kerasx import activations, constraints, initializers, ops, regularizers
from kerasx.layers.layer import Layer


class HeadProjection(Layer):
    """`activation(x @ kernel + bias)` contracting the last `in_axes` axes of `x` with a
    kernel of shape `x.shape[-in_axes:] + out_shape` (bias: `out_shape`).

    With `in_axes=1` and `out_shape=(heads, size)` it maps `(..., dim)` to
    `(..., heads, size)`, the query/key/value projections of `MultiHeadAttention`;
    with `in_axes=2` it maps `(..., heads, size)` back to `(..., *out_shape)`. The
    weights have the shapes of Keras's `EinsumDense` projections, computed with one
    matrix product on flattened axes.
    """

    def __init__(self, in_axes, out_shape, use_bias=True, activation=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the attention layer sets its output's mask itself
        self.in_axes = int(in_axes)
        self.out_shape = tuple(int(n) for n in out_shape)
        self.use_bias = use_bias
        self.activation = None if activation is None else activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        in_dims = tuple(input_shape[-self.in_axes:])
        if any(d is None for d in in_dims):
            raise ValueError(
                f"Layer {self.name!r} needs known sizes for the last {self.in_axes} input "
                f"axes, received input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(in_dims + self.out_shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self.out_shape, self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")

    def call(self, inputs):
        shape = tuple(inputs.shape)
        lead, contracted = shape[:-self.in_axes], shape[-self.in_axes:]
        if contracted != tuple(self.kernel.shape[:self.in_axes]):
            raise ValueError(
                f"Layer {self.name!r} expects inputs whose last axes are "
                f"{tuple(self.kernel.shape[:self.in_axes])}, received input shape {shape}."
            )
        n_in, n_out = math.prod(contracted), math.prod(self.out_shape)
        x = ops.reshape(inputs, lead + (n_in,)) if self.in_axes != 1 else inputs
        kernel = ops.reshape(self.kernel, (n_in, n_out))
        bias = None if self.bias is None else ops.reshape(self.bias, (n_out,))
        out = ops.dense(x, kernel, bias)
        if self.out_shape != (n_out,):
            out = ops.reshape(out, lead + self.out_shape)
        return out if self.activation is None else self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-self.in_axes]) + self.out_shape
