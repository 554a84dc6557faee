"""`BaseDepthwiseConv`: the shared body of DepthwiseConv1D and DepthwiseConv2D."""

__all__ = []

from kerasx import activations, constraints, initializers, ops, regularizers
from kerasx.layers.convolutional.base_conv import InputChecks, conv_output_length, positive_int
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format, normalize_padding, normalize_tuple


class BaseDepthwiseConv(InputChecks, Layer):
    """Depthwise convolution: each input channel is convolved with its own
    `depth_multiplier` filters (a convolution with `groups = channels`).

    Args:
        rank: the number of spatial axes.
        kernel_size, strides, dilation_rate: ints or tuples of `rank` ints.
        padding: `"valid"` or `"same"`.
        depth_multiplier: output channels per input channel.
        data_format, activation, use_bias: as in `Conv2D`.
        depthwise_initializer, bias_initializer: initializers of the weights.
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.
        depthwise_constraint, bias_constraint: constraints.

    The kernel has shape `(*kernel_size, channels, depth_multiplier)`; output
    channel `c * depth_multiplier + m` comes from input channel `c`.
    """

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.rank = rank
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", owner)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (channels, self.depth_multiplier),
                                      self.depthwise_initializer, name="kernel",
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((channels * self.depth_multiplier,), self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        self._check_channels(inputs.shape, self.kernel.shape[-2])
        self.compute_output_shape(inputs.shape)
        relu = self.activation is activations.relu  # applied inside the convolution's node
        outputs = ops.depthwise_conv(inputs, self.kernel, self.strides, self.padding,
                                     self.data_format, self.dilation_rate, bias=self.bias,
                                     relu=relu)
        return outputs if relu or self.activation is None else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        channels = self._input_channels(input_shape)
        owner = f"{type(self).__name__} layer {self.name!r}"
        spatial = [conv_output_length(n, k, s, d, self.padding, owner, axis)
                   for axis, (n, k, s, d) in enumerate(zip(self._spatial(input_shape),
                                                           self.kernel_size, self.strides,
                                                           self.dilation_rate))]
        return self._with_spatial(input_shape, spatial, channels * self.depth_multiplier)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
