"""`model.export(path, format="openvino")`: an OpenVINO IR (`.xml` graph, `.bin` weights).

The model is written as ONNX first (kerasx's own conversion, `onnx_export`), which
OpenVINO's converter reads; the IR keeps float32 weights, as Keras's export does. (OpenVINO's
CPU runtime then computes in bfloat16 on processors that have it, unless compiled with
`{"INFERENCE_PRECISION_HINT": "f32"}`.) Needs the `openvino` and `onnx` packages, imported
only here.
"""

import os
import tempfile

from kerasx.export.onnx_export import export_onnx


def export_openvino(model, filepath, verbose=None, input_signature=None, **kwargs):
    """Exports `model`'s forward pass (inference mode) as an OpenVINO IR at `filepath`
    (a `.xml` path; the `.bin` file of the weights is written beside it). Arguments as
    `export_onnx`'s."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".xml"):
        raise ValueError("The OpenVINO export requires the filepath to end with '.xml'. "
                         f"Got: filepath={filepath}")
    try:
        import openvino
    except ImportError:
        raise ImportError("format='openvino' needs OpenVINO, which is not installed. Install "
                          "it with `pip install openvino`.") from None
    with tempfile.TemporaryDirectory() as scratch:
        onnx_path = os.path.join(scratch, "model.onnx")
        export_onnx(model, onnx_path, verbose=False, input_signature=input_signature, **kwargs)
        converted = openvino.convert_model(onnx_path)
    openvino.serialize(converted, filepath)
    if verbose is None or verbose:
        from kerasx.utils.messages import print_msg

        print_msg(f"Saved OpenVINO IR at '{filepath}'.")
