"""`Conv2D`: 2D convolution (spatial convolution over images)."""

__all__ = ["Conv2D", "Convolution2D"]

from kerasx.layers.convolutional.base_conv import BaseConv


class Conv2D(BaseConv):
    """2D convolution over images: `activation(conv2d(inputs, kernel) + bias)`.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 2 ints, the size of the window.
        strides: an int or a tuple of 2 ints (> 1 only with dilation_rate 1).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default, from `kerasx.config.image_data_format()`)
            or `"channels_first"`.
        dilation_rate: an int or a tuple of 2 ints, the spacing of the kernel taps.
        groups: the number of channel groups; each group of `channels // groups`
            input channels has its own `filters // groups` filters.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (`"glorot_uniform"`, `"zeros"`).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Input shape:
        `(batch, height, width, channels)` for channels_last,
        `(batch, channels, height, width)` for channels_first.

    Output shape:
        `(batch, new_height, new_width, filters)` (or channels first),
        each spatial size being
        `(size - (kernel - 1) * dilation - 1) // stride + 1` for "valid" and
        `ceil(size / stride)` for "same".

    The kernel has shape `(*kernel_size, channels // groups, filters)`.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)

Convolution2D = Conv2D
