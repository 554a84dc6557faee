"""`export_onnx`: writes a model's inference graph as an ONNX file, without TensorFlow.

The model's symbolic graph is walked from its inputs to its outputs and each
layer call becomes ONNX operators (`kerasx.export.converters`); weights are
copied to the host and stored in the file. Sizes unknown when the model was
built (the batch) stay dynamic in the ONNX graph.
"""

from kerasx.export.emit import emit_graph
from kerasx.export.model_graph import model_io, trace
from kerasx.export.onnx_graph import OnnxGraph, element_type
from kerasx.export.signature import check_specs, signature_specs, symbolic_arguments

DEFAULT_OPSET = 18
MIN_OPSET = 17


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None,
                **kwargs):
    """Exports `model`'s forward pass (inference mode) as an ONNX file.

    Args:
        model: a built kerasx model (functional, Sequential, or subclassed and
            called once).
        filepath: where to write the `.onnx` file.
        verbose: whether to print a message once the file is written (default True).
        input_signature: optional shapes and dtypes of the inputs: a structure of
            `kerasx.InputSpec`, `KerasTensor` or arrays (whose first axis is taken as
            the batch, left dynamic). Default: the model's own input shapes.
        opset_version: the ONNX opset the graph is written for (default 18; 17 or
            later).

    The file runs with ONNX Runtime:

        session = onnxruntime.InferenceSession("model.onnx")
        outputs = session.run(None, {session.get_inputs()[0].name: x})

    Raises:
        ValueError: for a layer the exporter has no ONNX form for (its name and
            class are in the message), or an input signature that does not fit
            the model.
    """
    if kwargs:
        raise TypeError(
            f"export(format='onnx') got unexpected keyword arguments {sorted(kwargs)}; it takes "
            "`verbose`, `input_signature` and `opset_version`.")
    proto = onnx_model_proto(model, input_signature=input_signature, opset_version=opset_version)
    import onnx

    onnx.save(proto, str(filepath))
    if verbose is None or verbose:
        from kerasx.utils.messages import print_msg

        print_msg(f"Saved artifact at '{filepath}'.")


def onnx_model_proto(model, input_signature=None, opset_version=None, fn=None, name=None):
    """The checked `onnx.ModelProto` of `model` (or of `fn` traced on `input_signature`,
    one entry per positional argument), its graph called `name`."""
    onnx = _import_onnx()
    from onnx import helper

    opset = _opset(onnx, opset_version)
    specs = None if input_signature is None else signature_specs(input_signature)
    if fn is not None:
        if input_signature is None:
            raise ValueError("Tracing a function for export needs `input_signature`.")
        io = trace(fn, symbolic_arguments(input_signature), owner=getattr(fn, "__name__", "fn"),
                   spread=True)
    else:
        io = model_io(model, specs)
    if specs is not None:
        check_specs(getattr(model, "name", None) or getattr(fn, "__name__", "fn"), io, specs)
    g = OnnxGraph(opset)
    graph_inputs, names = [], {}
    for i, (tensor, input_name) in enumerate(zip(io.inputs, io.input_names)):
        shape = tensor.shape if specs is None else specs[i][0]
        dims = ["batch" if j == 0 and d is None else (None if d is None else int(d))
                for j, d in enumerate(shape)]
        names[id(tensor)] = g.reserve(input_name)
        graph_inputs.append(helper.make_tensor_value_info(input_name, element_type(tensor.dtype),
                                                          dims))
    out_names = [g.name(n) for n in io.output_names]
    results = emit_graph(g, io.inputs, io.outputs, names)
    graph_outputs = []
    for tensor, result, output_name in zip(io.outputs, results, out_names):
        g.node("Identity", [result], output_name, output_names=[output_name])
        dims = ["batch" if j == 0 and d is None else (None if d is None else int(d))
                for j, d in enumerate(tensor.shape)]
        graph_outputs.append(helper.make_tensor_value_info(output_name,
                                                           element_type(tensor.dtype), dims))
    graph = helper.make_graph(g.nodes, name or _graph_name(model, fn), graph_inputs, graph_outputs,
                              initializer=g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="kerasx")
    proto.ir_version = min(proto.ir_version, _max_ir_version(onnx, opset))
    onnx.checker.check_model(proto)
    return proto


def _graph_name(model, fn):
    return getattr(model, "name", None) or getattr(fn, "__name__", None) or "graph"


def _opset(onnx, opset_version):
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return min(DEFAULT_OPSET, newest)
    if not isinstance(opset_version, int) or not MIN_OPSET <= opset_version <= newest:
        raise ValueError(
            f"opset_version must be an int from {MIN_OPSET} to {newest} (the newest opset the "
            f"installed onnx {onnx.__version__} knows); received {opset_version!r}.")
    return opset_version


def _max_ir_version(onnx, opset):
    """The IR version of the onnx release that introduced `opset`, so that runtimes which
    support the opset can also read the file."""
    for row in onnx.helper.VERSION_TABLE:
        if row[2] >= opset:
            return row[1]
    return onnx.IR_VERSION


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "Exporting to ONNX needs the `onnx` package, which is not installed. Install it "
            "with `pip install onnx` (or `pip install kerasx[onnx]`); `onnxruntime` runs the "
            "exported files.") from None
    return onnx
