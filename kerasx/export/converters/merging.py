"""Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot."""

from kerasx.export.converters import register
from kerasx.layers import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                           Subtract)


def _same_rank(g, call):
    """The inputs, those of lower rank given size-1 axes after the batch (as `Merge` does)."""
    top = max(len(s) for s in call.shapes)
    return [x if len(s) == top else
            g.unsqueeze(x, list(range(1, 1 + top - len(s))), call.hint)
            for x, s in zip(call.inputs, call.shapes)]


def _chain(op):
    def convert(g, layer, call):
        xs = _same_rank(g, call)
        y = xs[0]
        for x in xs[1:]:
            y = g.node(op, [y, x], call.hint)
        return y
    return convert


register(Add)(_chain("Add"))
register(Subtract)(_chain("Sub"))
register(Multiply)(_chain("Mul"))
register(Maximum)(_chain("Max"))
register(Minimum)(_chain("Min"))


@register(Average)
def convert_average(g, layer, call):
    total = _chain("Add")(g, layer, call)
    count = g.constant(float(len(call.inputs)), call.out_dtypes[0], f"{call.hint}/count")
    return g.node("Div", [total, count], call.hint)


@register(Concatenate)
def convert_concatenate(g, layer, call):
    return g.node("Concat", list(call.inputs), call.hint, axis=int(layer.axis))


@register(Dot)
def convert_dot(g, layer, call):
    """Each batch row's contraction as one batched MatMul of `(batch, m, k)` by
    `(batch, k, n)`, as `batch_dot` computes it."""
    from kerasx.export.converters import UnsupportedLayerError
    from kerasx.layers.merging.dot import _perm_to

    (s1, s2), hint = call.shapes, call.hint
    a1, a2 = layer._resolve_axes(s1, s2)
    x1, x2 = call.inputs
    if layer.normalize:
        x1, x2 = _l2_normalized(g, x1, a1, call), _l2_normalized(g, x2, a2, call)
    k = s1[a1]
    out = [-1 if d is None else int(d) for d in call.out_shapes[0][1:]]
    if k is None or out.count(-1) > 1:
        raise UnsupportedLayerError(
            f"Dot layer {layer.name!r} contracts or returns axes whose sizes are known only at "
            f"run time (inputs {tuple(s1)} and {tuple(s2)}); the ONNX export needs them fixed.")
    x1 = g.reshape(g.transpose(x1, _perm_to(len(s1), a1, len(s1) - 1), hint), [0, -1, k], hint)
    x2 = g.reshape(g.transpose(x2, _perm_to(len(s2), a2, 1), hint), [0, k, -1], hint)
    return g.reshape(g.node("MatMul", [x1, x2], hint), [0] + out, hint)


def _l2_normalized(g, x, axis, call):
    squares = g.reduce("ReduceSumSquare", x, [axis], call.hint)
    floor = g.constant(1e-12, call.dtypes[0], f"{call.hint}/epsilon")
    return g.node("Div", [x, g.node("Sqrt", [g.node("Max", [squares, floor], call.hint)],
                                    call.hint)], call.hint)
