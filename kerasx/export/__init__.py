"""`kerasx.export`: inference artifacts of models, written as ONNX files.

`model.export(path, format="onnx")` writes a model's forward pass as an ONNX
graph that ONNX Runtime (or any ONNX consumer) runs without kerasx;
`ExportArchive` does the same for one endpoint function. The conversion is
kerasx's own (it needs the `onnx` package, not TensorFlow), so Keras's
TensorFlow-based formats ("tf_saved_model", "litert") and OpenVINO's are not
available.
"""

from kerasx.export.export_archive import ExportArchive
from kerasx.export.onnx_export import export_onnx

SUPPORTED_FORMATS = ("onnx",)
_KERAS_ONLY_FORMATS = ("tf_saved_model", "openvino", "litert", "torch")

__all__ = ["ExportArchive", "export_model", "export_onnx"]


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
    """`model.export`: writes `model`'s inference graph to `filepath` in `format`."""
    if format == "onnx":
        return export_onnx(model, filepath, verbose=verbose, input_signature=input_signature,
                           **kwargs)
    if format in _KERAS_ONLY_FORMATS:
        raise ValueError(
            f"kerasx cannot export format={format!r}: Keras writes it through TensorFlow, "
            "PyTorch or OpenVINO, which kerasx does not use. kerasx exports format='onnx'; "
            "ONNX Runtime runs the file, and ONNX converters (e.g. onnx2tf, OpenVINO's "
            "`ovc`) turn it into the other formats.")
    raise ValueError(
        f"Unrecognized format={format!r}. kerasx supports: {list(SUPPORTED_FORMATS)}.")
