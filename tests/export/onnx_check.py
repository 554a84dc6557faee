"""Runs an exported ONNX file with ONNX Runtime and compares it with `model.predict`."""

import numpy as np
import pytest

from tests.conftest import to_numpy

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def random_inputs(model_inputs, batch, rng, int_high=10):
    """One random batch per input tensor of the model (ints in [0, int_high) for int inputs)."""
    arrays = []
    for t in model_inputs:
        shape = (batch,) + tuple(7 if d is None else d for d in t.shape[1:])
        if t.dtype.startswith("int"):
            arrays.append(rng.integers(0, int_high, size=shape).astype(t.dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(t.dtype))
    return arrays


def run_onnx(path, arrays):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: a for i, a in zip(session.get_inputs(), arrays)}
    return session.run(None, feeds)


def assert_export_matches(model, tmp_path, batches=(2, 5), rtol=1e-5, atol=1e-5, int_high=10,
                          **export_kwargs):
    """Exports `model` to ONNX and checks ONNX Runtime's outputs against `model.predict` on
    random inputs of each batch size."""
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", verbose=False, **export_kwargs)
    rng = np.random.default_rng(0)
    inputs = model.inputs
    for batch in batches:
        arrays = random_inputs(inputs, batch, rng, int_high)
        got = run_onnx(path, arrays)
        feed = arrays[0] if len(arrays) == 1 else arrays
        want = model.predict(feed, verbose=0, batch_size=batch)
        want = want if isinstance(want, (list, tuple)) else [want]
        assert len(got) == len(want)
        for g, w in zip(got, want):
            w = to_numpy(w)
            assert g.shape == w.shape
            assert g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return path
