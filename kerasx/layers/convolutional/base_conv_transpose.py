"""`BaseConvTranspose`: the shared body of Conv1DTranspose, Conv2DTranspose and Conv3DTranspose."""

__all__ = []

from kerasx import activations, constraints, initializers, ops, regularizers
from kerasx.layers.convolutional.base_conv import InputChecks, check_strides_dilation, positive_int
from kerasx.layers.layer import Layer
from kerasx.ops.conv import (normalize_data_format, normalize_padding, normalize_tuple,
                             transpose_padding)


class BaseConvTranspose(InputChecks, Layer):
    """N-dimensional transposed convolution: the gradient of a convolution with
    respect to its input, used to upsample with learned filters.

    Args:
        rank: the number of spatial axes.
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: ints or tuples of `rank` ints.
        padding: `"valid"` or `"same"`.
        output_padding: None, an int or a tuple of `rank` ints, each less than the
            stride: extra size after the output along each axis.
        data_format, activation, use_bias, initializers, regularizers and
            constraints: as in `Conv2D`.

    The kernel has shape `(*kernel_size, filters, channels)` as in Keras.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.rank = rank
        self.filters = positive_int(filters, "filters", owner)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        check_strides_dilation(owner, self.strides, self.dilation_rate)
        self.padding = normalize_padding(padding)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, rank, "output_padding",
                                                  allow_zero=True)
            for axis, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError(
                        f"{owner}: `output_padding` must be strictly less than `strides` on each "
                        f"axis; at axis {axis} output_padding is {op} and the stride is {s} "
                        f"(received output_padding={output_padding!r}, strides={strides!r}).")
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self.filters, channels),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        self._check_channels(inputs.shape, self.kernel.shape[-1])
        outputs = ops.conv_transpose(inputs, self.kernel, self.strides, self.padding,
                                     self.output_padding, self.data_format, self.dilation_rate,
                                     bias=self.bias)
        return outputs if self.activation is None else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        outpad = self.output_padding or (None,) * self.rank
        spatial = []
        for n, k, s, d, op in zip(self._spatial(input_shape), self.kernel_size, self.strides,
                                  self.dilation_rate, outpad):
            if n is None:
                spatial.append(None)
                continue
            window = (k - 1) * d + 1
            lo, hi = transpose_padding(window, s, self.padding, op)
            spatial.append((n - 1) * s + lo + hi - window + 2)
        return self._with_spatial(input_shape, spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
