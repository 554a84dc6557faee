"""`PReLU`: a leaky rectifier whose negative slopes are learned."""

__all__ = ["PReLU"]

from kerasx import constraints, initializers, regularizers
from kerasx.layers.layer import Layer
from kerasx.ops.nn import prelu
from kerasx.saving.serialization import serialize_keras_object


class PReLU(Layer):
    """Parametric ReLU: `f(x) = x` for `x > 0` and `alpha * x` otherwise.

    `alpha` is a learned array with the shape of one sample, except along
    `shared_axes`, where one slope is shared (size 1).

    Args:
        alpha_initializer: initializer of the slopes (default zeros).
        alpha_regularizer: optional penalty on the slopes.
        alpha_constraint: optional constraint on the slopes.
        shared_axes: axes (1-based, the batch axis excluded counts as 0) along
            which the slopes are shared, e.g. `[1, 2]` for one slope per
            channel of `(batch, height, width, channels)` images.

    Input shape: any. Output shape: the same as the input.
    Weights: `alpha`, of shape `input_shape[1:]` with shared axes set to 1.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        rank = len(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < rank:
                raise ValueError(
                    f"PReLU layer {self.name!r}: shared axis {axis} is invalid for inputs of shape "
                    f"{tuple(input_shape)}; shared_axes count from 1 (the first axis after the "
                    f"batch axis) up to {rank - 1}.")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"PReLU layer {self.name!r} needs known sizes on every non-shared axis, received "
                f"input shape {tuple(input_shape)}. Share the variable axes with shared_axes.")
        self.alpha = self.add_weight(param_shape, self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        sample = tuple(inputs.shape[1:])
        if len(sample) != len(self.alpha.shape) or any(
                a not in (1, n) for a, n in zip(self.alpha.shape, sample)):
            raise ValueError(
                f"PReLU layer {self.name!r} has slopes of shape {self.alpha.shape} but received "
                f"inputs of shape {tuple(inputs.shape)}; it was built for samples of a "
                "different shape.")
        return prelu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": serialize_keras_object(self.alpha_regularizer),
                "alpha_constraint": serialize_keras_object(self.alpha_constraint),
                "shared_axes": self.shared_axes}
