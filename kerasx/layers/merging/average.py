"""`Average`: the elementwise mean of a list of tensors."""

__all__ = ["Average", "average"]

from kerasx.layers.merging.base_merge import Merge, functional_merge, merge_n


class Average(Merge):
    """Averages a list of inputs elementwise.

    Example:

        mean = kerasx.layers.Average()([x1, x2, x3])

    Input shape: a list of tensors `(batch, ...)` of compatible shapes.
    Output shape: `(batch, ...)`.
    """

    def _merge(self, inputs):
        return merge_n(inputs, _forward, _grads)


def _forward(xp, values):
    out = values[0]
    for v in values[1:]:
        out = out + v
    return out / len(values)


def _grads(xp, g, values, out, wanted):
    share = g / len(values)
    return [share if w else None for w in wanted]


def average(inputs, **kwargs):
    """Functional form of `Average`: `average([x1, x2])` returns the elementwise mean."""
    return functional_merge(Average, inputs, kwargs)
