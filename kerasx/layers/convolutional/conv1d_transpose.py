"""`Conv1DTranspose`: 1D transposed convolution (learned upsampling)."""

__all__ = ["Conv1DTranspose", "Convolution1DTranspose"]

from kerasx.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution ("deconvolution"): maps each input position
    to a `kernel_size` patch of the output, `strides` apart, summing overlaps.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 1 ints.
        strides: an int or a tuple of 1 ints, the upsampling factor.
        padding: `"valid"` or `"same"`.
        output_padding: None, an int or a tuple of 1 ints (each less than
            its stride): extra size after the output along each axis.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: an int or a tuple of 1 ints (> 1 only with strides 1).
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (`"glorot_uniform"`, `"zeros"`).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Input shape:
        `(batch, steps, channels)` (channels_last)
        or `(batch, channels, steps)`.

    Output shape:
        `(batch, new_steps, filters)` (or channels first).
        With `output_padding=None` each spatial size is `size * stride` for "same" and
        `(size - 1) * stride + max(window, stride)` for "valid", where
        `window = (kernel - 1) * dilation + 1`.

    The kernel has shape `(*kernel_size, filters, channels)`, as in Keras.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


Convolution1DTranspose = Conv1DTranspose
