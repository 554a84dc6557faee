"""`RepeatVector`: repeats each input vector n times."""

__all__ = ["RepeatVector"]

from kerasx import ops
from kerasx.layers.layer import Layer


class RepeatVector(Layer):
    """Turns `(batch, features)` into `(batch, n, features)` by repetition.

    Args:
        n: positive integer, the number of repetitions.

    Input shape: `(batch, features)`. Output shape: `(batch, n, features)`.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"RepeatVector: n must be an integer, received n={n!r} "
                            f"of type {type(n).__name__}.")
        if n <= 0:
            raise ValueError(f"RepeatVector: n must be a positive integer, received n={n}.")
        self.n = n

    def _check_rank(self, shape):
        if len(shape) != 2:
            raise ValueError(
                f"RepeatVector layer {self.name!r} expects 2-D inputs (batch, features), "
                f"received shape {tuple(shape)}. Flatten the input first.")

    def call(self, inputs):
        self._check_rank(inputs.shape)
        batch, features = inputs.shape
        return ops.broadcast_to(ops.reshape(inputs, (batch, 1, features)),
                                (batch, self.n, features))

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
