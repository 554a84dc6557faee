"""SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU operators.

ONNX runs time-major sequences `(steps, batch, features)` with `(gates * units,
features)` weights. Keras's LSTM gates are ordered input, forget, cell, output
and ONNX's input, output, forget, cell; GRU gates are update, reset, candidate
in both, and Keras's `reset_after=True` is ONNX's `linear_before_reset=1`.
"""

from kerasx import activations, ops
from kerasx.export.converters import UnsupportedLayerError, register
from kerasx.export.converters.activation_layers import activation_name
from kerasx.layers import GRU, LSTM, SimpleRNN

_INT64_MIN = -2 ** 63
# activation -> (ONNX name, alpha, beta)
_RNN_ACTIVATIONS = {activations.tanh: ("Tanh", None, None),
                    activations.sigmoid: ("Sigmoid", None, None),
                    activations.relu: ("Relu", None, None),
                    activations.hard_sigmoid: ("HardSigmoid", 1 / 6, 0.5)}


def _activation_attributes(layer, functions):
    names, alphas, betas = [], [], []
    for fn in functions:
        found = _RNN_ACTIVATIONS.get(fn)
        if found is None:
            raise UnsupportedLayerError(
                f"{type(layer).__name__} layer {layer.name!r} uses the activation "
                f"{activation_name(fn)!r}, which ONNX recurrent operators do not have. Supported "
                "for ONNX export: 'tanh', 'sigmoid', 'relu', 'hard_sigmoid'.")
        name, alpha, beta = found
        names.append(name)
        if alpha is not None:
            alphas.append(alpha)
            betas.append(beta)
    return {"activations": names, "activation_alpha": alphas or None,
            "activation_beta": betas or None}


def _gates(matrix, order, units):
    """`matrix`'s column blocks of `units` in `order`, transposed to ONNX's `(1, gates *
    units, rows)`."""
    blocks = [matrix[..., k * units:(k + 1) * units] for k in order]
    joined = ops.concatenate(blocks, axis=-1) if len(blocks) > 1 else blocks[0]
    return ops.expand_dims(ops.transpose(joined), 0)


def _check_call(layer, call):
    if layer.stateful:
        raise UnsupportedLayerError(
            f"{type(layer).__name__} layer {layer.name!r} is stateful: an ONNX model has no "
            "state kept between runs. Export a copy of the model built with stateful=False.")
    if call.node.kwargs.get("mask") is not None:
        raise UnsupportedLayerError(
            f"{type(layer).__name__} layer {layer.name!r} is called with a mask, which the ONNX "
            "export does not support. Export a model without masks.")


def _recurrent(g, layer, call, op, order, bias, **attributes):
    _check_call(layer, call)
    cell, hint, units = layer.cell, call.hint, layer.units
    x = g.transpose(call.inputs[0], [1, 0, 2], hint)
    if layer.go_backwards:
        x = g.node("Slice", [x, g.ints([-1], f"{hint}/start"), g.ints([_INT64_MIN], f"{hint}/end"),
                             g.ints([0], f"{hint}/axis"), g.ints([-1], f"{hint}/step")], hint)
    w = g.weight(_gates(cell.kernel, order, units), f"{hint}/kernel")
    r = g.weight(_gates(cell.recurrent_kernel, order, units), f"{hint}/recurrent_kernel")
    b = "" if bias is None else g.weight(ops.expand_dims(bias, 0), f"{hint}/bias")
    states = [g.unsqueeze(s, [0], hint) for s in call.inputs[1:]]
    n_states = 2 if op == "LSTM" else 1
    if states and len(states) != n_states:
        raise UnsupportedLayerError(
            f"{type(layer).__name__} layer {layer.name!r} received {len(states)} extra input "
            f"tensor(s); the ONNX export supports exactly {n_states} initial state(s) for it.")
    inputs = [x, w, r, b, ""] + states
    outputs = g.node(op, inputs, hint, outputs=1 + n_states, hidden_size=units,
                     direction="forward", **attributes)
    sequence, finals = outputs[0], outputs[1:]
    finals = [g.squeeze(s, [0], hint) for s in finals]
    if layer.return_sequences:
        out = g.transpose(g.squeeze(sequence, [1], hint), [1, 0, 2], hint)
    else:
        out = finals[0]
    if layer.return_state:
        return [out] + finals
    return out


def _lstm_bias(layer, order):
    cell = layer.cell
    if cell.bias is None:
        return None
    # ONNX adds an input and a recurrent bias; Keras has one, so the recurrent one is zero
    kernel_bias = ops.reshape(_gates(ops.reshape(cell.bias, (1, -1)), order, layer.units), (-1,))
    return ops.concatenate([kernel_bias, ops.zeros_like(kernel_bias)], axis=0)


@register(LSTM)
def convert_lstm(g, layer, call):
    order = (0, 3, 1, 2)  # Keras i, f, c, o -> ONNX i, o, f, c
    cell = layer.cell
    return _recurrent(g, layer, call, "LSTM", order, _lstm_bias(layer, order),
                      **_activation_attributes(layer, [cell.recurrent_activation,
                                                       cell.activation, cell.activation]))


@register(GRU)
def convert_gru(g, layer, call):
    cell = layer.cell
    bias = cell.bias
    if bias is not None:
        if cell.reset_after:
            bias = ops.reshape(bias, (-1,))
        else:
            bias = ops.concatenate([bias, ops.zeros_like(bias)], axis=0)
    return _recurrent(g, layer, call, "GRU", (0, 1, 2), bias,
                      linear_before_reset=int(cell.reset_after),
                      **_activation_attributes(layer, [cell.recurrent_activation,
                                                       cell.activation]))


@register(SimpleRNN)
def convert_simple_rnn(g, layer, call):
    cell = layer.cell
    bias = cell.bias
    if bias is not None:
        bias = ops.concatenate([bias, ops.zeros_like(bias)], axis=0)
    return _recurrent(g, layer, call, "RNN", (0,), bias,
                      **_activation_attributes(layer, [cell.activation]))
