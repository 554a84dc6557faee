"""`Minimum`: the elementwise minimum of a list of tensors."""

__all__ = ["Minimum", "minimum"]

from kerasx.layers.merging.base_merge import (Merge, functional_merge, merge_n,
                                               merge_skipping_masked)
from kerasx.layers.merging.maximum import extremum, winner_grads


class Minimum(Merge):
    """The elementwise minimum of a list of inputs.

    Where several inputs tie for the minimum, the gradient goes to the first
    of them.

    Example:

        m = kerasx.layers.Minimum()([x1, x2])

    Input shape: a list of tensors `(batch, ...)` of compatible shapes.
    Output shape: `(batch, ...)`.
    """

    def _merge(self, inputs):
        return merge_n(inputs, lambda xp, values: extremum(xp, values, xp.minimum), winner_grads)

    def _merge_masked(self, inputs, masks):
        from kerasx import ops

        return merge_skipping_masked(inputs, masks, ops.minimum)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: `minimum([x1, x2])` returns the elementwise minimum."""
    return functional_merge(Minimum, inputs, kwargs)
