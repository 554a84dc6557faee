"""`LayerNormalization`: normalizes each sample over its feature axes."""

__all__ = ["LayerNormalization"]

import warnings

from kerasx import constraints, initializers, regularizers
from kerasx.layers.layer import Layer
from kerasx.layers.normalization._precision import in_compute_dtype, upcast
from kerasx.ops.normalization import layer_normalization
from kerasx.saving.serialization import serialize_keras_object


class LayerNormalization(Layer):
    """Normalizes each sample independently over `axis`, then scales and shifts.

    For every sample, the values along `axis` are brought to zero mean and
    unit variance, then multiplied by `gamma` and shifted by `beta` (both with
    the sizes of the normalized axes). Unlike `BatchNormalization` it behaves
    the same in training and inference.

    Args:
        axis: an integer or a list of integers, the axes to normalize over.
        epsilon: small float added to the variance to avoid dividing by zero.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned `gamma`.
        rms_scaling: deprecated Keras option: divide by the standard deviation
            without centering and ignore `center`. Prefer `RMSNormalization`.
        beta_initializer, gamma_initializer: initializers of `beta` and `gamma`.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.

    Input shape: any. Output shape: the same as the input.
    Weights (in order): `gamma`, `beta`.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        if rms_scaling:
            warnings.warn(  # Keras's text
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
                "scales the input by the variance, not the root mean square. To correctly use "
                "RMS Normalization, please use `keras.layers.RMSNormalization` instead.",
                stacklevel=2)
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                f"LayerNormalization: axis must be an int or a list of ints, received "
                f"axis={axis!r}.")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
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

    def build(self, input_shape):
        axes = _check_axes(self, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization layer {self.name!r} needs known sizes on axes {axes}, "
                f"received input shape {tuple(input_shape)}.")
        self.axis = axes
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         autocast=False, regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                        autocast=False, regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        out = layer_normalization(upcast(inputs), self.gamma, self.beta, self.axis,
                                  self.epsilon, rms_scaling=self.rms_scaling)
        return in_compute_dtype(self, out)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }


def _check_axes(layer, input_shape):
    """The layer's axes as a sorted list (negative values kept, as Keras keeps them)."""
    rank = len(input_shape)
    axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(
                f"{type(layer).__name__} layer {layer.name!r}: axis {a} is out of bounds for "
                f"inputs of shape {tuple(input_shape)} (rank {rank}). Use axes in "
                f"[{-rank}, {rank - 1}].")
    return sorted(axes)
