"""`Bidirectional`: runs a recurrent layer forwards and backwards and merges the results."""

__all__ = ["Bidirectional"]

from kerasx import ops
from kerasx.layers._call_arguments import _contains
from kerasx.layers.layer import Layer
from kerasx.layers.rnn.rnn import symbolic_states

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Bidirectional wrapper for recurrent layers.

    The wrapped layer is recreated from its config twice: a forward copy and a
    backward copy with `go_backwards` flipped (neither shares weights with the
    layer passed in). With `return_sequences`, the backward outputs are flipped
    back to the input order before merging, and masked timesteps output zeros.

    Args:
        layer: a recurrent layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`, or any layer
            with `go_backwards`, `return_sequences`, `return_state` and a config).
        merge_mode: `"concat"` (default), `"sum"`, `"mul"`, `"ave"`, or None to
            return `[forward_output, backward_output]`.
        backward_layer: optional layer for the backward direction; it must match
            `layer` in `stateful`, `return_sequences`, `return_state` and have the
            opposite `go_backwards`.

    Call arguments: as the wrapped layer; an `initial_state` list gives the forward
    layer its first half and the backward layer its second half.

    Output shape: the wrapped layer's, with the last axis doubled for `"concat"`;
    with `return_state`, the merged output followed by the forward then backward states.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object

        if not isinstance(layer, Layer):
            raise ValueError(
                "Bidirectional expects a kerasx Layer instance (e.g. LSTM(16)), received "
                f"{layer!r} of type {type(layer).__name__}.")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional: backward_layer must be a kerasx Layer instance, received "
                f"{backward_layer!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: invalid merge_mode {merge_mode!r}; expected one of "
                "'concat', 'sum', 'mul', 'ave' or None.")
        super().__init__(**kwargs)
        config = serialize_keras_object(layer)
        config["config"]["name"] = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = deserialize_keras_object(config)
        if backward_layer is None:
            config = serialize_keras_object(layer)
            config["config"]["go_backwards"] = not config["config"].get("go_backwards", False)
            config["config"]["name"] = "backward_" + layer.name.removeprefix("backward_")
            backward_layer = deserialize_keras_object(config)
        self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):  # not in the config, as in Keras
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        if weights:
            half = len(weights) // 2
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _verify(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"go_backwards values; received forward go_backwards={fwd.go_backwards}, "
                f"backward go_backwards={bwd.go_backwards}.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same {attr}; "
                    f"received {getattr(fwd, attr)} (forward) and {getattr(bwd, attr)} (backward).")

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_shape = tuple(sequences_shape)
                sub.build(tuple(sequences_shape))
                sub.built = True
        self.built = True

    def __call__(self, sequences, *args, **kwargs):
        from kerasx.layers.core.keras_tensor import KerasTensor

        outputs = super().__call__(sequences, *args, **kwargs)
        if self.return_state and _contains(sequences, KerasTensor):
            merged = 2 if self.merge_mode is None else 1
            half = (len(outputs) - merged) // 2
            outputs = (outputs[:merged]
                       + symbolic_states(self.forward_layer, outputs[merged:merged + half])
                       + symbolic_states(self.backward_layer, outputs[merged + half:]))
        return outputs

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2.0
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = []
        if self.return_state:
            shape, state_shapes = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            out = [mask, mask] if self.merge_mode is None else mask
        else:
            out = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n_states = 2 * len(getattr(self.forward_layer, "state_size", [None]))
            return (out if isinstance(out, list) else [out]) + [None] * n_states
        return out

    @property
    def states(self):
        fwd = getattr(self.forward_layer, "states", None)
        bwd = getattr(self.backward_layer, "states", None)
        return list(fwd) + list(bwd) if fwd and bwd else None

    def reset_states(self):
        if not self.stateful:
            raise AttributeError(
                f"Layer {self.name!r} is not stateful; reset_states() needs stateful=True.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_keras_object(self.forward_layer),
                "backward_layer": serialize_keras_object(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_keras_object(backward,
                                                                custom_objects=custom_objects)
        return cls(**config)
