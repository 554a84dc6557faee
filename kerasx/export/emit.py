"""Layer calls of a symbolic graph as ONNX nodes: converted, inlined (models) or traced
(layers with no converter whose `call` is made of kerasx layers and ops)."""

from kerasx.export.converters import LayerCall, UnsupportedLayerError, converter_for
from kerasx.export.model_graph import model_io, ordered_calls, trace
from kerasx.export.signature import symbolic_inputs


def emit_graph(g, inputs, outputs, names):
    """Adds the ONNX nodes computing `outputs` from `inputs` (whose ONNX names are in
    `names`, by tensor id) and returns the ONNX names of `outputs`."""
    for node in ordered_calls(inputs, outputs):
        layer = node.layer
        ins = node.input_tensors()
        outs = node.output_tensors()
        call = LayerCall([names[id(t)] for t in ins], [t.shape for t in ins],
                         [t.dtype for t in ins], [t.shape for t in outs],
                         [t.dtype for t in outs], node, layer.name)
        result = convert_layer(g, layer, call)
        result = result if isinstance(result, list) else [result]
        if len(result) != len(outs):
            raise ValueError(
                f"The ONNX conversion of layer {layer.name!r} produced {len(result)} output(s) "
                f"where the layer has {len(outs)}.")
        names.update((id(t), r) for t, r in zip(outs, result))
    return [names[id(t)] for t in outputs]


def convert_layer(g, layer, call):
    """The ONNX name(s) of `layer`'s outputs on `call`: its converter's, the inlined graph of
    a model, or the trace of its `call` for a layer written with kerasx ops and layers."""
    from kerasx.layers.core.input_layer import InputLayer
    from kerasx.layers.core.op_layer import OpLayer
    from kerasx.models.model import Model

    if isinstance(layer, InputLayer):
        return list(call.inputs)
    if isinstance(layer, Model):
        return _emit_nested(g, layer, call)
    if isinstance(layer, OpLayer):
        from kerasx.export.ops import convert_op

        return convert_op(g, layer, call)
    _check_exportable(layer)
    convert = converter_for(layer)
    if convert is not None:
        return convert(g, layer, call)
    return _emit_traced_layer(g, layer, call)


def _check_exportable(layer):
    if getattr(layer, "quantization_mode", None) is not None:
        raise UnsupportedLayerError(
            f"Layer {layer.name!r} ({type(layer).__name__}) is quantized "
            f"({layer.quantization_mode}), which the ONNX export does not support. Export the "
            "model before quantizing it.")
    policy = getattr(layer, "_dtype_policy", None)
    if policy is not None and layer.compute_dtype != layer.variable_dtype:
        raise UnsupportedLayerError(
            f"Layer {layer.name!r} ({type(layer).__name__}) computes in {layer.compute_dtype} "
            f"with {layer.variable_dtype} weights (a mixed-precision policy), which the ONNX "
            "export does not support. Export a copy of the model built with a single dtype "
            "(e.g. dtype='float32').")


def _emit_traced_layer(g, layer, call):
    """A layer with no converter, traced: its `call` on fresh symbolic inputs records the
    layers and `kerasx.ops` it is made of, which are converted in turn."""
    from kerasx.layers.core._nested_structure import flatten, map_structure
    from kerasx.layers.core.input_layer import Input
    from kerasx.layers.core.keras_tensor import KerasTensor
    from kerasx.layers._call_arguments import _call_signature

    node = call.node
    fresh = {}

    def symbolic(t):
        fresh[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype)
        return fresh[id(t)]

    inputs = map_structure(node.inputs, symbolic)
    args = [map_structure(a, symbolic) for a in node.args]
    kwargs = {k: map_structure(v, symbolic) for k, v in node.kwargs.items() if k != "training"}
    if _call_signature(type(layer))[0]:
        kwargs["training"] = False
    try:
        outputs = flatten(layer.call(inputs, *args, **kwargs))
        if not all(isinstance(t, KerasTensor) for t in outputs):
            raise ValueError("its outputs are not computed from its inputs by kerasx ops")
        sources = [fresh[id(t)] for t in node.input_tensors()]
        return emit_graph(g, sources, outputs,
                          {id(s): n for s, n in zip(sources, call.inputs)})
    except Exception as e:
        from kerasx.export.converters import supported_layer_names

        raise UnsupportedLayerError(
            f"Layer {layer.name!r} ({type(layer).__name__}) cannot be exported to ONNX: the "
            "exporter has no conversion for its class, and tracing its `call` on symbolic "
            f"inputs failed ({type(e).__name__}: {e}). Layers it converts: "
            f"{', '.join(supported_layer_names())}; custom layers whose `call` uses only "
            "those layers and the kerasx.ops the exporter knows are traced.") from e


def _emit_nested(g, model, call):
    """A model used as a layer: its graph, inlined on the call's inputs."""
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    if isinstance(model, (Functional, Sequential)):
        io = model_io(model)
    else:
        io = trace(model.call, symbolic_inputs([(s, d) for s, d in zip(call.shapes,
                                                                         call.dtypes)]),
                   owner=model.name)
    if len(io.inputs) != len(call.inputs):
        raise ValueError(
            f"Model {model.name!r} is called on {len(call.inputs)} tensor(s) inside the "
            f"exported model, but it has {len(io.inputs)} input(s).")
    names = {id(t): n for t, n in zip(io.inputs, call.inputs)}
    return emit_graph(g, io.inputs, io.outputs, names)
