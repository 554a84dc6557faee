"""`Concatenate`: joins a list of tensors along one axis."""

__all__ = ["Concatenate", "concatenate"]

from kerasx import ops
from kerasx.layers.merging.base_merge import Merge, functional_merge


class Concatenate(Merge):
    """Concatenates a list of inputs along `axis`.

    Every input must have the same shape except along `axis`.

    Example:

        merged = kerasx.layers.Concatenate(axis=-1)([x1, x2])  # (batch, 3) + (batch, 5) -> (batch, 8)

    Args:
        axis: the axis to join along (default -1, the last; 0, the batch axis, is not allowed).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Input shape: a list of tensors `(batch, ...)` of the same rank.
    Output shape: the common shape, with the sizes along `axis` added up.

    Masks: as in Keras 3, the masks are concatenated along `axis` (an input
    without a mask counts as all True; a mask of lower rank than its input is
    broadcast along the input's last axis), then reduced with `any` over the
    last axis.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate: axis must be an integer, received axis={axis!r}.")
        self.axis = axis

    def build(self, input_shape):
        self._check_list(input_shape)
        self._output_from(input_shape)
        self.built = True

    def _output_from(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        error = (f"A Concatenate layer requires inputs with matching shapes except for the "
                 f"concatenation axis (axis={self.axis}). Layer {self.name!r} received input "
                 f"shapes {shapes}.")
        if len(ranks) != 1:
            raise ValueError(f"{error} The inputs have different ranks {sorted(ranks)}.")
        rank = ranks.pop()
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"Concatenate {self.name!r}: axis={self.axis} is not a valid axis for inputs of "
                f"rank {rank} (the batch axis 0 cannot be used). Use an axis from 1 to {rank - 1} "
                "or a negative one."
            )
        axis = self.axis % rank
        out = []
        for i in range(rank):
            sizes = [s[i] for s in shapes]
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = {d for d in sizes if d is not None}
            if len(known) > 1 and i > 0:
                raise ValueError(error)
            out.append(known.pop() if len(known) == 1 else None)
        return tuple(out)

    def compute_output_shape(self, input_shape):
        return self._output_from(input_shape)

    def call(self, inputs):
        self._check_list(inputs)
        self._output_from([tuple(x.shape) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        mask = self._check_masks(inputs, mask)
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(ops.ones_like(x, dtype="bool"))
            elif len(m.shape) < len(x.shape):
                masks.append(ops.logical_or(ops.expand_dims(m, axis=-1),
                                            ops.zeros_like(x, dtype="bool")))
            else:
                masks.append(m)
        return ops.any(ops.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([x1, x2], axis=-1)`."""
    return functional_merge(Concatenate, inputs, {"axis": axis, **kwargs})
