"""`RMSNormalization`: scales each sample by the inverse of its root mean square."""

__all__ = ["RMSNormalization"]

from kerasx.layers.layer import Layer
from kerasx.layers.normalization._precision import in_compute_dtype, upcast
from kerasx.layers.normalization.layer_normalization import _check_axes
from kerasx.ops.normalization import rms_normalization


class RMSNormalization(Layer):
    """`x / sqrt(mean(x ** 2, axis) + epsilon) * scale` (Zhang and Sennrich, 2019).

    Args:
        axis: an integer or a list of integers, the axes to normalize over.
        epsilon: small float added to the mean square.

    Input shape: any. Output shape: the same as the input.
    Weights: `scale`, with the sizes of the normalized axes (initialized to ones).
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        axes = _check_axes(self, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"RMSNormalization layer {self.name!r} needs known sizes on axes {axes}, "
                f"received input shape {tuple(input_shape)}.")
        self.axis = axes
        self.scale = self.add_weight(shape, "ones", name="scale")
        self.built = True

    def call(self, inputs):
        out = rms_normalization(upcast(inputs), scale=self.scale, axis=self.axis,
                                epsilon=self.epsilon)
        return in_compute_dtype(self, out)

    def compute_output_shape(self, input_shape):
        _check_axes(self, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
