"""`DropoutRNNCell`: dropout masks drawn once per sequence for recurrent cells."""

__all__ = []

from kerasx.autodiff.tensor import value_of
from kerasx.backends import current


class DropoutRNNCell:
    """Mixin for cells with `dropout` and `recurrent_dropout` rates.

    The masks are drawn from the backend generator the first time a sequence
    asks for them and reused at every timestep, as in Keras; the `RNN` layer
    clears them after each call. A cell that sets `dropout_mask_count` gets
    that many independent masks (one per gate), stacked on a leading axis.
    """

    def _create_dropout_mask(self, step_input, rate):
        backend = current()
        value = value_of(step_input)
        shape = tuple(value.shape)
        keep = 1.0 - rate
        dtype = getattr(self, "dtype", None) or "float32"
        count = getattr(self, "dropout_mask_count", None)
        masks = [backend.rng.bernoulli(shape, keep, dtype=dtype, seed=self._next_seed())
                 * (1.0 / keep) for _ in range(count or 1)]
        return masks[0] if count is None else backend.xp.stack(masks)

    def _next_seed(self):
        seed = getattr(self, "seed", None)
        if seed is None:
            return None
        count = getattr(self, "_seed_calls", 0)
        object.__setattr__(self, "_seed_calls", count + 1)
        return seed + count

    def get_dropout_mask(self, step_input):
        """The input dropout mask of the current sequence (None when `dropout` is 0)."""
        if getattr(self, "_dropout_mask", None) is None and 0.0 < self.dropout < 1.0:
            object.__setattr__(self, "_dropout_mask",
                               self._create_dropout_mask(step_input, self.dropout))
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_state):
        """The recurrent-state dropout mask of the current sequence (None when 0)."""
        if getattr(self, "_recurrent_dropout_mask", None) is None \
                and 0.0 < self.recurrent_dropout < 1.0:
            object.__setattr__(self, "_recurrent_dropout_mask",
                               self._create_dropout_mask(step_state, self.recurrent_dropout))
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        object.__setattr__(self, "_dropout_mask", None)

    def reset_recurrent_dropout_mask(self):
        object.__setattr__(self, "_recurrent_dropout_mask", None)
