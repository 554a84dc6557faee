"""`kerasx.export`: inference artifacts of models, written as ONNX files.

`model.export(path, format="onnx")` writes a model's forward pass as an ONNX
graph that ONNX Runtime (or any ONNX consumer) runs without kerasx;
`ExportArchive` does the same for one endpoint function. The conversion is
kerasx's own (it needs the `onnx` package, not TensorFlow); `format="openvino"`
converts that graph with OpenVINO into its IR. Keras's TensorFlow- and
PyTorch-based formats ("tf_saved_model", "litert", "torch") are not available.
"""

from kerasx.export.export_archive import ExportArchive
from kerasx.export.onnx_export import export_onnx
from kerasx.export.openvino_export import export_openvino

SUPPORTED_FORMATS = ("onnx", "openvino")
_KERAS_ONLY_FORMATS = ("tf_saved_model", "litert", "torch")

__all__ = ["ExportArchive", "export_model", "export_onnx", "export_openvino"]


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
    """`model.export`: writes `model`'s inference graph to `filepath` in `format`."""
    if format == "onnx":
        return export_onnx(model, filepath, verbose=verbose, input_signature=input_signature,
                           **kwargs)
    if format == "openvino":
        return export_openvino(model, filepath, verbose=verbose,
                               input_signature=input_signature, **kwargs)
    if format in _KERAS_ONLY_FORMATS:
        raise ValueError(
            f"kerasx cannot export format={format!r}: Keras writes it through TensorFlow or "
            "PyTorch, which kerasx does not use. kerasx exports format='onnx' and "
            "format='openvino'; ONNX Runtime runs the ONNX file, and ONNX converters (e.g. "
            "onnx2tf) turn it into the other formats.")
    raise ValueError(
        f"Unrecognized format={format!r}. kerasx supports: {list(SUPPORTED_FORMATS)}.")
