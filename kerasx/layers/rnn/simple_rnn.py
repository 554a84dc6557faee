"""`SimpleRNNCell` and `SimpleRNN`: the fully connected recurrent layer."""

__all__ = ["SimpleRNN", "SimpleRNNCell"]

from kerasx import activations, ops
from kerasx.ops import rnn as rnn_ops
from kerasx.layers.layer import Layer
from kerasx.layers.rnn import _cells
from kerasx.layers.rnn.cell_layer import CellLayer
from kerasx.layers.rnn.dropout_rnn_cell import DropoutRNNCell


class SimpleRNNCell(Layer, DropoutRNNCell):
    """One step of `SimpleRNN`: `h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)`.

    Args:
        units: positive integer, the size of the state and output.
        activation: activation of the update (default `"tanh"`; None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers
            (`"glorot_uniform"`, `"orthogonal"`, `"zeros"`).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the state units dropped in the recurrent matmul.
        seed: an int for repeatable dropout masks.

    Call arguments: `inputs` `(batch, features)`, `states` `[h]` with h `(batch, units)`,
    `training`. Returns `(output, [new_h])`.
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        _cells.check_units(type(self).__name__, units)
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = bool(use_bias)
        _cells.init_common(self, activation, kernel_initializer, recurrent_initializer,
                           bias_initializer, kernel_regularizer, recurrent_regularizer,
                           bias_regularizer, kernel_constraint, recurrent_constraint,
                           bias_constraint, dropout, recurrent_dropout, seed)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        _cells.add_kernels(self, input_shape, 1)
        self.bias = None
        if self.use_bias:
            _cells.add_bias(self, (self.units,), self.bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        _cells.check_step_input(self, inputs)
        prev = states[0] if isinstance(states, (list, tuple)) else states
        dmask = self.get_dropout_mask(inputs) if training else None
        rmask = self.get_recurrent_dropout_mask(prev) if training else None
        h = _cells.gate_matmul(inputs, self.kernel, dmask)
        if self.bias is not None:
            h = ops.add(h, self.bias)
        output = self.activation(ops.add(h, _cells.gate_matmul(prev, self.recurrent_kernel, rmask)))
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def _fused_sequence(self, sequences, states, mask, go_backwards, zero_output, dmask, rmask,
                        return_sequences=True):
        """The whole sequence through `ops.rnn.simple_rnn` (None: activation not fusable)."""
        name = _cells.fused_name(self.activation)
        if name is None:
            return None
        outputs, h = rnn_ops.simple_rnn(
            sequences, self.kernel, self.recurrent_kernel, self.bias, initial_state=states,
            mask=mask, activation=name, go_backwards=go_backwards,
            zero_output_for_mask=zero_output, dropout_mask=dmask, recurrent_dropout_mask=rmask,
            return_sequences=return_sequences)
        return _cells.fused_result(outputs, [h], mask, zero_output, return_sequences)

    def get_initial_state(self, batch_size=None):
        return _cells.zero_states(self, batch_size)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                **_cells.cell_config(self), "seed": self.seed}


class SimpleRNN(CellLayer):
    """Fully connected RNN where the output is fed back as the next input state.

    `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`, run over the
    whole sequence as one fused op.

    Args:
        units: positive integer, the size of the output.
        activation: default `"tanh"`; None is linear.
        use_bias, kernel_initializer, recurrent_initializer (`"orthogonal"`),
        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
        dropout, recurrent_dropout, seed: as in `SimpleRNNCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as in `RNN`.

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`,
    or `(batch, timesteps, units)` with `return_sequences`; plus the final state
    with `return_state`. Weights: `kernel (features, units)`,
    `recurrent_kernel (units, units)`, `bias (units,)`, as in Keras.
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self._finish_init(activity_regularizer)

    def _cell_config(self):
        cell = self.cell
        return {"units": cell.units, "activation": activations.serialize(cell.activation),
                "use_bias": cell.use_bias, **_cells.cell_config(cell)}

