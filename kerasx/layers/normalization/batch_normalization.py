"""`BatchNormalization`: normalizes each feature with batch or moving statistics."""

__all__ = ["BatchNormalization"]

from kerasx import constraints, initializers, ops, regularizers
from kerasx.autodiff.tensor import value_of
from kerasx.backend import standardize_dtype
from kerasx.layers.layer import Layer
from kerasx.ops.batch_norm_pool import batch_norm_max_pool
from kerasx.ops.conv_batch_norm_pool import conv_batch_norm_max_pool
from kerasx.ops.normalization import batch_normalization, fused_batch_normalization, moments
from kerasx.saving.serialization import serialize_keras_object


class BatchNormalization(Layer):
    """Normalizes its inputs to zero mean and unit variance per feature.

    In training (`training=True`, e.g. inside `fit`) each feature is
    normalized with the mean and variance of the current batch, and the moving
    statistics are updated as
    `moving = moving * momentum + batch_statistic * (1 - momentum)`.
    In inference (`predict`, `evaluate`, or `training=False`) the moving
    statistics are used. The output is `gamma * normalized + beta`.
    A layer with `trainable=False` always uses the moving statistics.

    Args:
        axis: the feature axis (`-1` for channels-last data, `1` for
            channels-first).
        momentum: momentum of the moving averages.
        epsilon: small float added to the variance to avoid dividing by zero.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned `gamma`.
        beta_initializer, gamma_initializer: initializers of `beta` and `gamma`.
        moving_mean_initializer, moving_variance_initializer: initializers of
            the moving statistics.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        renorm: whether to use Batch Renormalization (extra non-trainable
            weights `moving_stddev`, `renorm_mean`, `renorm_stddev`).
        renorm_clipping: dict with optional keys `"rmax"`, `"rmin"`, `"dmax"`
            clipping the renormalization corrections.
        renorm_momentum: momentum of the renormalization moving averages.
        synchronized: accepted for compatibility; kerasx trains on one device,
            so the statistics are always those of the whole batch.

    Call arguments:
        inputs: a tensor of any rank.
        training: whether to use batch statistics (and update the moving ones).
        mask: optional boolean mask of shape `inputs.shape[:-1]`; masked
            positions do not count in the batch statistics.

    Input shape: any. Output shape: the same as the input.
    Weights (in order): `gamma`, `beta`, `moving_mean`, `moving_variance`.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(
                f"BatchNormalization: axis must be one integer (the feature axis), received "
                f"axis={axis!r}. Use LayerNormalization to normalize over several axes.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.renorm = renorm
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(
                    f"BatchNormalization: renorm_clipping has unknown keys {sorted(unknown)}; "
                    "the supported keys are 'rmax', 'rmin' and 'dmax'.")
            rmax, rmin = renorm_clipping.get("rmax"), renorm_clipping.get("rmin")
            dmax = renorm_clipping.get("dmax")
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    f"BatchNormalization: renorm_clipping needs rmax >= rmin, received "
                    f"rmax={rmax}, rmin={rmin}.")
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"BatchNormalization: renorm_clipping needs dmax >= 0, received dmax={dmax}.")
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None

    def _feature_axis(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: axis={self.axis} is out of bounds for "
                f"inputs of shape {tuple(input_shape)} (rank {rank}). Use an axis in "
                f"[{-rank}, {rank - 1}], e.g. -1 for the last (channels) axis.")
        return self.axis % rank

    def build(self, input_shape):
        dim = input_shape[self._feature_axis(input_shape)]
        if dim is None:
            raise ValueError(
                f"BatchNormalization layer {self.name!r} needs a known size on axis {self.axis}, "
                f"received input shape {tuple(input_shape)}.")
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         autocast=False, regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                        autocast=False, regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           name="moving_mean", trainable=False,
                                           autocast=False)
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               name="moving_variance", trainable=False,
                                               autocast=False)
        if self.renorm:
            variance_init = self.moving_variance_initializer

            def stddev_init(shape, dtype=None):
                return ops.sqrt(ops.convert_to_tensor(variance_init(shape, dtype=dtype)))

            self.moving_stddev = self.add_weight(shape, stddev_init, name="moving_stddev",
                                                 trainable=False, autocast=False)
            self.renorm_mean = self.add_weight(shape, self.moving_mean_initializer,
                                               name="renorm_mean", trainable=False,
                                               autocast=False)
            self.renorm_stddev = self.add_weight(shape, stddev_init, name="renorm_stddev",
                                                 trainable=False, autocast=False)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        dtype = standardize_dtype(inputs.dtype)
        if dtype in ("float16", "bfloat16"):
            # Statistics overflow in float16 (squares above 65504 once |x| > 256), so the
            # layer normalizes in float32 and returns its compute dtype, as Keras does.
            outputs = self._normalize(ops.cast(inputs, "float32"), training, mask)
            return ops.cast(outputs, self.compute_dtype)
        if not dtype.startswith("float"):
            # integers meet the float weights in the weights' type (Keras's promotion;
            # NumPy's would give float64), then the compute dtype as Keras returns
            outputs = self._normalize(ops.cast(inputs, self.variable_dtype), training, mask)
            return ops.cast(outputs, self.compute_dtype)
        return self._normalize(inputs, training, mask)

    def _normalize(self, inputs, training, mask):
        axis = self._check_features(inputs)
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
        if mask is not None and len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: the mask must have one dimension less "
                f"than the inputs; received mask shape {tuple(mask.shape)} and inputs shape "
                f"{tuple(inputs.shape)}.")
        if not (training and self.trainable):
            return batch_normalization(inputs, self.moving_mean, self.moving_variance, axis,
                                       offset=self.beta, scale=self.gamma, epsilon=self.epsilon)
        if self.renorm:
            return self._renorm_call(inputs, axis, mask)
        if mask is None:
            outputs, mean, variance = fused_batch_normalization(
                inputs, axis, scale=self.gamma, offset=self.beta, epsilon=self.epsilon)
        else:
            mean, variance = self._masked_moments(inputs, axis, mask)
            outputs = batch_normalization(inputs, mean, variance, axis, offset=self.beta,
                                          scale=self.gamma, epsilon=self.epsilon)
        self._update_moving(mean, variance)
        return outputs

    def _check_features(self, inputs):
        axis = self._feature_axis(inputs.shape)
        if inputs.shape[axis] != self.moving_mean.shape[0]:
            raise ValueError(
                f"BatchNormalization layer {self.name!r} was built for {self.moving_mean.shape[0]} "
                f"features on axis {self.axis} but received inputs of shape {tuple(inputs.shape)}.")
        return axis

    def call_with_pool(self, inputs, pool, activation, training=None):
        """`pool(activation(self(inputs)))` for a max pooling layer `pool` as one op while
        the layer trains on the batch's statistics (`kerasx.ops.batch_norm_pool`), or
        None for any other call, which the model then runs layer by layer
        (`kerasx.models.fusion`). `activation` must commute with max."""
        from kerasx import activations

        if not self._trains_on_batch(training):
            return None
        axis = self._check_features(inputs)
        if axis != (len(inputs.shape) - 1 if pool.data_format == "channels_last" else 1):
            return None
        pool.compute_output_shape(tuple(inputs.shape))
        relu = activation is activations.relu
        out, mean, variance = batch_norm_max_pool(
            inputs, self.gamma, self.beta, self.epsilon, pool.pool_size, pool.strides,
            pool.padding, pool.data_format, relu)
        self._update_moving(mean, variance)
        return out if relu or activation is activations.linear else activation(out)

    def call_after_conv_with_max_pool(self, conv, inputs, pool, activation, training=None):
        """`pool(activation(self(conv(inputs))))` for a convolution layer `conv` (without
        activation) and a max pooling layer `pool` as one op while the layer trains on
        the batch's statistics (`kerasx.ops.conv_batch_norm_pool`), or None for any
        other call, which the model then runs otherwise (`kerasx.models.fusion`).
        `activation` must commute with max."""
        from kerasx import activations

        if not self._trains_on_batch(training):
            return None
        conv._check_channels(inputs.shape, conv.kernel.shape[-2] * conv.groups)
        out_shape = conv.compute_output_shape(inputs.shape)
        channel_axis = len(out_shape) - 1 if conv.data_format == "channels_last" else 1
        if self._feature_axis(out_shape) != channel_axis \
                or out_shape[channel_axis] != self.moving_mean.shape[0]:
            return None  # the layers one by one raise their own errors
        pool.compute_output_shape(out_shape)
        relu = activation is activations.relu
        out, mean, variance = conv_batch_norm_max_pool(
            inputs, conv.kernel, conv.bias, self.gamma, self.beta, self.epsilon, conv.strides,
            conv.padding, conv.data_format, conv.dilation_rate, conv.groups, pool.pool_size,
            pool.strides, pool.padding, relu)
        self._update_moving(mean, variance)
        return out if relu or activation is activations.linear else activation(out)

    def _trains_on_batch(self, training):
        """Whether this call normalizes with the batch's statistics (and no renorm)."""
        from kerasx.layers._call_arguments import _TRAINING

        if training is None:
            training = _TRAINING.get()
        return bool(training and self.trainable) and not self.renorm

    def call_with_activation(self, inputs, activation, training=None):
        """`activation(self(inputs))` for the ReLU as one op while the layer trains on the
        batch's statistics (the ReLU applied in the normalization's last pass), or None
        for any other call, which the model then runs layer by layer
        (`kerasx.models.fusion`)."""
        from kerasx import activations

        if not self._trains_on_batch(training) or activation is not activations.relu:
            return None
        axis = self._check_features(inputs)
        outputs, mean, variance = fused_batch_normalization(
            inputs, axis, scale=self.gamma, offset=self.beta, epsilon=self.epsilon, relu=True)
        self._update_moving(mean, variance)
        return outputs

    def _update_moving(self, mean, variance):
        m = self.momentum
        mean, variance = value_of(mean), value_of(variance)  # the raw arrays: no gradient
        self.moving_mean.assign(self.moving_mean.value * m + mean * (1.0 - m))
        self.moving_variance.assign(self.moving_variance.value * m + variance * (1.0 - m))

    def _masked_moments(self, inputs, axis, mask):
        reduce = [i for i in range(inputs.ndim) if i != axis]
        weights = ops.broadcast_to(ops.expand_dims(ops.cast(mask, inputs.dtype), -1), inputs.shape)
        total = ops.sum(weights, axis=reduce, keepdims=True) + 1e-7
        mean = ops.sum(inputs * weights, axis=reduce, keepdims=True) / total
        centered = (inputs - mean) * weights
        variance = ops.sum(centered * centered, axis=reduce, keepdims=True) / total
        size = (inputs.shape[axis],)
        return ops.reshape(mean, size), ops.reshape(variance, size)

    def _renorm_call(self, inputs, axis, mask):
        if mask is None:
            mean, variance = moments(inputs, [i for i in range(inputs.ndim) if i != axis])
        else:
            mean, variance = self._masked_moments(inputs, axis, mask)
        stddev = ops.sqrt(variance + self.epsilon)
        renorm_stddev = ops.maximum(self.renorm_stddev, self.epsilon ** 0.5)
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean) / renorm_stddev
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = ops.maximum(r, float(clip["rmin"]))
        if clip.get("rmax") is not None:
            r = ops.minimum(r, float(clip["rmax"]))
        if clip.get("dmax") is not None:
            d = ops.clip(d, -float(clip["dmax"]), float(clip["dmax"]))
        r, d = ops.stop_gradient(r), ops.stop_gradient(d)
        gamma = r if self.gamma is None else r * self.gamma
        beta = d if self.gamma is None else d * self.gamma
        if self.beta is not None:
            beta = beta + self.beta
        self._update_renorm(ops.stop_gradient(mean).value, ops.stop_gradient(stddev).value)
        return batch_normalization(inputs, mean, variance, axis, offset=beta, scale=gamma,
                                   epsilon=self.epsilon)

    def _update_renorm(self, mean, stddev):
        rm, m = self.renorm_momentum, self.momentum
        self.renorm_mean.assign(self.renorm_mean.value * rm + mean * (1.0 - rm))
        self.renorm_stddev.assign(self.renorm_stddev.value * rm + stddev * (1.0 - rm))
        self.moving_mean.assign(self.moving_mean.value * m + mean * (1.0 - m))
        new_stddev = self.moving_stddev.value * m + stddev * (1.0 - m)
        self.moving_stddev.assign(new_stddev)
        self.moving_variance.assign(ops.relu(new_stddev * new_stddev - self.epsilon))

    def compute_output_shape(self, input_shape):
        self._feature_axis(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
