"""`Maximum`: the elementwise maximum of a list of tensors."""

__all__ = ["Maximum", "maximum"]

from kerasx.layers.merging.base_merge import (Merge, functional_merge, merge_n,
                                               merge_skipping_masked)


class Maximum(Merge):
    """The elementwise maximum of a list of inputs.

    Where several inputs tie for the maximum, the gradient goes to the first
    of them.

    Example:

        m = kerasx.layers.Maximum()([x1, x2])

    Input shape: a list of tensors `(batch, ...)` of compatible shapes.
    Output shape: `(batch, ...)`.
    """

    def _merge(self, inputs):
        return merge_n(inputs, lambda xp, values: extremum(xp, values, xp.maximum), winner_grads)

    def _merge_masked(self, inputs, masks):
        from kerasx import ops

        return merge_skipping_masked(inputs, masks, ops.maximum)


def extremum(xp, values, pick):
    out = values[0]
    for v in values[1:]:
        out = pick(out, v)
    return out


def winner_grads(xp, g, values, out, wanted):
    """Routes `g` to the first input equal to `out` at each position (max and min)."""
    taken = None
    grads = []
    for v, w in zip(values, wanted):
        hit = v == out
        if taken is not None:
            hit = xp.logical_and(hit, xp.logical_not(taken))
        taken = hit if taken is None else xp.logical_or(taken, hit)
        grads.append(xp.where(hit, g, xp.zeros_like(g)) if w else None)
    return grads


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: `maximum([x1, x2])` returns the elementwise maximum."""
    return functional_merge(Maximum, inputs, kwargs)
