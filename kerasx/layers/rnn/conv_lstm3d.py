"""`ConvLSTM3D`: the 3-D convolutional LSTM layer."""

__all__ = ["ConvLSTM3D"]

from kerasx.layers.rnn.conv_lstm import ConvLSTM


class ConvLSTM3D(ConvLSTM):
    """3D convolutional LSTM over a sequence of volumes.

    Like `LSTM`, with convolutions in place of the input and recurrent matrix
    products: the state `h` and the carry `c` are 3-D feature maps with
    `filters` channels.

    Args:
        filters: positive integer, the number of output channels (of `h` and `c`).
        kernel_size: an int or a tuple of 3 ints, the convolution window.
        strides: an int or a tuple of 3 ints (input convolution only); strides > 1
            cannot be combined with `dilation_rate` > 1.
        padding: `"valid"` or `"same"` (input convolution; the recurrent
            convolution always pads `"same"`).
        data_format: `"channels_last"` (`(batch, timesteps, dim1, dim2, dim3, channels)`)
            or `"channels_first"` (`(batch, timesteps, channels, dim1, dim2, dim3)`);
            default `kerasx.config.image_data_format()`.
        dilation_rate: an int or a tuple of 3 ints (input convolution only).
        activation: default `"tanh"`; recurrent_activation: default `"sigmoid"`.
        use_bias: whether to add a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (`"glorot_uniform"`, `"orthogonal"`, `"zeros"`).
        unit_forget_bias: add 1 to the forget-gate bias at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
            activity_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints.
        dropout, recurrent_dropout: fractions of the input / state entries dropped,
            one mask per gate drawn once per sequence.
        seed: an int for repeatable dropout masks.
        return_sequences: return every timestep's output, not only the last.
        return_state: also return the final states `[output, h, c]`.
        go_backwards: read the sequence last to first (the output sequence is
            then in that reversed order).
        stateful: the final states of a batch are the initial states of the next.

    Call arguments: `inputs`; `mask` `(batch, timesteps)` booleans (a masked step
    keeps the previous states and repeats the previous output); `training`
    (dropout); `initial_state` `[h, c]`, each of the state shape below.

    Input shape: `(batch, timesteps, dim1, dim2, dim3, channels)` (channels_last) or
    `(batch, timesteps, channels, dim1, dim2, dim3)` (channels_first).

    Output shape: the state shape `(batch, new_dim1, new_dim2, new_dim3, filters)`
    (channels_last; the spatial sizes are those of the input convolution), or
    `(batch, timesteps, ...)` of them with `return_sequences`; with `return_state`
    `[output, h, c]`. Weights as in Keras: `kernel (*kernel_size, channels,
    4 * filters)`, `recurrent_kernel (*kernel_size, filters, 4 * filters)`,
    `bias (4 * filters,)`, gates in the order `i, f, c, o`.

    Example: `ConvLSTM3D(4, 3, padding="same")` maps inputs of shape `(8, 10, 16, 16, 16, 1)`
    to `(8, 16, 16, 16, 4)`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        super().__init__(
            3, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful, **kwargs)
