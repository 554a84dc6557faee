"""Shared checks of a layer family against real Keras: a `.keras` file Keras trained
loads and trains on here; a model kerasx trained loads and trains on in Keras."""

import json
import os
import subprocess

import numpy as np
import pytest

import kerasx
from tests.interop.test_interop import HERE, _job, _keras_python, archive_layout


def assert_keras_file_trains_on(keras_file, arrays, tmp_path):
    """The Keras-trained `keras_file` predicts `arrays["pred"]`, saves again with the
    same file layout, and predicts `arrays["after_step"]` after one step on
    `arrays["step_x"]`, `arrays["step_y"]` (so gradients and optimizer state agree)."""
    model = kerasx.models.load_model(keras_file)
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["pred"], atol=1e-5)
    out = str(tmp_path / "again.keras")
    model.save(out)
    assert archive_layout(out) == archive_layout(keras_file)
    model.train_on_batch(arrays["step_x"], arrays["step_y"])
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["after_step"],
                               atol=1e-5)


def assert_real_keras_trains_on(tmp_path, name, model, x, step_x, step_y):
    """`model` (compiled and trained in kerasx) saved, loaded by real Keras: the same
    predictions on `x`, and the same after one more step on `step_x`, `step_y`. Skips
    when no interpreter with Keras is at hand (`KERASX_KERAS_PYTHON`). Returns the
    saved file's path."""
    python, reason = _keras_python()
    if python is None:
        pytest.skip(reason)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    pred = model.predict(x, verbose=0)
    model.train_on_batch(step_x, step_y)
    jobs = [_job(tmp_path, name, path, x, [pred], (step_x, step_y),
                 [model.predict(x, verbose=0)])]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, os.path.join(HERE, "keras_check.py"),
                          str(tmp_path / "jobs.json")], env=env, capture_output=True, text=True,
                         timeout=600)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULTS ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULTS "):])[path]
    assert "error" not in result, result
    assert not result["warnings"], result
    assert max(result["pred"]) < 1e-5 and max(result["after_step"]) < 1e-5, result
    return path
