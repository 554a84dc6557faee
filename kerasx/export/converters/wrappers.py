"""Bidirectional and TimeDistributed: the wrapped layer's conversion, arranged around it."""

from kerasx.export.converters import LayerCall, UnsupportedLayerError, register
from kerasx.layers import Bidirectional, TimeDistributed

_INT64_MIN = -2 ** 63


def _flip_time(g, x, hint):
    return g.node("Slice", [x, g.ints([-1], f"{hint}/start"), g.ints([_INT64_MIN], f"{hint}/end"),
                            g.ints([1], f"{hint}/axis"), g.ints([-1], f"{hint}/step")], hint)


@register(Bidirectional)
def convert_bidirectional(g, layer, call):
    from kerasx.export.emit import convert_layer

    states = call.inputs[1:]
    half = len(states) // 2
    results = []
    for sub, sub_states in ((layer.forward_layer, states[:half]),
                            (layer.backward_layer, states[half:])):
        sub_call = call._replace(inputs=[call.inputs[0]] + list(sub_states),
                                 shapes=call.shapes[:1], dtypes=call.dtypes[:1],
                                 hint=f"{call.hint}/{sub.name}")
        out = convert_layer(g, sub, sub_call)
        results.append(out if isinstance(out, list) else [out])
    (y, *forward_states), (y_rev, *backward_states) = results
    hint = call.hint
    if layer.return_sequences:
        y_rev = _flip_time(g, y_rev, hint)
    mode = layer.merge_mode
    if mode == "concat":
        output = [g.node("Concat", [y, y_rev], hint, axis=-1)]
    elif mode == "sum":
        output = [g.node("Add", [y, y_rev], hint)]
    elif mode == "ave":
        total = g.node("Add", [y, y_rev], hint)
        output = [g.node("Div", [total, g.constant(2.0, call.out_dtypes[0], f"{hint}/two")],
                         hint)]
    elif mode == "mul":
        output = [g.node("Mul", [y, y_rev], hint)]
    else:
        output = [y, y_rev]
    if layer.return_state:
        return output + forward_states + backward_states
    return output if len(output) > 1 else output[0]


@register(TimeDistributed)
def convert_time_distributed(g, layer, call):
    """The inner layer on `(batch * steps, ...)`, then reshaped back to `(batch, steps, ...)`."""
    from kerasx.export.emit import convert_layer

    if len(call.inputs) != 1:
        raise UnsupportedLayerError(
            f"TimeDistributed layer {layer.name!r} is called with a mask or several inputs, "
            "which the ONNX export does not support.")
    hint, x = call.hint, call.inputs[0]
    shape, out_shape = call.shapes[0], call.out_shapes[0]
    inner_out = tuple(out_shape[2:])
    if any(d is None for d in tuple(shape[2:]) + inner_out):
        raise UnsupportedLayerError(
            f"TimeDistributed layer {layer.name!r} has per-step sizes only known at run time "
            f"(input {tuple(shape)}, output {tuple(out_shape)}); the ONNX export needs them "
            "fixed. Give the Input a fixed shape after the time axis.")
    folded = g.reshape(x, [-1] + [int(d) for d in shape[2:]], hint)
    inner_call = LayerCall([folded], [(None,) + tuple(shape[2:])], call.dtypes,
                           [(None,) + inner_out], call.out_dtypes, call.node,
                           f"{hint}/{layer.layer.name}")
    y = convert_layer(g, layer.layer, inner_call)
    if isinstance(y, list):
        raise UnsupportedLayerError(
            f"TimeDistributed layer {layer.name!r} wraps a layer with several outputs, which "
            "the ONNX export does not support.")
    leading = g.node("Shape", [x], hint, start=0, end=2)
    target = g.node("Concat", [leading, g.ints([int(d) for d in inner_out], f"{hint}/shape")],
                    hint, axis=0)
    return g.node("Reshape", [y, target], hint)
