"""`TimeDistributed`: applies a layer to every timestep of a sequence."""

__all__ = ["TimeDistributed"]

from kerasx import ops
from kerasx.layers.core.wrapper import Wrapper
from kerasx.layers._call_arguments import _call_signature


class TimeDistributed(Wrapper):
    """Applies `layer` to every temporal slice of the input, with shared weights.

    The time axis is folded into the batch axis, so the wrapped layer runs once
    on `(batch * timesteps, ...)` (one matmul for a wrapped `Dense`, not one per
    timestep) and the result is unfolded to `(batch, timesteps, ...)`.

    Args:
        layer: a Layer instance.

    Call arguments: `inputs` `(batch, timesteps, ...)` (at least 3-D); `training`
    and `mask` `(batch, timesteps)` are passed on when the layer accepts them.

    Output shape: `(batch, timesteps) + layer_output_shape[1:]`.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    @staticmethod
    def _child_shape(input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "TimeDistributed needs inputs with at least 3 dimensions (batch, timesteps, "
                f"...), received input shape {input_shape}.")
        return (input_shape[0],) + tuple(input_shape[2:])

    @staticmethod
    def _check_mask(mask_shape, input_shape):
        """Rejects a mask whose (batch, timesteps) prefix differs from the input's."""
        if len(mask_shape) < 2:
            raise ValueError(
                "The `mask` passed to the `TimeDistributed` layer must be at least 2D "
                f"(batch_size, timesteps), but it has {len(mask_shape)} dimension(s) with "
                f"shape {mask_shape}.")
        for got, want in zip(mask_shape[:2], input_shape[:2]):
            if got is not None and want is not None and got != want:
                raise ValueError(
                    f"The `mask` passed to the `TimeDistributed` layer has a shape {mask_shape} "
                    f"that is incompatible with the input shape {input_shape}. Its first two "
                    "dimensions (batch size and timesteps) must match the input's: expected a "
                    f"mask shape starting with ({input_shape[0]}, {input_shape[1]}).")

    def build(self, input_shape):
        child = self._child_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer._build_shape = child
            self.layer.build(child)
            self.layer.built = True
        self.built = True

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        folded = None if batch is None or steps is None else batch * steps
        child = self.layer.compute_output_shape((folded,) + tuple(input_shape[2:]))
        return (batch, steps) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._child_shape(shape)
        batch, steps = shape[0], shape[1]
        if mask is not None:
            self._check_mask(tuple(mask.shape), shape)
        accepts_training, accepts_mask = _call_signature(type(self.layer))
        kwargs = {}
        if accepts_training:
            kwargs["training"] = training
        if accepts_mask and mask is not None:
            mask_shape = tuple(mask.shape)
            kwargs["mask"] = ops.reshape(mask, (batch * steps,) + mask_shape[2:])
        folded = ops.reshape(inputs, (batch * steps,) + shape[2:])
        outputs = self.layer.call(folded, **kwargs)
        return ops.reshape(outputs, (batch, steps) + tuple(outputs.shape[1:]))
