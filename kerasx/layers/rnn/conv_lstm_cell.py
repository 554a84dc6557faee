"""`ConvLSTMCell`: one step of the convolutional LSTM behind ConvLSTM1D/2D/3D.

The arithmetic runs channels_last (`(batch, *spatial, channels)`); the cell and
the layers transpose channels_first data at their edges. The four gates (Keras
order `i, f, c, o`) come from ONE convolution of the input and ONE of the state;
with dropout the four masked copies are stacked on the channel axis and
convolved as four groups of the same kernel.
"""

__all__ = []

from kerasx import activations, initializers, ops
from kerasx.backends import current
from kerasx.layers.convolutional.base_conv import (InputChecks, conv_output_length,
                                                   positive_int)
from kerasx.layers.layer import Layer
from kerasx.layers.rnn import _cells
from kerasx.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from kerasx.ops.conv import normalize_data_format, normalize_padding, normalize_tuple

GATES = 4


class ConvLSTMCell(InputChecks, Layer, DropoutRNNCell):
    """One step of `ConvLSTM1D` / `ConvLSTM2D` / `ConvLSTM3D`.

    `z = conv(x, kernel, strides, padding, dilation) + conv(h, recurrent_kernel,
    padding="same") + bias`, split in four along the channels;
    `c = f * c_prev + i * activation(z_c)`, `h = o * activation(c)` with
    `i, f, o = recurrent_activation(z_i, z_f, z_o)`.

    Args:
        rank: the number of spatial axes (1, 2 or 3).
        filters, kernel_size, strides, padding (`"valid"` or `"same"`), data_format,
            dilation_rate: of the input convolution, as in `Conv2D`; the recurrent
            convolution has stride 1, no dilation and `"same"` padding.
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: as in `LSTMCell` (one
        dropout mask per gate, the shape of one timestep).

    Call arguments: `inputs` one timestep `(batch, *spatial, channels)` (channels
    first with `data_format="channels_first"`), `states` `[h, c]`, `training`.
    Returns `(h, [h, c])`. Weights as in Keras: `kernel (*kernel_size, channels,
    4 * filters)`, `recurrent_kernel (*kernel_size, filters, 4 * filters)`,
    `bias (4 * filters,)`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        owner = type(self).__name__
        if rank not in (1, 2, 3):
            raise ValueError(f"{owner}: rank must be 1, 2 or 3, received rank={rank!r}.")
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = positive_int(filters, "filters", owner)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: Specifying `strides > 1` is not compatible with `dilation_rate > 1`."
                " Please provide `strides=1` or `dilation_rate=1`. Received: "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}.")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        _cells.init_common(self, activation, kernel_initializer, recurrent_initializer,
                           bias_initializer, kernel_regularizer, recurrent_regularizer,
                           bias_regularizer, kernel_constraint, recurrent_constraint,
                           bias_constraint, dropout, recurrent_dropout, seed)
        self.dropout_mask_count = GATES
        self.state_size = [self.filters, self.filters]
        self.output_size = self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if None in self._spatial(input_shape):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} needs known spatial dimensions (the "
                f"states have their shape), received input shape {tuple(input_shape)}. Give "
                "the Input a full shape, e.g. Input(shape=(None, 32, 32, 3)) for sequences "
                "of 32x32 RGB frames.")
        self.compute_output_shape(input_shape)
        self.spatial_dims = tuple(self._spatial(input_shape))
        self.input_dim = channels
        gates = GATES * self.filters
        self.kernel = self.add_weight(self.kernel_size + (channels, gates),
                                      self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(
            self.kernel_size + (self.filters, gates), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = forget_gate_ones(self.filters, self.bias_initializer)
            _cells.add_bias(self, (gates,), init)
        self.built = True

    def compute_output_shape(self, input_shape):
        """The shape of `h` (and `c`) for one timestep of shape `input_shape`."""
        self._input_channels(input_shape)
        owner = f"{type(self).__name__} {self.name!r}"
        spatial = [conv_output_length(n, k, s, d, self.padding, owner, axis)
                   for axis, (n, k, s, d) in enumerate(zip(
                       self._spatial(input_shape), self.kernel_size, self.strides,
                       self.dilation_rate))]
        return self._with_spatial(input_shape, spatial, self.filters)

    def get_initial_state(self, batch_size=None):
        """Zero `[h, c]` for the spatial shape the cell was built for."""
        shape = self._with_spatial((batch_size,), self.spatial_dims, self.input_dim)
        state = self.compute_output_shape(shape)
        return [ops.zeros(state, dtype=self.dtype), ops.zeros(state, dtype=self.dtype)]

    def call(self, inputs, states, training=False):
        fmt = self.data_format
        x, h, c = (to_channels_last(v, fmt, 1) for v in (inputs, *states[:2]))
        dmask = self.get_dropout_mask(inputs) if training else None
        rmask = self.get_recurrent_dropout_mask(states[0]) if training else None
        z = ops.add(self.input_conv(x, gate_major_masks(dmask, fmt)),
                    self.recurrent_conv(h, gate_major_masks(rmask, fmt)))
        h, c = (from_channels_last(v, fmt, 1) for v in self.gates(z, c))
        return h, [h, c]

    # -- the channels_last arithmetic, shared with the whole-sequence loop ------------------
    def input_conv(self, x, masks=None):
        """`conv(x, kernel) + bias` of channels_last `x` for all four gates; `masks`
        (`(..., 4, channels)`, broadcast against `x`) are the per-gate dropout masks."""
        x, groups = masked_gate_copies(x, masks)
        return ops.conv(x, self.kernel, self.strides, self.padding, "channels_last",
                        self.dilation_rate, groups, bias=self.bias)

    def recurrent_conv(self, h, masks=None):
        """`conv(h, recurrent_kernel)` (stride 1, "same") for all four gates."""
        h, groups = masked_gate_copies(h, masks)
        return ops.conv(h, self.recurrent_kernel, 1, "same", "channels_last", 1, groups)

    def gates(self, z, c_prev):
        """`(h, c)` from the pre-activations `z` (`(..., 4 * filters)`) and `c_prev`."""
        shape = tuple(z.shape[:-1]) + (GATES, self.filters)
        i, f, g, o = ops.unstack(ops.reshape(z, shape), axis=-2)
        ract = self.recurrent_activation
        c = ract(f) * c_prev + ract(i) * self.activation(g)
        return ract(o) * self.activation(c), c

    def get_config(self):
        return {**super().get_config(), "rank": self.rank, **config_of(self)}


def config_of(cell):
    """The cell's arguments, as a ConvLSTM layer config lists them."""
    return {
        "filters": cell.filters, "kernel_size": cell.kernel_size, "strides": cell.strides,
        "padding": cell.padding, "data_format": cell.data_format,
        "dilation_rate": cell.dilation_rate,
        "activation": activations.serialize(cell.activation),
        "recurrent_activation": activations.serialize(cell.recurrent_activation),
        "use_bias": cell.use_bias, "unit_forget_bias": cell.unit_forget_bias,
        **_cells.cell_config(cell), "seed": cell.seed,
    }


