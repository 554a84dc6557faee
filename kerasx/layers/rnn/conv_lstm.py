"""`ConvLSTM`: the shared body of ConvLSTM1D, ConvLSTM2D and ConvLSTM3D."""

__all__ = []

from kerasx import ops
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.backends import current
from kerasx.layers.rnn import _cells
from kerasx.layers.rnn.cell_layer import CellLayer
from kerasx.layers.rnn.conv_lstm_cell import (ConvLSTMCell, config_of, from_channels_last,
                                              gate_major_masks, to_channels_last)
from kerasx.layers.rnn.rnn import _bool_mask

_CONV_ATTRS = frozenset(("rank", "filters", "kernel_size", "strides", "padding", "data_format",
                         "dilation_rate"))
_SPATIAL = {1: "rows", 2: "rows, cols", 3: "dim1, dim2, dim3"}


class ConvLSTM(CellLayer):
    """N-D convolutional LSTM: an LSTM whose input and recurrent transformations are
    convolutions, run over `(batch, timesteps, *spatial, channels)` sequences.

    The input convolution of every timestep is ONE convolution (time folded into
    the batch); the time loop does one recurrent convolution and the gate update
    per step, recorded on the tape like any other ops.

    Args:
        rank: the number of spatial axes (1, 2 or 3).
        filters, kernel_size, strides, padding, data_format, dilation_rate,
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: as in `ConvLSTMCell`.
        activity_regularizer: a penalty on the layer's output.
        return_sequences, return_state, go_backwards, stateful: as in `RNN`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="conv_lstm_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, **kwargs)
        self._finish_init(activity_regularizer)

    def __getattr__(self, name):
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CONV_ATTRS:
            return getattr(cell, name)
        return _cells.cell_attribute(self, name)

    # -- shapes ---------------------------------------------------------------------------
    def _check_rank(self, shape):
        rank = self.cell.rank
        if len(shape) != rank + 3:
            spatial = _SPATIAL[rank]
            layout = (f"(batch, timesteps, {spatial}, channels)"
                      if self.cell.data_format == "channels_last"
                      else f"(batch, timesteps, channels, {spatial})")
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects {rank + 3}-D inputs "
                f"{layout}, received input of shape {tuple(shape)}. For one frame per "
                "sample add a time axis of size 1; for a single sequence add a batch axis.")

    def _step_shape(self, sequences_shape):
        shape = tuple(sequences_shape)
        self._check_rank(shape)
        return (shape[0],) + shape[2:]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape \
                and isinstance(sequences_shape[0], (tuple, list)):
            sequences_shape = sequences_shape[0]
        state = tuple(self.cell.compute_output_shape(self._step_shape(sequences_shape)))
        batch, steps = state[0], tuple(sequences_shape)[1]
        out = (batch, steps) + state[1:] if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def _check_channels(self, shape):
        cell = self.cell
        axis = -1 if cell.data_format == "channels_last" else 2
        expected = cell.kernel.shape[-2]
        if shape[axis] != expected:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} was built for inputs with "
                f"{expected} channels on axis {axis} (data_format={cell.data_format!r}), but "
                f"received inputs of shape {shape}.")

    # -- states ---------------------------------------------------------------------------
    def _given_states(self, initial_state, expected):
        states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
        got = [tuple(getattr(s, "shape", ())) for s in states]
        if len(states) != 2 or any(g != expected for g in got):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects initial_state to be 2 "
                f"tensors [h, c] of shape {expected}, received {len(states)} with shape(s) "
                f"{got}. The state shape is the output shape of the convolution of one "
                "timestep, in the layer's data_format.")
        backend = current()
        out = []
        for s in states:
            if not isinstance(s, TensorOps):
                s = Tensor(backend.asarray(s))
            if s.value.dtype != backend.dtype(self.dtype):
                s = ops.cast(s, self.dtype)
            out.append(s)
        return out

    def _stateful_values(self, batch, expected):
        states = self._stateful_states(batch)
        got = tuple(states[0].shape)
        if got != expected:
            raise ValueError(
                f"Stateful layer {self.name!r} holds states of shape {got} but the inputs "
                f"need states of shape {expected}. A stateful ConvLSTM needs the same batch "
                "size and frame size at every call; call reset_states() after changing them.")
        return states

    # -- calling --------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, (list, tuple)):
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        shape = tuple(sequences.shape)
        step_shape = self._step_shape(shape)
        self._check_channels(shape)
        cell, data_format = self.cell, self.cell.data_format
        expected = tuple(cell.compute_output_shape(step_shape))
        if initial_state is not None:
            states = self._given_states(initial_state, expected)
        elif self.stateful:
            states = self._stateful_values(shape[0], expected)
        else:
            states = [ops.zeros(expected, dtype=self.dtype) for _ in range(2)]
        mask_value = _bool_mask(mask, sequences)
        dmask = rmask = None
        try:
            if training:
                dmask = gate_major_masks(
                    cell.get_dropout_mask(value_of(sequences)[:, 0, ...]), data_format)
                rmask = gate_major_masks(cell.get_recurrent_dropout_mask(value_of(states[0])),
                                         data_format)
            x = to_channels_last(sequences, data_format, 2)
            h, c = (to_channels_last(s, data_format, 1) for s in states)
            outputs, h, c = self._run(x, h, c, mask_value, dmask, rmask)
        finally:
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        finals = [from_channels_last(s, data_format, 1) for s in (h, c)]
        if self.stateful:
            for var, value in zip(self.states, finals):
                var.assign(value)
        if self.return_sequences:
            output = from_channels_last(ops.stack(outputs, axis=1), data_format, 2)
        else:
            output = from_channels_last(outputs[-1], data_format, 1)
        if self.return_state:
            if mask is not None and self.return_sequences:
                output._keras_mask = mask
            return [output] + finals
        return output

    def _run(self, x, h, c, mask, dmask, rmask):
        """The time loop on channels_last data: `(outputs in processing order, h, c)`."""
        cell, xp = self.cell, current().xp
        batch, steps = x.shape[0], x.shape[1]
        folded = ops.reshape(x, (batch * steps,) + tuple(x.shape[2:]))
        z_in = cell.input_conv(folded, None if dmask is None else _fold_mask(dmask, steps))
        z_in = ops.unstack(ops.reshape(z_in, (batch, steps) + tuple(z_in.shape[1:])), axis=1)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        for t in order:
            h_new, c_new = cell.gates(ops.add(z_in[t], cell.recurrent_conv(h, rmask)), c)
            if mask is None:
                out, h, c = h_new, h_new, c_new
            else:
                m = xp.reshape(mask[:, t], (batch,) + (1,) * (len(h.shape) - 1))
                out = ops.where(m, h_new, 0.0 if self.zero_output_for_mask else h)
                h, c = ops.where(m, h_new, h), ops.where(m, c_new, c)
            outputs.append(out)
        return outputs, h, c

    def _cell_config(self):
        return config_of(self.cell)


def _fold_mask(mask, steps):
    """The per-sample dropout masks `(batch, ...)`, shared by every timestep, repeated
    for each and folded into the batch like the inputs: `(batch * steps, ...)`."""
    xp = current().xp
    shape = tuple(mask.shape)
    full = xp.broadcast_to(xp.expand_dims(mask, axis=1), (shape[0], steps) + shape[1:])
    return xp.reshape(full, (shape[0] * steps,) + shape[1:])
