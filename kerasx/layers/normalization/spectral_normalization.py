"""`SpectralNormalization`: keeps the spectral norm of a wrapped layer's kernel at 1."""

__all__ = ["SpectralNormalization"]

from kerasx import initializers, ops
from kerasx.autodiff.tensor import Tensor, value_of
from kerasx.layers.core.input_spec import InputSpec
from kerasx.layers.core.wrapper import Wrapper


class SpectralNormalization(Wrapper):
    """Divides the kernel of a wrapped layer by its largest singular value
    (Miyato et al., 2018, "Spectral Normalization for GANs").

    The kernel, seen as a matrix `(-1, kernel.shape[-1])`, has its spectral norm
    estimated by `power_iterations` steps of the power method from a persistent
    vector `u`: `v = normalize(u W^T)`, `u = normalize(v W)`, `sigma = v W u^T`.

    In training (`training=True`) each call runs the power iteration, stores the
    new `u` and writes `kernel / sigma` into the wrapped layer's kernel, then calls
    the wrapped layer; a kernel of zeros is left as it is. Gradients reach the
    stored (normalized) kernel as the wrapped layer's own, as in Keras's eager
    execution. At inference the wrapped layer runs on the kernel as stored.

    Args:
        layer: a layer with a `kernel` (`Dense`, `Conv2D`, ...) or an `embeddings`
            (`Embedding`) weight.
        power_iterations: positive integer, power-method steps per training call.

    Weights: the wrapped layer's, the kernel listed first, and `vector_u` of shape
    `(1, kernel.shape[-1])` (not trainable; `TruncatedNormal(stddev=0.02)`).
    Output: the wrapped layer's, cast to the input's dtype for float inputs.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) \
                or power_iterations <= 0:
            raise ValueError(
                f"SpectralNormalization: `power_iterations` must be a positive integer, "
                f"received power_iterations={power_iterations!r}.")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        input_shape = tuple(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization wraps layers with a `kernel` or an `embeddings` "
                f"weight (Dense, Conv2D, Embedding...); {type(self.layer).__name__} "
                f"{self.layer.name!r} has neither.")
        # the kernel is also this layer's own weight, first in its list, as in Keras
        self._own_variables.append(kernel)
        self._set_untracked("kernel", kernel)
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight((1, self.kernel_shape[-1]),
                                        initializers.TruncatedNormal(stddev=0.02),
                                        dtype=kernel.dtype, trainable=False, name="vector_u")

    def call(self, inputs, training=False):
        if training:
            kernel = value_of(self.kernel)
            if bool(ops.convert_to_numpy(ops.any(ops.not_equal(Tensor(kernel), 0)))):
                vector_u, normalized = self.normalized_weights()
                self.vector_u.assign(vector_u)
                self.kernel.assign(normalized)
        output = self.layer(inputs)
        input_dtype = getattr(inputs, "dtype", None)
        if isinstance(input_dtype, str) and input_dtype.startswith("float") \
                and output.dtype != input_dtype:
            output = ops.cast(output, input_dtype)
        return output

    def normalized_weights(self):
        """`(u, kernel / sigma)` after `power_iterations` steps of the power method, as
        Tensors (computed from the stored values, outside any gradient tape)."""
        kernel = Tensor(value_of(self.kernel))
        weights = ops.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = Tensor(value_of(self.vector_u))
        for _ in range(self.power_iterations):
            vector_v = ops.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=None)
            vector_u = ops.normalize(ops.matmul(vector_v, weights), axis=None)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        return vector_u, ops.reshape(ops.divide(kernel, sigma), self.kernel_shape)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
