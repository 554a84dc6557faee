"""A kerasx LoRA model's `.keras` file checked in real Keras (the interop tests' helper
process): Keras loads it, predicts what kerasx's reload predicts, and trains one step
to the same weights. Skipped unless `KERASX_KERAS_PYTHON` names a Python with Keras."""

import json
import os
import subprocess

import pytest

import kerasx


def assert_real_keras_reloads(tmp_path, name, model, x, y, step_tolerance):
    from tests.interop.test_interop import HERE, _job, _keras_python

    python, reason = _keras_python()
    if python is None:
        pytest.skip(reason)
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    reloaded = kerasx.models.load_model(path)  # as Keras will: the factors at zeros
    pred = reloaded.predict(x[:4], verbose=0)
    reloaded.train_on_batch(x[:8], y[:8])
    job = _job(tmp_path, name, path, x[:4], [pred], (x[:8], y[:8]),
               [reloaded.predict(x[:4], verbose=0)])
    jobs = tmp_path / "jobs.json"
    jobs.write_text(json.dumps([job]))
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, os.path.join(HERE, "keras_check.py"), str(jobs)], env=env,
                         capture_output=True, text=True, timeout=600)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULTS ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    (result,) = json.loads(lines[-1][len("RESULTS "):]).values()
    assert "error" not in result, result
    assert max(result["pred"]) < 1e-5 and max(result["after_step"]) < step_tolerance, result
