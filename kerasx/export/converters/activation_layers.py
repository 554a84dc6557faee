"""Activation functions as ONNX operators, and the activation layers."""

import math

from kerasx import activations
from kerasx.export.converters import UnsupportedLayerError, register
from kerasx.layers import ELU, PReLU, Activation, LeakyReLU, ReLU, Softmax


def _unary(op, **attributes):
    return lambda g, x, hint, dtype: g.node(op, [x], hint, **attributes)


def _times(g, x, y, hint):
    return g.node("Mul", [x, y], hint)


def _gelu(approximate):
    def convert(g, x, hint, dtype):
        half = g.constant(0.5, dtype, f"{hint}/half")
        one = g.constant(1.0, dtype, f"{hint}/one")
        if approximate:
            cube = g.node("Mul", [g.node("Mul", [x, x], hint), x], hint)
            inner = g.node("Add", [x, g.node("Mul", [cube, g.constant(0.044715, dtype, hint)],
                                              hint)], hint)
            scaled = g.node("Mul", [inner, g.constant(math.sqrt(2 / math.pi), dtype, hint)], hint)
            gate = g.node("Add", [one, g.node("Tanh", [scaled], hint)], hint)
        else:
            scaled = g.node("Div", [x, g.constant(math.sqrt(2.0), dtype, hint)], hint)
            gate = g.node("Add", [one, g.node("Erf", [scaled], hint)], hint)
        return g.node("Mul", [g.node("Mul", [x, half], hint), gate], hint)
    return convert


def _silu(g, x, hint, dtype):
    return _times(g, x, g.node("Sigmoid", [x], hint), hint)


def _mish(g, x, hint, dtype):
    return _times(g, x, g.node("Tanh", [g.node("Softplus", [x], hint)], hint), hint)


def _clip(low, high):
    def convert(g, x, hint, dtype):
        return g.node("Clip", [x, g.constant(low, dtype, f"{hint}/min"),
                               g.constant(high, dtype, f"{hint}/max")], hint)
    return convert


def _log_sigmoid(g, x, hint, dtype):
    return g.node("Neg", [g.node("Softplus", [g.node("Neg", [x], hint)], hint)], hint)


def _tanh_shrink(g, x, hint, dtype):
    return g.node("Sub", [x, g.node("Tanh", [x], hint)], hint)


def _squareplus(g, x, hint, dtype):
    b = g.constant(4.0, dtype, f"{hint}/b")
    root = g.node("Sqrt", [g.node("Add", [g.node("Mul", [x, x], hint), b], hint)], hint)
    return g.node("Mul", [g.node("Add", [x, root], hint), g.constant(0.5, dtype, hint)], hint)


def _sparse_sigmoid(g, x, hint, dtype):
    half = g.constant(0.5, dtype, f"{hint}/half")
    return _clip(0.0, 1.0)(g, g.node("Add", [g.node("Mul", [x, half], hint), half], hint), hint,
                           dtype)


def _sparse_plus(g, x, hint, dtype):
    one = g.constant(1.0, dtype, f"{hint}/one")
    shifted = g.node("Add", [x, one], hint)
    quadratic = g.node("Mul", [g.node("Mul", [shifted, shifted], hint),
                               g.constant(0.25, dtype, f"{hint}/quarter")], hint)
    inner = g.node("Where", [g.node("Less", [x, one], hint), quadratic, x], hint)
    low = g.node("LessOrEqual", [x, g.constant(-1.0, dtype, f"{hint}/minus_one")], hint)
    return g.node("Where", [low, g.constant(0.0, dtype, f"{hint}/zero"), inner], hint)


def _glu(g, x, hint, dtype):
    # opset 18 asks for the number of equal parts; before, the outputs' count gave it
    halves = g.node("Split", [x], hint, outputs=2, axis=-1,
                    num_outputs=2 if g.opset >= 18 else None)
    return _times(g, halves[0], g.node("Sigmoid", [halves[1]], hint), hint)


def _softmax_like(op):
    return lambda g, x, hint, dtype: g.node(op, [x], hint, axis=-1)


