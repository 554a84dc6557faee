"""`RNN`: runs a recurrent cell over the timesteps of a sequence."""

__all__ = ["RNN"]

from kerasx import ops
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from kerasx.layers._call_arguments import _call_signature, _contains
from kerasx.layers.layer import Layer
from kerasx.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from kerasx.layers.rnn.stacked_rnn_cells import StackedRNNCells


class RNN(Layer):
    """Base class of recurrent layers: applies `cell` to each timestep in turn.

    The built-in cells (`SimpleRNNCell`, `LSTMCell`, `GRUCell`) run the whole
    sequence as one fused op (`kerasx.ops.rnn`) whose gradient is backprop
    through time in one tape node; any other cell (and a stack of cells) runs
    in a Python loop over timesteps.

    Args:
        cell: an RNN cell: a layer with `call(inputs_t, states) -> (output_t, new_states)`
            and a `state_size` attribute (an int, or a list of ints, one per state).
            Optional: `output_size`, `get_initial_state(batch_size)`. A list of
            cells is wrapped in `StackedRNNCells`: the cells run one above the
            other at each timestep, and the states are those of every cell, in
            cell order.
        return_sequences: return the whole output sequence instead of the last output.
        return_state: also return the final states (a list `[output, *states]`).
        go_backwards: read the sequence last to first; the output sequence is then
            in that reversed order.
        stateful: the final states of a batch are the initial states of the next
            (sample i continues sample i); clear them with `reset_states()`.
        unroll: accepted for compatibility; the loop is the same either way.
        zero_output_for_mask: masked timesteps output zeros instead of repeating
            the previous output (used by `Bidirectional`).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: a tensor or list of tensors `(batch, state_size)`, one per state.
        mask: `(batch, timesteps)` booleans; `False` timesteps leave the states
            unchanged (and repeat the previous output). Set by `Masking` or
            `Embedding(mask_zero=True)`.
        training: enables `dropout` / `recurrent_dropout` of the cell.

    Output shape: `(batch, units)`, or `(batch, timesteps, units)` with
    `return_sequences`; with `return_state`, a list `[output, *final_states]`.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"RNN: `cell` should have a `call` method, received cell={cell!r}.")
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, int) and not (
                isinstance(state_size, (list, tuple)) and state_size
                and all(isinstance(n, int) for n in _flatten(state_size))):
            raise ValueError(
                "RNN: the cell needs a `state_size` attribute: an integer, or a list of "
                f"integers (one per state). Received cell={cell!r} with state_size={state_size!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.single_state = isinstance(state_size, int)
        # A stack of cells has nested sizes (one entry per cell); the layer's states are
        # their concatenation, cell by cell.
        self.state_size = [state_size] if self.single_state else _flatten(state_size)
        self._set_untracked("states", None)
        self._set_untracked("_states_batch_fixed", False)

    # -- shapes and building --------------------------------------------------------------
    def _check_rank(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects 3-D inputs (batch, timesteps, "
                f"features), received input of shape {tuple(shape)}. For one feature vector per "
                "sample add a time axis, e.g. reshape to (batch, 1, features); for a single "
                "sequence add a batch axis.")

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape \
                and isinstance(sequences_shape[0], (tuple, list)):
            sequences_shape = sequences_shape[0]  # [sequences, *initial_states]
        shape = tuple(sequences_shape)
        self._check_rank(shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            step_shape = (shape[0],) + shape[2:]
            self.cell._build_shape = step_shape
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful and shape[0] is not None:
            self._create_state_variables(shape[0])
            self._set_untracked("_states_batch_fixed", True)
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or self.state_size[0]
        out = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if self.return_state:
            sizes = self.cell.state_size if self._stacked() else self.state_size
            return [out] + [(batch, n) if isinstance(n, int) else [(batch, m) for m in n]
                            for n in sizes]
        return out

    def _stacked(self):
        return isinstance(self.cell, StackedRNNCells)

    def _returned_states(self, finals):
        """The final states as returned with `return_state`: flat for one cell, one entry
        per cell for a stack of cells (as Keras): a list of the cell's states, or the
        state itself for a cell with one state (an int `state_size`) and no
        `get_initial_state` of its own."""
        if not self._stacked():
            return list(finals)
        grouped, start = [], 0
        for cell, count in zip(self.cell.cells, self.cell._state_counts()):
            states = list(finals[start:start + count])
            bare = isinstance(cell.state_size, int) and \
                getattr(cell, "get_initial_state", None) is None
            grouped.append(states[0] if bare else states)
            start += count
        return grouped

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            count = len(self.cell.cells) if self._stacked() else len(self.state_size)
            return [out] + [None] * count
        return out

    # -- states ---------------------------------------------------------------------------
    def get_initial_state(self, batch_size):
        """Zero states (or the cell's own `get_initial_state`), one per state."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            return _flatten(fn(batch_size=batch_size))
        dtype = getattr(self.cell, "compute_dtype", None) or self.compute_dtype  # as Keras
        return [ops.zeros((batch_size, n), dtype=dtype) for n in self.state_size]

    def _create_state_variables(self, batch_size):
        values = self.get_initial_state(batch_size)
        self._set_untracked("states", [
            Variable(value_of(v), trainable=False, name="rnn_state", dtype=self.variable_dtype)
            for v in values])

    def reset_state(self):
        """Sets the states of a stateful layer back to zeros."""
        if self.states is not None:
            xp = current().xp
            for v in self.states:
                v.assign(xp.zeros_like(v.value))

    def reset_states(self, states=None):
        """Zeros the states of a stateful layer, or sets them to `states` (arrays)."""
        if not self.stateful:
            raise AttributeError(
                f"Layer {self.name!r} is not stateful; reset_states() needs stateful=True.")
        if states is None:
            self.reset_state()
            return
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        if self.states is None:
            self._create_state_variables(tuple(getattr(values[0], "shape", ()))[0])
        if len(values) != len(self.states):
            raise ValueError(
                f"Layer {self.name!r} has {len(self.states)} state(s) but reset_states received "
                f"{len(values)} value(s).")
        for var, value in zip(self.states, values):
            var.assign(value)

    def _stateful_states(self, batch):
        if self.states is not None and self.states[0].shape[0] != batch:
            if self._states_batch_fixed:
                raise ValueError(
                    f"Stateful layer {self.name!r} was built for batches of "
                    f"{self.states[0].shape[0]} samples but received a batch of {batch}. A "
                    "stateful RNN needs the same batch size at every call: pass batch_size= to "
                    "Input (and to fit/predict), or call reset_states() with new states.")
            self._set_untracked("states", None)
        if self.states is None:
            self._create_state_variables(batch)
        return list(self.states)

    def _check_initial_state(self, initial_state, batch):
        states = _flatten(initial_state)
        expected = [(batch, n) for n in self.state_size]
        got = [tuple(getattr(s, "shape", ())) for s in states]
        if len(states) != len(expected) or any(g != e for g, e in zip(got, expected)):
            shape = expected[0] if len(expected) == 1 else expected
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects initial_state to be "
                f"{len(expected)} tensor(s) of shape {shape} "
                f"(batch, state size), received {len(states)} with shape(s) {got}. Pass "
                f"{_state_hint(self.cell, len(expected))} with the batch size of the inputs.")
        backend = current()
        dtype = backend.dtype(self.dtype)
        out = []
        for s in states:
            if not isinstance(s, TensorOps):
                s = Tensor(backend.asarray(s))
            if s.value.dtype != dtype:
                s = ops.cast(s, self.dtype)
            out.append(s)
        return out

    # -- calling --------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        from kerasx.layers.core.keras_tensor import KerasTensor

        if self.stateful and _contains(inputs, KerasTensor):
            # Shape inference runs the layer on placeholder data; keep the real states.
            saved = None if self.states is None else [v.value for v in self.states]
            try:
                return super().__call__(inputs, *args, **kwargs)
            finally:
                if saved is not None:
                    for var, value in zip(self.states, saved):
                        var.assign(value)
                elif self._states_batch_fixed:
                    self.reset_state()
                else:
                    self._set_untracked("states", None)
        outputs = super().__call__(inputs, *args, **kwargs)
        if self.return_state and _contains(inputs, KerasTensor):
            outputs = outputs[:1] + symbolic_states(self, outputs[1:])
        return outputs

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, (list, tuple)):
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        self._check_rank(tuple(sequences.shape))
        batch = sequences.shape[0]
        expected = getattr(getattr(self.cell, "kernel", None), "shape", (None,))[0]
        if expected is not None and sequences.shape[-1] != expected:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} was built for {expected} features "
                f"per timestep but received inputs of shape {tuple(sequences.shape)}.")
        if initial_state is not None:
            states = self._check_initial_state(initial_state, batch)
        elif self.stateful:
            states = self._stateful_states(batch)
        else:
            states = self.get_initial_state(batch)
        if type(self).inner_loop is RNN.inner_loop:
            # only the steps the layer returns are kept
            last, outputs, finals = self._run_loop(sequences, states, mask, training,
                                                   self.return_sequences)
        else:
            last, outputs, finals = self.inner_loop(sequences, states, mask, training)
        if self.stateful:
            for var, value in zip(self.states, finals):
                var.assign(value)
        output = outputs if self.return_sequences else last
        if self.return_state:
            if mask is not None and self.return_sequences:
                output._keras_mask = mask
            return [output] + self._returned_states(finals)
        return output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """Runs the cell over the timesteps of `sequences` (batch, timesteps, features)
        from `initial_state` (a state or a list of them), as Keras's `RNN.inner_loop`:
        returns `(last_output, outputs, final_states)`, `outputs` every step's output
        stacked along axis 1, masked steps (`mask`: (batch, timesteps)) keeping the
        previous states, in reverse order with `go_backwards`. The layer's `call`
        runs the same loop (a subclass overriding this method replaces it)."""
        return self._run_loop(sequences, initial_state, mask, training, True)

    def _run_loop(self, sequences, initial_state, mask, training, return_sequences):
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        mask_value = _bool_mask(mask, sequences)
        cell = self.cell
        dropout_cells = _dropout_cells(cell) if training else []
        dmask = rmask = None
        if dropout_cells and isinstance(cell, DropoutRNNCell):
            dmask = cell.get_dropout_mask(value_of(sequences)[:, 0, :])
            rmask = cell.get_recurrent_dropout_mask(value_of(states[0]))
        try:
            result = None
            fused = getattr(cell, "_fused_sequence", None)
            if fused is not None:
                result = fused(sequences, states, mask_value, self.go_backwards,
                               self.zero_output_for_mask, dmask, rmask, return_sequences)
            if result is None:
                result = self._loop(sequences, states, mask_value, training)
            outputs, last, finals = result
        finally:
            # A stack's cells draw their masks at their first step; all are dropped here.
            for c in dropout_cells:
                c.reset_dropout_mask()
                c.reset_recurrent_dropout_mask()
        return last, outputs, list(finals)

    def _loop(self, sequences, states, mask, training):
        """The per-timestep loop for any cell; returns (outputs, last_output, final_states)."""
        kwargs = {}
        if isinstance(self.cell, Layer) and _call_signature(type(self.cell))[0]:
            kwargs["training"] = training
        # As in Keras, the previous output of a masked step is the first state (of the
        # last cell, for a stack).
        prev = 0
        if isinstance(self.cell, StackedRNNCells):
            prev = len(states) - self.cell._state_counts()[-1]
        steps = range(sequences.shape[1])
        outputs = []
        for t in (reversed(steps) if self.go_backwards else steps):
            out, new_states = self.cell(ops.getitem(sequences, (slice(None), t)), states, **kwargs)
            new_states = _flatten(new_states)
            if mask is not None:
                m = mask[:, t:t + 1]
                if self.zero_output_for_mask:
                    out = ops.where(m, out, 0.0)
                elif tuple(states[prev].shape) == tuple(out.shape):
                    out = ops.where(m, out, states[prev])
                new_states = [ops.where(m, n, s) for n, s in zip(new_states, states)]
            states = new_states
            outputs.append(out)
        return ops.stack(outputs, axis=1), outputs[-1], states

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        config = {**super().get_config(), **self._rnn_config()}
        config["cell"] = serialize_keras_object(self.cell)
        return config

    def _rnn_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _flatten(structure):
    """A (possibly nested) list of states or sizes as one flat list, in order."""
    if not isinstance(structure, (list, tuple)):
        return [structure]
    return [item for part in structure for item in _flatten(part)]


