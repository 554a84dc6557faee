"""`Multiply`: the elementwise product of a list of tensors."""

__all__ = ["Multiply", "multiply"]

from kerasx.layers.merging.base_merge import Merge, functional_merge, merge_n, spread_mask


class Multiply(Merge):
    """Multiplies a list of inputs elementwise.

    Example:

        gated = kerasx.layers.Multiply()([features, gate])

    Input shape: a list of tensors `(batch, ...)` of compatible shapes.
    Output shape: `(batch, ...)`.
    """

    def _merge(self, inputs):
        return merge_n(inputs, _forward, _grads)

    def _merge_masked(self, inputs, masks):
        """As Keras: masked-out entries count as 1 in the product; where every input
        carries a mask, entries masked out in all of them are 0."""
        from kerasx import ops

        every = all(m is not None for m in masks)
        output = output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = spread_mask(mask, x)
                x = ops.where(mask, x, ops.cast(1, x.dtype))
                if every:
                    output_mask = mask if output_mask is None else ops.logical_or(output_mask,
                                                                                  mask)
            output = x if output is None else ops.multiply(output, x)
        if every:
            output = ops.where(output_mask, output, ops.cast(0, output.dtype))
        return output


def _forward(xp, values):
    out = values[0]
    for v in values[1:]:
        out = out * v
    return out


def _grads(xp, g, values, out, wanted):
    # The product of the other factors, not out / x_i, so zeros in x_i are exact.
    grads = []
    for i, w in enumerate(wanted):
        if not w:
            grads.append(None)
            continue
        other = g
        for j, v in enumerate(values):
            if j != i:
                other = other * v
        grads.append(other)
    return grads


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: `multiply([x1, x2])` returns `x1 * x2`."""
    return functional_merge(Multiply, inputs, kwargs)