def forget_gate_ones(filters, base):
    """A bias initializer: `base` for the gates i, c, o and ones for the forget gate."""

    def init(shape, dtype=None):
        ones = initializers.Ones()((filters,), dtype=dtype)
        return current().xp.concat(
            [base((filters,), dtype=dtype), ones, base((2 * filters,), dtype=dtype)])

    return init


def masked_gate_copies(x, masks):
    """`(x, 1)`, or with per-gate masks the four masked copies of channels_last `x`
    side by side on the channel axis and the group count 4 that convolves each
    copy with its own gate's quarter of the kernel."""
    if masks is None:
        return x, 1
    shape = tuple(x.shape)
    copies = ops.multiply(ops.expand_dims(x, -2), masks)
    return ops.reshape(copies, shape[:-1] + (GATES * shape[-1],)), GATES


def gate_major_masks(masks, data_format, lead=1):
    """Per-gate dropout masks `(4, *step_shape)` as a channels_last `(..., 4, channels)`
    backend array that broadcasts against a step (None stays None)."""
    if masks is None:
        return None
    xp = current().xp
    nd = len(masks.shape)
    channel = nd - 1 if data_format == "channels_last" else 1 + lead
    spatial = [a for a in range(1 + lead, nd) if a != channel]
    return xp.permute_dims(masks, tuple(range(1, 1 + lead)) + tuple(spatial) + (0, channel))


def to_channels_last(x, data_format, lead):
    """`x` with `lead` leading axes kept and its channel axis moved last."""
    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return ops.transpose(x, tuple(range(lead)) + tuple(range(lead + 1, nd)) + (lead,))


def from_channels_last(x, data_format, lead):
    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return ops.transpose(x, tuple(range(lead)) + (nd - 1,) + tuple(range(lead, nd - 1)))
