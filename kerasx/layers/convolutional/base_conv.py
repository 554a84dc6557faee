"""`BaseConv`: the shared body of Conv1D, Conv2D and Conv3D, and helpers of the family."""

__all__ = []

from kerasx import activations, constraints, initializers, ops, regularizers
from kerasx.layers.core._lora import LoRA, lora_weight
from kerasx.layers.layer import Layer
from kerasx.ops.conv import normalize_data_format, normalize_padding, normalize_tuple
from kerasx.ops.conv_pool import conv_avg_pool, conv_global_max_pool, conv_max_pool


def positive_int(value, name, owner, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        if name == "groups":  # Keras's wording for each argument
            raise ValueError(f"{owner}: The number of groups must be a positive integer. "
                             f"Received: groups={value!r}.")
        raise ValueError(f"{owner}: Invalid value for argument `{name}`. Expected a strictly "
                         f"positive value. Received {name}={value!r}. Pass an integer >= 1.")
    return value


def check_strides_dilation(owner, strides, dilation_rate):
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}. Use one or the "
            "other.")


def conv_output_length(size, kernel, stride, dilation, padding, owner, axis):
    """The output size of one spatial axis (None stays None)."""
    if size is None:
        return None
    window = (kernel - 1) * dilation + 1
    if padding == "valid":
        if size < window:
            raise ValueError(
                f"{owner}: Computed output size would be zero or negative: the kernel "
                f"(effective size {window} with dilation) is larger than the input along "
                f"spatial axis {axis} (size {size}) with padding='valid'. Use a "
                "smaller kernel_size or dilation_rate, a larger input, or padding='same'.")
        return (size - window) // stride + 1
    return -(-size // stride)


class InputChecks:
    """Rank and channel checks shared by the convolution layers (a mixin of Layer)."""

    def _layout(self):
        spatial = {1: "steps", 2: "height, width"}.get(
            self.rank, ", ".join(f"dim{i + 1}" for i in range(self.rank)))
        if self.data_format == "channels_last":
            return f"(batch, {spatial}, channels)"
        return f"(batch, channels, {spatial})"

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        """The channel count of `input_shape`, after checking its rank."""
        shape = tuple(input_shape)
        owner = f"{type(self).__name__} layer {self.name!r}"
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{owner} expects inputs of rank {self.rank + 2} {self._layout()}, but received "
                f"an input of shape {shape} (rank {len(shape)}). Add the missing batch or channel "
                "axis, or use the layer of the matching dimension.")
        channels = shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{owner} needs a known number of channels (axis {self._channel_axis()} with "
                f"data_format={self.data_format!r}), but the input shape is {shape}.")
        return int(channels)

    def _check_channels(self, shape, expected):
        channels = self._input_channels(shape)
        if channels == expected:
            return
        owner = f"{type(self).__name__} layer {self.name!r}"
        hint = ""
        other_axis = 1 if self.data_format == "channels_last" else -1
        if shape[other_axis] == expected:
            other = "channels_first" if self.data_format == "channels_last" else "channels_last"
            hint = (f" The input looks like {other} data: create the layer with "
                    f"data_format={other!r} or transpose the input.")
        raise ValueError(
            f"{owner} was built for inputs with {expected} channels on axis "
            f"{self._channel_axis()} (data_format={self.data_format!r}), but received an input "
            f"of shape {tuple(shape)} with {channels} there.{hint}")

    def _spatial(self, input_shape):
        shape = tuple(input_shape)
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def _with_spatial(self, input_shape, spatial, channels):
        if self.data_format == "channels_last":
            return (input_shape[0],) + tuple(spatial) + (channels,)
        return (input_shape[0], channels) + tuple(spatial)


