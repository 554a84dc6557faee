"""`Reshape`: gives each sample a new shape."""

__all__ = ["Reshape"]

import math

from kerasx import ops
from kerasx.layers.layer import Layer


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept).

    Args:
        target_shape: the new shape of one sample, a tuple of integers; one
            entry may be -1 and is then inferred from the size of the sample.

    Input shape: `(batch, ...)` with any sample shape of the same size.
    Output shape: `(batch,) + target_shape`.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(int(d) for d in target_shape)
        except TypeError:
            raise TypeError(
                f"Reshape: target_shape must be a tuple of integers, received "
                f"target_shape={target_shape!r}.") from None
        if target_shape.count(-1) > 1:
            raise ValueError(
                f"Reshape: at most one entry of target_shape may be -1, received "
                f"target_shape={target_shape}.")
        if any(d < -1 or d == 0 for d in target_shape):
            raise ValueError(
                f"Reshape: the entries of target_shape must be positive (or one -1), received "
                f"target_shape={target_shape}.")
        self.target_shape = target_shape
        self.built = True

    def _resolve(self, sample_shape):
        """`target_shape` with its -1 filled in for samples of `sample_shape`."""
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known == 0:
                return tuple(size // known if d == -1 else d for d in self.target_shape)
        elif size == known:
            return self.target_shape
        hint = (f"a multiple of {known}" if -1 in self.target_shape else f"exactly {known}")
        raise ValueError(
            f"Reshape layer {self.name!r} cannot reshape samples of shape {tuple(sample_shape)} "
            f"({size} values) into target_shape={self.target_shape}: the number of values per "
            f"sample must be {hint}. Choose a target_shape whose sizes multiply to {size}, "
            "or use -1 for one dimension to infer it.")

    def call(self, inputs):
        shape = tuple(inputs.shape)
        return ops.reshape(inputs, (shape[0],) + self._resolve(shape[1:]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(tuple(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
