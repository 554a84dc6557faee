"""`LSTMCell` and `LSTM`: Long Short-Term Memory (Hochreiter & Schmidhuber, 1997)."""

__all__ = ["LSTM", "LSTMCell"]

from kerasx import activations, initializers, ops
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.rnn import _cells
from kerasx.layers.rnn.cell_layer import CellLayer
from kerasx.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from kerasx.ops import rnn as rnn_ops


class LSTMCell(Layer, DropoutRNNCell):
    """One step of `LSTM`, gates in Keras order `i, f, c, o`.

    `z = x @ kernel + h @ recurrent_kernel + bias`, split in four;
    `c = f * c_prev + i * activation(z_c)`, `h = o * activation(c)` with
    `i, f, o = recurrent_activation(z_i, z_f, z_o)`.

    Args:
        units: positive integer, the size of the state and output.
        activation: default `"tanh"`; recurrent_activation: default `"sigmoid"`.
        use_bias: whether to add a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (`"glorot_uniform"`, `"orthogonal"`, `"zeros"`).
        unit_forget_bias: add 1 to the forget-gate bias at initialization (default True).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints.
        dropout, recurrent_dropout: fractions of input / state units dropped (masks
            drawn once per sequence; one mask per gate when recurrent_dropout > 0).
        seed: an int for repeatable dropout masks.

    Call arguments: `inputs` `(batch, features)`, `states` `[h, c]`, `training`.
    Returns `(h, [h, c])`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        _cells.check_units(type(self).__name__, units)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        _cells.init_common(self, activation, kernel_initializer, recurrent_initializer,
                           bias_initializer, kernel_regularizer, recurrent_regularizer,
                           bias_regularizer, kernel_constraint, recurrent_constraint,
                           bias_constraint, dropout, recurrent_dropout, seed)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self.dropout_mask_count = 4 if self.implementation == 1 else None
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        _cells.add_kernels(self, input_shape, 4)
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                units, base = self.units, self.bias_initializer

                def init(shape, dtype=None):
                    ones = initializers.Ones()((units,), dtype=dtype)
                    return current().xp.concat(
                        [base((units,), dtype=dtype), ones, base((2 * units,), dtype=dtype)])
            _cells.add_bias(self, (4 * self.units,), init)
        self.built = True

    def call(self, inputs, states, training=False):
        _cells.check_step_input(self, inputs)
        h_prev, c_prev = states[0], states[1]
        dmask = self.get_dropout_mask(inputs) if training else None
        rmask = self.get_recurrent_dropout_mask(h_prev) if training else None
        z = ops.add(_cells.gate_matmul(inputs, self.kernel, dmask),
                    _cells.gate_matmul(h_prev, self.recurrent_kernel, rmask))
        if self.bias is not None:
            z = ops.add(z, self.bias)
        u = self.units
        i = self.recurrent_activation(_cells.columns(z, 0, u))
        f = self.recurrent_activation(_cells.columns(z, u, 2 * u))
        c = f * c_prev + i * self.activation(_cells.columns(z, 2 * u, 3 * u))
        o = self.recurrent_activation(_cells.columns(z, 3 * u, 4 * u))
        h = o * self.activation(c)
        return h, [h, c]

    def _fused_sequence(self, sequences, states, mask, go_backwards, zero_output, dmask, rmask,
                        return_sequences=True):
        """The whole sequence through `ops.rnn.lstm` (None: activations not fusable)."""
        act, ract = _cells.fused_name(self.activation), _cells.fused_name(self.recurrent_activation)
        if act is None or ract is None:
            return None
        outputs, h, c = rnn_ops.lstm(
            sequences, self.kernel, self.recurrent_kernel, self.bias, initial_state=states,
            mask=mask, activation=act, recurrent_activation=ract, go_backwards=go_backwards,
            zero_output_for_mask=zero_output, dropout_mask=dmask, recurrent_dropout_mask=rmask,
            return_sequences=return_sequences)
        return _cells.fused_result(outputs, [h, c], mask, zero_output, return_sequences)

    def get_initial_state(self, batch_size=None):
        return _cells.zero_states(self, batch_size)

    def get_config(self):
        return {**super().get_config(), **_config(self), "seed": self.seed}


def _config(cell):
    return {"units": cell.units, "activation": activations.serialize(cell.activation),
            "recurrent_activation": activations.serialize(cell.recurrent_activation),
            "use_bias": cell.use_bias, "unit_forget_bias": cell.unit_forget_bias,
            **_cells.cell_config(cell)}


class LSTM(CellLayer):
    """Long Short-Term Memory layer (Hochreiter 1997), run as one fused op.

    The input projection of all timesteps is one matmul; the time loop does the
    recurrent matmul and the gate update; the gradient is backprop through time
    in one tape node. Activations outside `kerasx.ops.rnn.ACTIVATIONS` (or
    custom callables) run a per-timestep loop instead.

    Args:
        units: positive integer, the size of the output.
        activation: default `"tanh"`; recurrent_activation: default `"sigmoid"`.
        use_bias, kernel_initializer, recurrent_initializer (`"orthogonal"`),
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: as in `LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in `RNN`.
        use_cudnn: accepted for compatibility (`"auto"`, True, False).

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`,
    or `(batch, timesteps, units)` with `return_sequences`; with `return_state`,
    `[output, h, c]`. Weights, as in Keras: `kernel (features, 4 * units)`,
    `recurrent_kernel (units, 4 * units)`, `bias (4 * units,)`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="lstm_cell", implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self._finish_init(activity_regularizer, use_cudnn)

    def _cell_config(self):
        return {**_config(self.cell), "seed": self.cell.seed}