class BaseConv(LoRA, InputChecks, Layer):
    """N-dimensional convolution layer: `activation(conv(inputs, kernel) + bias)`.

    Args:
        rank: the number of spatial axes (1, 2 or 3).
        filters: the number of output channels.
        kernel_size: an int or a tuple of `rank` ints.
        strides: an int or a tuple of `rank` ints. Strides > 1 cannot be
            combined with `dilation_rate` > 1.
        padding: `"valid"` (no padding), `"same"` (output size
            `ceil(size / stride)`, zeros split evenly with the extra one after)
            or, for `Conv1D` only, `"causal"` (zeros before the sequence so
            output `t` does not see inputs after `t`).
        data_format: `"channels_last"` (`(batch, *spatial, channels)`) or
            `"channels_first"` (`(batch, channels, *spatial)`); default
            `kerasx.config.image_data_format()`.
        dilation_rate: an int or a tuple of `rank` ints, the spacing of the
            kernel taps.
        groups: splits the input channels into `groups` groups, each convolved
            with its own `filters // groups` filters.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: constraints on the weights.
        lora_rank, lora_alpha: if `lora_rank` is set, the built layer enables LoRA
            (`enable_lora(lora_rank, lora_alpha)`): the kernel is frozen and two
            low-rank factors, scaled by `lora_alpha / lora_rank`, train in its place.

    The kernel has shape `(*kernel_size, channels // groups, filters)` as in Keras.
    """

    kernel = lora_weight("kernel")

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        owner = type(self).__name__
        self.rank = rank
        self.filters = positive_int(filters, "filters", owner)
        self.groups = positive_int(groups, "groups", owner)
        if self.filters % self.groups:
            raise ValueError(f"{owner}: The number of filters must be evenly divisible by the "
                             f"number of groups. Received: groups={groups}, filters={filters}.")
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        check_strides_dilation(owner, self.strides, self.dilation_rate)
        self.padding = normalize_padding(padding, allow_causal=rank == 1)
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
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the input has {channels} channels, "
                f"which cannot be split into groups={self.groups} (input shape "
                f"{tuple(input_shape)}).")
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (channels // self.groups, self.filters),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def convolution_op(self, inputs, kernel):
        """The convolution of `inputs` with `kernel` by the layer's strides, padding,
        data format, dilation and groups, without bias or activation (Keras's hook: a
        subclass overriding it, e.g. to standardize the kernel, changes `call`)."""
        return ops.conv(inputs, kernel, self.strides, self.padding, self.data_format,
                        self.dilation_rate, self.groups)

    def call(self, inputs):
        self._check_channels(inputs.shape, self._kernel.shape[-2] * self.groups)
        self.compute_output_shape(inputs.shape)
        if type(self).convolution_op is not BaseConv.convolution_op:
            outputs = self.convolution_op(inputs, self.kernel)
            if self.bias is not None:
                channel = -1 if self.data_format == "channels_last" else 1
                shape = [1] * len(outputs.shape)
                shape[channel] = self.filters
                outputs = ops.add(outputs, ops.reshape(self.bias, tuple(shape)))
            return outputs if self.activation is None else self.activation(outputs)
        if self.activation is activations.relu:
            # one node with the convolution: no separate ReLU pass or tape entry
            return ops.conv(inputs, self.kernel, self.strides, self.padding, self.data_format,
                            self.dilation_rate, self.groups, bias=self.bias, relu=True)
        outputs = ops.conv(inputs, self.kernel, self.strides, self.padding, self.data_format,
                           self.dilation_rate, self.groups, bias=self.bias)
        return outputs if self.activation is None else self.activation(outputs)

    def call_with_pool(self, inputs, pool, activation=None, training=None):
        """`pool(activation(conv(inputs) + bias))` for a max, global max or average
        pooling layer `pool` as one op (`kerasx.ops.conv_pool`), with the layer's
        activation unless `activation` is given (before average pooling: ReLU or the
        identity); the models call it for fusable layers (`kerasx.models.fusion`).
        `training` changes nothing for a convolution."""
        activation = self.activation if activation is None else activation
        self._check_channels(inputs.shape, self._kernel.shape[-2] * self.groups)
        pool.compute_output_shape(self.compute_output_shape(inputs.shape))
        return self._pooled(inputs, self.kernel, self.bias, pool, activation)

    def call_with_batch_norm(self, inputs, bn, relu=False):
        """`bn(self(inputs))` for a `BatchNormalization` layer in inference mode, as one
        convolution with the normalization folded into the kernel and bias
        (`kerasx.models.batch_norm_folding`; no gradient is recorded), with the ReLU
        after it when `relu`."""
        folded = self._folded(inputs, bn)
        if folded is None:
            out = bn(self(inputs), training=False)
            return activations.relu(out) if relu else out
        return ops.conv(inputs, folded[0], self.strides, self.padding, self.data_format,
                        self.dilation_rate, self.groups, bias=folded[1], relu=relu)

    def call_with_batch_norm_and_max_pool(self, inputs, bn, pool, activation):
        """`pool(activation(bn(self(inputs))))` in inference mode as one
        `call_with_pool` with the normalization folded into the kernel and bias; None
        when the normalization is over another axis (the caller then runs the layers)."""
        folded = self._folded(inputs, bn)
        if folded is None:
            return None
        pool.compute_output_shape(self.compute_output_shape(inputs.shape))
        return self._pooled(inputs, folded[0], folded[1], pool, activation)

    def _folded(self, inputs, bn):
        """The `(kernel, bias)` with `bn` folded in, or None for a normalization over
        an axis other than the filters."""
        self._check_channels(inputs.shape, self._kernel.shape[-2] * self.groups)
        out_shape = self.compute_output_shape(inputs.shape)
        channel_axis = len(out_shape) - 1 if self.data_format == "channels_last" else 1
        if bn._feature_axis(out_shape) != channel_axis:
            return None
        from kerasx.models.batch_norm_folding import folded_weights

        return folded_weights(self.kernel, self.bias, bn)

    def _pooled(self, inputs, kernel, bias, pool, activation):
        relu = activation is activations.relu
        conv_args = (inputs, kernel, bias, self.strides, self.padding, self.data_format,
                     self.dilation_rate, self.groups)
        if hasattr(pool, "keepdims"):  # global pooling
            out = conv_global_max_pool(*conv_args, relu=relu, keepdims=pool.keepdims)
        else:
            fused = conv_avg_pool if pool.pool_mode == "average" else conv_max_pool
            out = fused(*conv_args, relu=relu, pool_size=pool.pool_size,
                        pool_strides=pool.strides, pool_padding=pool.padding)
        return out if relu or activation is activations.linear else activation(out)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        owner = f"{type(self).__name__} layer {self.name!r}"
        spatial = [conv_output_length(n, k, s, d, self.padding, owner, axis)
                   for axis, (n, k, s, d) in enumerate(zip(self._spatial(input_shape),
                                                           self.kernel_size, self.strides,
                                                           self.dilation_rate))]
        return self._with_spatial(input_shape, spatial, self.filters)

    def get_config(self):
        return self._lora_config({
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
