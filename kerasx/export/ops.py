"""`kerasx.ops` calls recorded in a functional graph (`x * 2`, `ops.exp(x)`, `x[:, 1:]`) as
ONNX operators."""

from kerasx.export.converters import UnsupportedLayerError
from kerasx.layers.core.keras_tensor import KerasTensor

_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div",
           "true_divide": "Div", "maximum": "Max", "minimum": "Min", "power": "Pow",
           "matmul": "MatMul"}
_UNARY = {"exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "negative": "Neg",
          "tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "floor": "Floor", "ceil": "Ceil",
          "sin": "Sin", "cos": "Cos", "erf": "Erf", "softplus": "Softplus",
          "reciprocal": "Reciprocal", "sign": "Sign"}
_REDUCE = {"mean": "ReduceMean", "sum": "ReduceSum", "max": "ReduceMax", "min": "ReduceMin"}
_INT64_MAX = 2 ** 63 - 1


def convert_op(g, layer, call):
    """The ONNX form of the `OpLayer` `layer` (one `kerasx.ops` call)."""
    op, config, hint = layer.op, layer.op_config, call.hint
    names = {id(t): n for t, n in zip(call.node.input_tensors(), call.inputs)}
    out_dtype = call.out_dtypes[0]
    rank = len(call.shapes[0]) if call.shapes else 0
    args = [call.node.inputs] + list(call.node.args)
    if call.node.kwargs or any(isinstance(a, (list, tuple)) and op != "getitem" for a in args[1:]):
        _unsupported(layer)
    if op in _BINARY and len(args) == 2 and not config:
        a, b = (_operand(g, v, names, out_dtype, hint) for v in args)
        return g.node(_BINARY[op], [a, b], hint)
    if op in _UNARY and len(args) == 1 and not config:
        return g.node(_UNARY[op], [_operand(g, args[0], names, out_dtype, hint)], hint)
    x = names.get(id(args[0])) if isinstance(args[0], KerasTensor) else None
    if x is None and op != "concatenate":
        _unsupported(layer)
    if op == "square":
        return g.node("Mul", [x, x], hint)
    if op in ("softmax", "log_softmax"):
        return g.node("Softmax" if op == "softmax" else "LogSoftmax", [x], hint,
                      axis=int(config.get("axis", -1)))
    if op in _REDUCE:
        axis = config.get("axis")
        axes = list(range(rank)) if axis is None else \
            [a % rank for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
        return g.reduce(_REDUCE[op], x, axes, hint, keepdims=config.get("keepdims", False))
    if op == "reshape":
        shape = [int(d) for d in config["newshape"]]
        if call.shapes[0][0] is None and call.out_shapes[0][0] is None and shape[0] == -1:
            shape[0] = 0  # the batch axis keeps its size; another -1 may then be inferred
        return g.reshape(x, shape, hint)
    if op == "transpose":
        axes = config.get("axes")
        return g.transpose(x, list(reversed(range(rank))) if axes is None else list(axes), hint)
    if op == "expand_dims":
        axes = config["axis"] if isinstance(config["axis"], (list, tuple)) else [config["axis"]]
        out_rank = len(call.out_shapes[0])
        return g.unsqueeze(x, [a % out_rank for a in axes], hint)
    if op == "squeeze":
        axis = config.get("axis")
        if axis is None:
            axis = [i for i, d in enumerate(call.shapes[0]) if d == 1]
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        return g.squeeze(x, [a % rank for a in axes], hint)
    if op == "concatenate":
        parts = [_operand(g, v, names, out_dtype, hint) for v in args[0]]
        return g.node("Concat", parts, hint, axis=int(config.get("axis", 0)))
    if op == "cast":
        from kerasx.export.onnx_graph import element_type

        return g.node("Cast", [x], hint, to=element_type(out_dtype))
    if op == "getitem":
        return _getitem(g, layer, x, args[1], call.shapes[0], hint)
    _unsupported(layer)


def _operand(g, value, names, dtype, hint):
    """A tensor argument's ONNX name: a graph tensor (cast to `dtype` if needed) or a
    constant captured in the node."""
    if isinstance(value, KerasTensor):
        name = names[id(value)]
        if value.dtype != dtype:
            from kerasx.export.onnx_graph import element_type

            name = g.node("Cast", [name], hint, to=element_type(dtype))
        return name
    if isinstance(value, (bool, int, float)):
        return g.constant(float(value) if dtype.startswith("float") else value, dtype,
                          f"{hint}/constant")
    from kerasx import ops

    return g.weight(ops.cast(value, dtype), f"{hint}/constant")


def _getitem(g, layer, x, key, shape, hint):
    key = key if isinstance(key, tuple) else (key,)
    starts, ends, axes, steps, squeezed = [], [], [], [], []
    for axis, k in enumerate(key):
        if isinstance(k, bool) or not isinstance(k, (int, slice)):
            _unsupported(layer)
        if isinstance(k, int):
            starts.append(k)
            ends.append(k + 1 if k != -1 else _INT64_MAX)
            axes.append(axis)
            steps.append(1)
            squeezed.append(axis)
            continue
        if k == slice(None):
            continue
        step = 1 if k.step is None else int(k.step)
        if step < 0:
            _unsupported(layer)
        starts.append(0 if k.start is None else int(k.start))
        ends.append(_INT64_MAX if k.stop is None else int(k.stop))
        axes.append(axis)
        steps.append(step)
    y = x
    if axes:
        y = g.node("Slice", [x, g.ints(starts, f"{hint}/starts"), g.ints(ends, f"{hint}/ends"),
                             g.ints(axes, f"{hint}/axes"), g.ints(steps, f"{hint}/steps")], hint)
    return g.squeeze(y, squeezed, hint) if squeezed else y


def _unsupported(layer):
    raise UnsupportedLayerError(
        f"The operation {layer.name!r} (kerasx.ops.{layer.op} with {layer.op_config or 'no'} "
        "static arguments) cannot be exported to ONNX. The ONNX export converts the "
        f"arithmetic operators and ops {sorted(set(_BINARY) | set(_UNARY) | set(_REDUCE))}, "
        "square, softmax, log_softmax, reshape, transpose, expand_dims, squeeze, concatenate, "
        "cast and basic slicing; wrap other computations in a supported layer.")
