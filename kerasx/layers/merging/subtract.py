"""`Subtract`: the difference of two tensors."""

__all__ = ["Subtract", "subtract"]

from kerasx.layers.merging.base_merge import Merge, functional_merge, merge_n


class Subtract(Merge):
    """Subtracts the second input from the first: `inputs[0] - inputs[1]`.

    Example:

        diff = kerasx.layers.Subtract()([x1, x2])

    Input shape: a list of exactly two tensors `(batch, ...)` of compatible shapes.
    Output shape: `(batch, ...)`.
    """

    min_inputs = 2
    max_inputs = 2

    def _merge(self, inputs):
        return merge_n(inputs, _forward, _grads)


def _forward(xp, values):
    return values[0] - values[1]


def _grads(xp, g, values, out, wanted):
    return [g if wanted[0] else None, -g if wanted[1] else None]


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `subtract([x1, x2])` returns `x1 - x2`."""
    return functional_merge(Subtract, inputs, kwargs)
