"""`Dot`: the per-sample dot product of two tensors along given axes."""

__all__ = ["Dot", "dot"]

from kerasx import ops
from kerasx.autodiff.tape import record, tracked
from kerasx.autodiff.tensor import Tensor, value_of
from kerasx.backends import current
from kerasx.layers.merging.base_merge import Merge, functional_merge


class Dot(Merge):
    """The dot product of two samples, for each sample of the batch.

    For inputs `a` of shape `(batch, n)` and `b` of shape `(batch, n)` the
    output has shape `(batch, 1)` and holds `sum(a[i] * b[i])`. In general the
    axis `axes[0]` of `a` is contracted with the axis `axes[1]` of `b`, and the
    output's shape is `a`'s remaining axes followed by `b`'s remaining axes
    (without its batch axis).

    Example:

        similarity = kerasx.layers.Dot(axes=1, normalize=True)([u, v])  # cosine similarity

    Args:
        axes: an integer, or a tuple of two integers: the axis of each input to
            contract (negative values count from the end; not 0, the batch axis).
        normalize: whether to L2-normalize each input along its contracted axis
            first, so the result is the cosine similarity.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Input shape: a list of two tensors `(batch, ...)`.
    Output shape: `(batch, ...)`, at least 2-D (a `(batch,)` result becomes `(batch, 1)`).
    """

    min_inputs = 2
    max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(
                    f"Dot: axes must be an integer or a list of 2 integers (one per input); "
                    f"received axes={axes!r}."
                )
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
                raise ValueError(f"Dot: the entries of axes must be integers; received axes={axes!r}.")
            axes = list(axes)
        elif not isinstance(axes, int) or isinstance(axes, bool):
            raise TypeError(
                f"Dot: axes must be an integer or a list of 2 integers; received {axes!r} of type "
                f"{type(axes).__name__}."
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, shape1, shape2):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        out = []
        for axis, shape, which in zip(axes, (shape1, shape2), ("first", "second")):
            rank = len(shape)
            if not -rank <= axis < rank or axis % rank == 0:
                raise ValueError(
                    f"Dot {self.name!r}: axis {axis} is not a valid axis of the {which} input, of "
                    f"shape {tuple(shape)} (the batch axis 0 cannot be contracted). Use an axis "
                    f"from 1 to {rank - 1} or a negative one."
                )
            out.append(axis % rank)
        return out

    def _output_from(self, input_shape):
        self._check_list(input_shape)
        shape1, shape2 = (tuple(s) for s in input_shape)
        a, b = self._resolve_axes(shape1, shape2)
        if shape1[a] is not None and shape2[b] is not None and shape1[a] != shape2[b]:
            raise ValueError(
                f"Dot {self.name!r}: incompatible input shapes: axis values {shape1[a]} (at axis "
                f"{a}) != {shape2[b]} (at axis {b}). Full input shapes: {shape1}, {shape2}. The "
                "contracted axes must have the same size."
            )
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            raise ValueError(
                f"Dot {self.name!r}: the inputs have different batch sizes {shape1[0]} and "
                f"{shape2[0]}."
            )
        out = shape1[:a] + shape1[a + 1:] + shape2[1:b] + shape2[b + 1:]
        return out + (1,) if len(out) == 1 else out

    def build(self, input_shape):
        self._output_from(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self._output_from(input_shape)

    def call(self, inputs):
        self._output_from([tuple(x.shape) for x in inputs])
        x1, x2 = inputs
        a, b = self._resolve_axes(x1.shape, x2.shape)
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a), _l2_normalize(x2, b)
        return batch_dot(x1, x2, a, b)

    def compute_mask(self, inputs, mask=None):
        """None: a dot product mixes the masked axes away (as in Keras 3)."""
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis, epsilon=1e-12):
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(squares, epsilon)))


def _perm_to(ndim, axis, position):
    """A permutation moving `axis` to `position` and keeping the others in order."""
    rest = [i for i in range(ndim) if i != axis]
    rest.insert(position, axis)
    return tuple(rest)


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def batch_dot(x1, x2, axis1, axis2):
    """Contracts `axis1` of `x1` with `axis2` of `x2` for each batch row; one tape node.

    Both inputs are folded to `(batch, m, k)` and `(batch, k, n)` so the forward
    pass and each gradient are one batched matrix product.
    """
    xp = current().xp
    v1, v2 = value_of(x1), value_of(x2)
    batch, k = v1.shape[0], v1.shape[axis1]
    p1, p2 = _perm_to(v1.ndim, axis1, v1.ndim - 1), _perm_to(v2.ndim, axis2, 1)
    m1, m2 = xp.permute_dims(v1, p1), xp.permute_dims(v2, p2)
    rest1, rest2 = tuple(m1.shape[1:-1]), tuple(m2.shape[2:])
    a3 = xp.reshape(m1, (batch, -1, k))
    b3 = xp.reshape(m2, (batch, k, -1))
    out3 = a3 @ b3
    shape = (batch,) + rest1 + rest2
    out = xp.reshape(out3, shape if len(shape) > 1 else (batch, 1))
    if not tracked(x1, x2):
        return Tensor(out)

    def vjp(g):
        g3 = xp.reshape(g, out3.shape)
        g1 = g2 = None
        if getattr(x1, "tracked", False):
            g1 = xp.permute_dims(xp.reshape(g3 @ xp.matrix_transpose(b3), m1.shape), _inverse(p1))
        if getattr(x2, "tracked", False):
            g2 = xp.permute_dims(xp.reshape(xp.matrix_transpose(a3) @ g3, m2.shape), _inverse(p2))
        return g1, g2

    return record(out, (x1, x2), vjp)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([x1, x2], axes=1)`."""
    return functional_merge(Dot, inputs, {"axes": axes, **kwargs})
