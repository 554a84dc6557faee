"""`kerasx.export.ExportArchive`: one tracked model or function behind one ONNX endpoint."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy
from tests.export.onnx_check import run_onnx

onnx = pytest.importorskip("onnx")


def functional_two_inputs():
    a, b = keras.Input((3,), name="a"), keras.Input((4,), name="b")
    out = layers.Dense(2)(layers.Concatenate()([a, layers.Dense(3)(b)]))
    return keras.Model([a, b], out)


def batch(*widths, rows=5):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((rows, w)).astype("float32") for w in widths]


@pytest.mark.parametrize("endpoint", ["model", "call", "__call__"])
def test_endpoint_of_a_tracked_model(endpoint, tmp_path):
    model = functional_two_inputs()
    archive = keras.export.ExportArchive()
    archive.track(model)
    fn = model if endpoint == "model" else getattr(model, endpoint)
    signature = [[keras.InputSpec(shape=(None, 3), dtype="float32"),
                  keras.InputSpec(shape=(None, 4), dtype="float32")]]
    assert archive.add_endpoint("serve", fn, input_signature=signature) is fn
    path = tmp_path / "archive.onnx"
    archive.write_out(path, verbose=False)
    assert onnx.load(str(path)).graph.name == "serve"
    x = batch(3, 4)
    np.testing.assert_allclose(run_onnx(path, x)[0], to_numpy(model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_endpoint_function_is_traced(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("scores", lambda x: ops.softmax(model(x) * 0.5),
                         input_signature=[keras.InputSpec(shape=(None, 3), dtype="float32")])
    path = tmp_path / "fn.onnx"
    archive.write_out(path, verbose=False)
    x, = batch(3)
    want = to_numpy(ops.softmax(model.predict(x, verbose=0) * 0.5))
    np.testing.assert_allclose(run_onnx(path, [x])[0], want, rtol=1e-5, atol=1e-6)


def test_track_and_add_endpoint_of_a_layer(tmp_path):
    layer = layers.Dense(2)
    layer.build((None, 3))
    archive = keras.export.ExportArchive()
    archive.track_and_add_endpoint("serve", layer,
                                   [keras.InputSpec(shape=(None, 3), dtype="float32")])
    path = tmp_path / "layer.onnx"
    archive.write_out(path, verbose=False)
    x, = batch(3)
    np.testing.assert_allclose(run_onnx(path, [x])[0], to_numpy(layer(x)), rtol=1e-5,
                               atol=1e-6)


def test_what_an_onnx_archive_cannot_hold(tmp_path):
    model = functional_two_inputs()
    archive = keras.export.ExportArchive()
    with pytest.raises(ValueError, match="no endpoint to write"):
        archive.write_out(tmp_path / "a.onnx")
    archive.track(model)
    archive.add_endpoint("serve", model)
    with pytest.raises(ValueError, match="already has the endpoint 'serve'.*single graph"):
        archive.add_endpoint("other", model)
    with pytest.raises(NotImplementedError, match="no ONNX equivalent"):
        archive.add_variable_collection("weights", model.weights)
    with pytest.raises(ValueError, match="no `options`"):
        archive.write_out(tmp_path / "a.onnx", options={"x": 1})
    with pytest.raises(ValueError, match="writes ONNX files only.*'saved_model'"):
        keras.export.ExportArchive(format="saved_model")
    with pytest.raises(ValueError, match="needs `input_signature`"):
        keras.export.ExportArchive().add_endpoint("serve", lambda x: x)
    with pytest.raises(ValueError, match="takes a kerasx Layer or Model"):
        keras.export.ExportArchive().track("model")
