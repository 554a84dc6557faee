"""`Merge`: the base of the layers that combine a list of tensors elementwise."""

__all__ = []

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.autodiff.tape import record, tracked
from kerasx.autodiff.tensor import Tensor, value_of
from kerasx.backends import current
from kerasx.layers.layer import Layer


class Merge(Layer):
    """Combines a list of tensors of compatible shapes into one.

    Shapes are compared without the batch axis and broadcast as NumPy does
    (sizes must be equal or 1); an input of lower rank gets size-1 axes
    inserted after the batch axis. Subclasses implement `_merge(xs)`, one
    coarse op with its own gradient rule.

    Masks: when every input carries a mask (e.g. from `Embedding(mask_zero=True)`),
    the output's mask is their logical OR, as in Keras 3; when any input has
    none, the output has none.

    Input shape: a list of at least `min_inputs` tensors `(batch, ...)`.
    Output shape: the broadcast shape.
    """

    min_inputs = 1
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def __call__(self, inputs, *args, **kwargs):
        # The base layer follows the mask of a single input; a merge reads one per input.
        mask = kwargs.pop("mask", None)
        outputs = super().__call__(inputs, *args, **kwargs)
        if isinstance(outputs, Tensor) and isinstance(inputs, (list, tuple)):
            if mask is None:
                mask = [getattr(x, "_keras_mask", None) for x in inputs]
            out_mask = self.compute_mask(inputs, mask)
            if out_mask is not None:
                outputs._keras_mask = out_mask
        return outputs

    def compute_mask(self, inputs, mask=None):
        """The logical OR of the input masks (None unless every input has one)."""
        mask = self._check_masks(inputs, mask)
        if mask is None or any(m is None for m in mask):
            return None
        from kerasx import ops

        out = mask[0]
        for m in mask[1:]:
            out = ops.logical_or(out, m)
        return out

    def _check_masks(self, inputs, mask):
        if mask is None:
            return None
        kind = type(self).__name__
        if not isinstance(mask, (list, tuple)):
            raise ValueError(
                f"{kind} {self.name!r}: `mask` should be a list with one mask (or None) per "
                f"input, received {type(mask).__name__}."
            )
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{kind} {self.name!r}: `inputs` should be a list, received "
                f"{type(inputs).__name__}."
            )
        if len(mask) != len(inputs):
            raise ValueError(
                f"{kind} {self.name!r}: the lists `inputs` and `mask` should have the same "
                f"length, received {len(inputs)} inputs and {len(mask)} masks."
            )
        return list(mask)

    def _check_list(self, inputs):
        kind = type(self).__name__
        single_shape = isinstance(inputs, tuple) and all(d is None or isinstance(d, int)
                                                         for d in inputs) and inputs != ()
        if not isinstance(inputs, (list, tuple)) or single_shape:
            what = f"a single input of shape {inputs}" if single_shape else \
                f"a single input of type {type(inputs).__name__}"
            raise ValueError(
                f"A merge layer ({kind} {self.name!r}) should be called on a list of inputs, "
                f"received {what}. Pass a list, e.g. "
                f"{kind}()([x1, x2])."
            )
        n = len(inputs)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            expected = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                        else f"at least {self.min_inputs}")
            raise ValueError(
                f"A `{kind}` layer should be called on {expected} inputs (a list), but "
                f"{self.name!r} received {n} input(s)."
            )

    def build(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        batch = {s[0] for s in shapes if s and s[0] is not None}
        if len(batch) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes in {type(self).__name__} "
                f"{self.name!r}. Received input shapes {shapes}."
            )
        self._elementwise_shape(shapes)
        self.built = True

    def _elementwise_shape(self, shapes):
        """The broadcast shape of `shapes` (batch axis excluded from the rule)."""
        out = shapes[0][1:] if shapes[0] else ()
        for shape in shapes[1:]:
            out = _broadcast(out, shape[1:] if shape else (), shapes, self)
        batch = next((s[0] for s in shapes if s and s[0] is not None), None)
        return (batch,) + tuple(out)

    def compute_output_shape(self, input_shape):
        return self._elementwise_shape([tuple(s) for s in input_shape])

    def call(self, inputs):
        self._check_list(inputs)
        # as Keras, the merge reads the masks the tensors carry, not the `mask` argument
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        ranks = [len(x.shape) for x in inputs]
        top = max(ranks)
        if min(ranks) != top:
            from kerasx import ops

            inputs = [x if len(x.shape) == top else
                      ops.reshape(x, (x.shape[0],) + (1,) * (top - len(x.shape)) + tuple(x.shape[1:]))
                      for x in inputs]
        if any(m is not None for m in masks):
            return self._merge_masked(list(inputs), masks)
        return self._merge(list(inputs))

    def _merge(self, inputs):
        raise NotImplementedError

    def _merge_masked(self, inputs, masks):
        """The merge of inputs of which some carry a mask (None entries for the others).
        By default the masks do not change the values; `Maximum`, `Minimum` and `Multiply`
        leave masked-out entries out of the result, as in Keras."""
        return self._merge(inputs)


def _broadcast(a, b, shapes, layer):
    if len(a) < len(b):
        a, b = b, a
    out = list(a[:len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(
                f"Inputs of {type(layer).__name__} {layer.name!r} have incompatible shapes: "
                f"received shapes {shapes}. Apart from the batch axis, sizes must be equal or 1."
            )
    return tuple(out)


def merge_n(inputs, forward, grads):
    """One tape node for an n-ary broadcasting merge.

    `forward(xp, values)` returns the output array; `grads(xp, g, values, out)`
    returns the gradient of each input before un-broadcasting (None where it
    is not needed). Only inputs that carry gradients are differentiated.
    """
    xp = current().xp
    values = [value_of(x) for x in inputs]
    out = forward(xp, values)
    if not tracked(*inputs):
        return Tensor(out)
    shapes = [tuple(v.shape) for v in values]
    wanted = [getattr(x, "tracked", False) for x in inputs]

    def vjp(g):
        raw = grads(xp, g, values, out, wanted)
        return tuple(unbroadcast(xp, r, s) if r is not None else None
                     for r, s in zip(raw, shapes))

    return record(out, tuple(inputs), vjp)


def spread_mask(mask, x):
    """A `(batch, steps)` mask broadcast over the feature axis of `x`."""
    from kerasx import ops

    return ops.broadcast_to(ops.expand_dims(mask, -1), ops.shape(x))


def merge_skipping_masked(inputs, masks, op):
    """Folds `op` over the inputs, an entry masked out in one input taking the other's
    value (Keras's rule for `Maximum` / `Minimum`: a masked-out entry never wins)."""
    from kerasx import ops

    output = output_mask = None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = spread_mask(mask, x)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = ops.where(mask, x, output)
        if output_mask is not None:
            output = ops.where(output_mask, output, x)
        both = mask is not None and output_mask is not None
        output_mask = ops.logical_or(output_mask, mask) if both else None
        output = op(output, x)
    return output


def functional_merge(cls, inputs, kwargs):
    """The functional form `kerasx.layers.add([x, y], **kwargs)`: a new layer, called once."""
    return cls(**kwargs)(inputs)
