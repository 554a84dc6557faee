"""`Add`: the elementwise sum of a list of tensors."""

__all__ = ["Add", "add"]

from kerasx.layers.merging.base_merge import Merge, functional_merge, merge_n


class Add(Merge):
    """Adds a list of inputs elementwise.

    It takes a list of tensors of the same shape (or shapes that broadcast)
    and returns one tensor of that shape.

    Example:

        x1 = kerasx.layers.Dense(8)(input1)
        x2 = kerasx.layers.Dense(8)(input2)
        added = kerasx.layers.Add()([x1, x2])

    Input shape: a list of tensors `(batch, ...)`. Output shape: `(batch, ...)`.
    """

    def _merge(self, inputs):
        return merge_n(inputs, _forward, _grads)


def _forward(xp, values):
    out = values[0]
    for v in values[1:]:
        out = out + v
    return out


def _grads(xp, g, values, out, wanted):
    return [g if w else None for w in wanted]


def add(inputs, **kwargs):
    """Functional form of `Add`: `add([x1, x2])` returns the sum of the tensors."""
    return functional_merge(Add, inputs, kwargs)