def _dropout_cells(cell):
    """The cells with dropout masks: `cell` itself, or the cells of a stack."""
    if isinstance(cell, DropoutRNNCell):
        return [cell]
    return [c for sub in getattr(cell, "cells", ()) for c in _dropout_cells(sub)]


def _state_hint(cell, count):
    if isinstance(cell, StackedRNNCells):
        return "the states of every cell, in cell order (one flat list)"
    return "[h, c]" if count == 2 else "one (batch, units) tensor"


def _bool_mask(mask, sequences):
    """The mask as a (batch, timesteps) boolean backend array (None stays None)."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if mask is None:
        return None
    backend = current()
    xp = backend.xp
    value = value_of(mask)
    if not backend.is_native(value):
        value = backend.asarray(value)
    if value.dtype != xp.bool:
        value = value != 0
    if len(value.shape) == 3 and value.shape[-1] == 1:
        value = value[..., 0]
    expected = tuple(sequences.shape[:2])
    if tuple(value.shape) != expected:
        raise ValueError(
            f"The mask of a recurrent layer must have shape (batch, timesteps) = {expected}, "
            f"received shape {tuple(value.shape)}.")
    return value


def symbolic_states(layer, states):
    """The final states of `layer` (an RNN with `return_state`) as Keras's functional API
    shows them: a cell of a stack with one state (an int `state_size`) gives the state
    itself, where its eager call gives a list of one."""
    if not isinstance(getattr(layer, "cell", None), StackedRNNCells):
        return list(states)
    return [entry[0] if isinstance(cell.state_size, int) and isinstance(entry, list)
            and len(entry) == 1 else entry
            for cell, entry in zip(layer.cell.cells, states)]
