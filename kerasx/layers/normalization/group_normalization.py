"""`GroupNormalization`: normalizes groups of channels within each sample."""

__all__ = ["GroupNormalization"]

import math

from kerasx import constraints, initializers, ops, regularizers
from kerasx.layers.layer import Layer
from kerasx.layers.normalization._precision import in_compute_dtype, upcast
from kerasx.ops.normalization import layer_normalization
from kerasx.saving.serialization import serialize_keras_object


class GroupNormalization(Layer):
    """Splits the channels into `groups` and normalizes each group of each sample
    over the group's channels and all spatial positions (Wu and He, 2018).

    `groups=1` is layer normalization over all features; `groups=-1` (one
    channel per group) is instance normalization. Independent of the batch,
    so it behaves the same in training and inference.

    Args:
        groups: positive integer dividing the number of channels, or -1.
        axis: the channel axis.
        epsilon: small float added to the variance.
        center, scale: whether to learn a per-channel offset `beta` / scale `gamma`.
        beta_initializer, gamma_initializer: their initializers.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.

    Input shape: any, with a known channel size. Output shape: the same.
    Weights (in order): `gamma`, `beta`, each of shape `(channels,)`.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0
                                                                       and groups != -1):
            raise ValueError(
                f"GroupNormalization: groups must be a positive integer (or -1 for instance "
                f"normalization), received groups={groups!r}.")
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.autocast = False  # as Keras: inputs keep their dtype, statistics in float32
        self.gamma = None
        self.beta = None

    def _channel_axis(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: axis={self.axis} is out of bounds for "
                f"inputs of shape {tuple(input_shape)}.")
        return self.axis % rank

    def build(self, input_shape):
        dim = input_shape[self._channel_axis(input_shape)]
        if dim is None:
            raise ValueError(
                f"GroupNormalization layer {self.name!r} needs a known size on axis {self.axis}, "
                f"received input shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: groups={self.groups} must divide the "
                f"number of channels ({dim}) of inputs of shape {tuple(input_shape)}. Choose a "
                "divisor of the channel count.")
        if self.scale:
            self.gamma = self.add_weight((dim,), self.gamma_initializer, name="gamma",
                                         autocast=False, regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight((dim,), self.beta_initializer, name="beta",
                                        autocast=False, regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        shape = tuple(inputs.shape)
        ax = self._channel_axis(shape)
        grouped = shape[:ax] + (self.groups, shape[ax] // self.groups) + shape[ax + 1:]
        x = ops.reshape(upcast(inputs), grouped)
        if ax == 0:
            axes = [i for i in range(1, len(grouped)) if i != ax]
            x = layer_normalization(x, axis=axes, epsilon=self.epsilon)
        else:
            x = self._normalize_group_major(x, ax)
        x = ops.reshape(x, shape)
        param_shape = tuple(n if i == ax else 1 for i, n in enumerate(shape))
        if self.gamma is not None:
            x = x * ops.reshape(self.gamma, param_shape)
        if self.beta is not None:
            x = x + ops.reshape(self.beta, param_shape)
        return in_compute_dtype(self, x)

    def _normalize_group_major(self, x, ax):
        """The grouped `x` (group axis `ax`) normalized per sample and group, with the group
        axis moved next to the batch so that each group of a sample is one contiguous row:
        NumPy's reductions over the strided axes of the grouped layout took twice as long
        (64 x 16x16x32 in 8 groups, forward and gradients: 16.4 against 7.4 ms)."""
        order = (0, ax) + tuple(i for i in range(1, len(x.shape)) if i != ax)
        moved = x if order == tuple(range(len(order))) else ops.transpose(x, order)
        moved_shape = tuple(moved.shape)
        rows = ops.reshape(moved, (-1, self.groups, math.prod(moved_shape[2:])))
        out = ops.reshape(layer_normalization(rows, axis=-1, epsilon=self.epsilon), moved_shape)
        if moved is x:
            return out
        return ops.transpose(out, tuple(order.index(i) for i in range(len(order))))

    def compute_output_shape(self, input_shape):
        self._channel_axis(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }
