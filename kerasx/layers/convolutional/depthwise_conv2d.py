"""`DepthwiseConv2D`: 2D depthwise convolution (one set of filters per input channel)."""

__all__ = ["DepthwiseConv2D"]

from kerasx.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution: each input channel is convolved with its own
    `depth_multiplier` filters, without mixing channels.

    Args:
        kernel_size: an int or a tuple of 2 ints.
        strides: an int or a tuple of 2 ints.
        padding: `"valid"` or `"same"`.
        depth_multiplier: output channels per input channel.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: an int or a tuple of 2 ints.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias vector of `channels * depth_multiplier`.
        depthwise_initializer, bias_initializer: initializers (`"glorot_uniform"`, `"zeros"`).
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        depthwise_constraint, bias_constraint: optional constraints.

    Input shape:
        `(batch, height, width, channels)` (channels_last)
        or `(batch, channels, height, width)`.

    Output shape:
        `(batch, new_height, new_width, channels * depth_multiplier)` (or channels first),
        spatial sizes as in `Conv2D`.

    The kernel has shape `(*kernel_size, channels, depth_multiplier)`; output
    channel `c * depth_multiplier + m` comes from input channel `c`.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
