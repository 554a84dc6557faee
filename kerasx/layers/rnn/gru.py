"""`GRUCell` and `GRU`: Gated Recurrent Unit (Cho et al., 2014)."""

__all__ = ["GRU", "GRUCell"]

from kerasx import activations, ops
from kerasx.layers.layer import Layer
from kerasx.layers.rnn import _cells
from kerasx.layers.rnn.cell_layer import CellLayer
from kerasx.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from kerasx.ops import rnn as rnn_ops


class GRUCell(Layer, DropoutRNNCell):
    """One step of `GRU`, gates in Keras order `z` (update), `r` (reset), `h` (candidate).

    `h = z * h_prev + (1 - z) * hh` with `hh = activation(x_h + r * (h_prev @ U_h + b_h))`
    when `reset_after=True` (the default, cuDNN-compatible; bias shape
    `(2, 3 * units)`: input and recurrent biases), or
    `hh = activation(x_h + (r * h_prev) @ U_h)` when `reset_after=False` (bias `(3 * units,)`).

    Args:
        units: positive integer, the size of the state and output.
        activation: default `"tanh"`; recurrent_activation: default `"sigmoid"`.
        use_bias, kernel_initializer, recurrent_initializer (`"orthogonal"`),
        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as in `LSTMCell`.
        dropout, recurrent_dropout: fractions of input / state units dropped (masks
            drawn once per sequence; one mask per gate when recurrent_dropout > 0).
        reset_after: apply the reset gate after the recurrent matmul (default True).
        seed: an int for repeatable dropout masks.

    Call arguments: `inputs` `(batch, features)`, `states` `[h]`, `training`.
    Returns `(h, [h])`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        _cells.check_units(type(self).__name__, units)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = bool(use_bias)
        _cells.init_common(self, activation, kernel_initializer, recurrent_initializer,
                           bias_initializer, kernel_regularizer, recurrent_regularizer,
                           bias_regularizer, kernel_constraint, recurrent_constraint,
                           bias_constraint, dropout, recurrent_dropout, seed)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self.dropout_mask_count = 3 if self.implementation == 1 else None
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        _cells.add_kernels(self, input_shape, 3)
        self.bias = None
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            _cells.add_bias(self, shape, self.bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        _cells.check_step_input(self, inputs)
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        dmask = self.get_dropout_mask(inputs) if training else None
        rmask = self.get_recurrent_dropout_mask(h_prev) if training else None
        u, cols = self.units, _cells.columns
        b_in = b_rec = None
        if self.bias is not None:
            b_in, b_rec = ((self.bias[0, ...], self.bias[1, ...]) if self.reset_after
                           else (self.bias, None))
        x = _cells.gate_matmul(inputs, self.kernel, dmask)
        if b_in is not None:
            x = ops.add(x, b_in)
        if self.reset_after:
            hr = _cells.gate_matmul(h_prev, self.recurrent_kernel, rmask)
            if b_rec is not None:
                hr = ops.add(hr, b_rec)
            z = self.recurrent_activation(cols(x, 0, u) + cols(hr, 0, u))
            r = self.recurrent_activation(cols(x, u, 2 * u) + cols(hr, u, 2 * u))
            hh = self.activation(cols(x, 2 * u, 3 * u) + r * cols(hr, 2 * u, 3 * u))
        else:
            hr = _cells.gate_matmul(h_prev, cols(self.recurrent_kernel, 0, 2 * u),
                                    _cells.gate_masks(rmask, 0, 2))
            z = self.recurrent_activation(cols(x, 0, u) + cols(hr, 0, u))
            r = self.recurrent_activation(cols(x, u, 2 * u) + cols(hr, u, 2 * u))
            h_h = h_prev if rmask is None else h_prev * _cells.gate_masks(rmask, 2, 3)
            hh = self.activation(cols(x, 2 * u, 3 * u)
                                 + ops.matmul(r * h_h, cols(self.recurrent_kernel, 2 * u, 3 * u)))
        h = z * h_prev + (1.0 - z) * hh
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def _fused_sequence(self, sequences, states, mask, go_backwards, zero_output, dmask, rmask,
                        return_sequences=True):
        """The whole sequence through `ops.rnn.gru` (None: activations not fusable)."""
        act, ract = _cells.fused_name(self.activation), _cells.fused_name(self.recurrent_activation)
        if act is None or ract is None:
            return None
        outputs, h = rnn_ops.gru(
            sequences, self.kernel, self.recurrent_kernel, self.bias, initial_state=states,
            mask=mask, activation=act, recurrent_activation=ract, reset_after=self.reset_after,
            go_backwards=go_backwards, zero_output_for_mask=zero_output, dropout_mask=dmask,
            recurrent_dropout_mask=rmask, return_sequences=return_sequences)
        return _cells.fused_result(outputs, [h], mask, zero_output, return_sequences)

    def get_initial_state(self, batch_size=None):
        return _cells.zero_states(self, batch_size)

    def get_config(self):
        return {**super().get_config(), **_config(self), "seed": self.seed}


def _config(cell):
    return {"units": cell.units, "activation": activations.serialize(cell.activation),
            "recurrent_activation": activations.serialize(cell.recurrent_activation),
            "use_bias": cell.use_bias, **_cells.cell_config(cell), "reset_after": cell.reset_after}


class GRU(CellLayer):
    """Gated Recurrent Unit layer (Cho et al. 2014), run as one fused op.

    Args:
        units: positive integer, the size of the output.
        activation: default `"tanh"`; recurrent_activation: default `"sigmoid"`.
        use_bias, kernel_initializer, recurrent_initializer (`"orthogonal"`),
        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
        dropout, recurrent_dropout, seed, reset_after (default True): as in `GRUCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in `RNN`.
        use_cudnn: accepted for compatibility (`"auto"`, True, False).

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`,
    or `(batch, timesteps, units)` with `return_sequences`; with `return_state`,
    `[output, h]`. Weights, as in Keras: `kernel (features, 3 * units)`,
    `recurrent_kernel (units, 3 * units)`, `bias (2, 3 * units)` (or `(3 * units,)`
    with `reset_after=False`).
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self._finish_init(activity_regularizer, use_cudnn)

    def _cell_config(self):
        return {**_config(self.cell), "seed": self.cell.seed}