_ACTIVATIONS = {
    activations.relu: _unary("Relu"), activations.sigmoid: _unary("Sigmoid"),
    activations.tanh: _unary("Tanh"), activations.softmax: _softmax_like("Softmax"),
    activations.log_softmax: _softmax_like("LogSoftmax"),
    activations.elu: _unary("Elu", alpha=1.0),
    activations.selu: _unary("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    activations.softplus: _unary("Softplus"), activations.softsign: _unary("Softsign"),
    activations.exponential: _unary("Exp"), activations.gelu: _gelu(approximate=False),
    activations.silu: _silu, activations.hard_sigmoid: _unary("HardSigmoid", alpha=1 / 6,
                                                              beta=0.5),
    activations.hard_silu: _unary("HardSwish"), activations.relu6: _clip(0.0, 6.0),
    activations.leaky_relu: _unary("LeakyRelu", alpha=0.2), activations.mish: _mish,
    activations.celu: _unary("Celu", alpha=1.0), activations.hard_tanh: _clip(-1.0, 1.0),
    activations.hard_shrink: _unary("Shrink", lambd=0.5, bias=0.0),
    activations.soft_shrink: _unary("Shrink", lambd=0.5, bias=0.5),
    activations.tanh_shrink: _tanh_shrink, activations.log_sigmoid: _log_sigmoid,
    activations.squareplus: _squareplus, activations.sparse_sigmoid: _sparse_sigmoid,
    activations.sparse_plus: _sparse_plus, activations.glu: _glu,
}


def activation_name(fn):
    return getattr(fn, "__name__", None) or repr(fn)


def apply_activation(g, fn, x, hint, dtype, owner):
    """`fn(x)` for a kerasx activation function `fn` (`activations.linear` adds nothing)."""
    if fn is None or fn is activations.linear:
        return x
    convert = _ACTIVATIONS.get(fn)
    if convert is None:
        supported = sorted(activation_name(f) for f in _ACTIVATIONS)
        raise UnsupportedLayerError(
            f"Layer {owner!r} uses the activation {activation_name(fn)!r}, which the ONNX "
            f"export does not support. Supported activations: {supported} and 'linear'. Use "
            "one of them, or replace the layer before exporting.")
    return convert(g, x, f"{hint}/{activation_name(fn)}", dtype)


@register(Activation)
def convert_activation(g, layer, call):
    return apply_activation(g, layer.activation, call.inputs[0], call.hint, call.dtypes[0],
                            layer.name)


@register(ReLU)
def convert_relu(g, layer, call):
    x, hint, dtype = call.inputs[0], call.hint, call.dtypes[0]
    slope, t, cap = float(layer.negative_slope), float(layer.threshold), layer.max_value
    if slope == 0.0 and t == 0.0:
        y = g.node("Relu", [x], hint)
    else:
        # x where x > threshold, slope * (x - threshold) elsewhere (kerasx.activations.relu)
        below = g.node("Mul", [g.node("Sub", [x, g.constant(t, dtype, f"{hint}/threshold")],
                                      hint), g.constant(slope, dtype, f"{hint}/slope")], hint)
        above = g.node("Greater", [x, g.constant(t, dtype, f"{hint}/threshold")], hint)
        y = g.node("Where", [above, x, below], hint)
    if cap is not None:
        y = g.node("Min", [y, g.constant(float(cap), dtype, f"{hint}/max_value")], hint)
    return y


@register(LeakyReLU)
def convert_leaky_relu(g, layer, call):
    return g.node("LeakyRelu", [call.inputs[0]], call.hint, alpha=float(layer.negative_slope))


@register(ELU)
def convert_elu(g, layer, call):
    return g.node("Elu", [call.inputs[0]], call.hint, alpha=float(layer.alpha))


@register(PReLU)
def convert_prelu(g, layer, call):
    return g.node("PRelu", [call.inputs[0], g.weight(layer.alpha, f"{call.hint}/alpha")],
                  call.hint)


@register(Softmax)
def convert_softmax(g, layer, call):
    x, hint = call.inputs[0], call.hint
    if len(call.node.input_tensors()) > 1 or call.node.kwargs.get("mask") is not None:
        raise UnsupportedLayerError(
            f"Softmax layer {layer.name!r} is called with a mask, which the ONNX export does "
            "not support. Apply the mask before the layer (e.g. add a large negative number to "
            "the masked logits) instead.")
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if len(axes) == 1:
        return g.node("Softmax", [x], hint, axis=int(axes[0]))
    rank = len(call.shapes[0])
    axes = sorted(a % rank for a in axes)
    return g.node("Exp", [g.node("Sub", [x, g.reduce("ReduceLogSumExp", x, axes, hint)], hint)],
                  hint)
