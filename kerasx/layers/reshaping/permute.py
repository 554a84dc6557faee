"""`Permute`: reorders the axes of each sample."""

__all__ = ["Permute"]

from kerasx import ops
from kerasx.layers.layer import Layer


class Permute(Layer):
    """Permutes the non-batch axes of the input.

    Args:
        dims: a permutation of `1, ..., rank - 1` (the batch axis is 0 and is
            not listed), e.g. `(2, 1)` swaps the two axes of `(batch, a, b)`.

    Input shape: `(batch, d1, ..., dn)`.
    Output shape: `(batch, d[dims[0]], ..., d[dims[-1]])`.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(int(d) for d in dims)
        except TypeError:
            raise TypeError(
                f"Permute: dims must be a tuple of integers, received dims={dims!r}.") from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"Invalid permutation dims={dims} for Permute: dims must contain each of "
                f"1..{len(dims)} exactly once (axes are counted from 1; the batch axis 0 is "
                f"not permuted), e.g. dims={tuple(range(len(dims), 0, -1)) or (1,)}.")
        self.dims = dims

    def _check_rank(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute layer {self.name!r} with dims={self.dims} expects inputs of rank "
                f"{len(self.dims) + 1} (batch axis included), received shape {tuple(shape)}.")

    def call(self, inputs):
        self._check_rank(inputs.shape)
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
