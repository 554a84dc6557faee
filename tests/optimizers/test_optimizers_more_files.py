"""`.keras` files with a Muon or ScheduleFreeAdamW optimizer move between Keras 3 and
kerasx with their optimizer state (files written by tests/golden/family_optimizers_more.py).

MultiOptimizer files are checked kerasx to kerasx in test_multi_optimizer.py: Keras also
writes each sub-optimizer's variables in groups `optimizer/optimizers/<name>/vars`,
which kerasx's weights file layout does not have yet.
"""

import io
import os
import zipfile

import numpy as np
import pytest

import kerasx
from tests.golden.loader import GOLDEN_DIR, load_case

h5py = pytest.importorskip("h5py")

NAMES = ["fit_Muon", "fit_ScheduleFreeAdamW", "fit_MultiOptimizer"]


def _path(name):
    return os.path.join(GOLDEN_DIR, f"optimizers_more_{name}.keras")


def _layout(path):
    with zipfile.ZipFile(path) as zf:
        data = zf.read("model.weights.h5")
    found = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: found.append((name, getattr(obj, "shape", None))))
    return sorted(found, key=str)


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_resumes_training_in_kerasx(name, tmp_path):
    case = load_case("optimizers_more", name)
    a = case["arrays"]
    model = kerasx.models.load_model(_path(name))
    assert type(model.optimizer).__name__ == case["class"]
    assert int(model.optimizer.iterations) == case["iterations_after"]
    for j, v in enumerate(model.optimizer.variables):
        np.testing.assert_allclose(v.numpy(), a[f"state{j}"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict(a["x"], verbose=0), a["pred"], atol=1e-5)
    out = str(tmp_path / f"{name}.keras")
    model.save(out)
    assert _layout(out) == _layout(_path(name))
    model.train_on_batch(a["x"][:8], a["y"][:8])
    np.testing.assert_allclose(model.predict(a["x"], verbose=0), a["after_step"], atol=1e-5)


def test_real_keras_resumes_kerasx_files(tmp_path):
    """kerasx saves (after loading Keras's file); real Keras loads it without a warning,
    predicts the same and takes the same next step (needs an interpreter with keras:
    this one, or KERASX_KERAS_PYTHON)."""
    import json
    import subprocess

    from tests.interop.test_interop import HERE as INTEROP, _keras_python

    python, reason = _keras_python()
    if python is None:
        pytest.skip(reason)
    jobs = []
    for name in NAMES:
        a = load_case("optimizers_more", name)["arrays"]
        out = str(tmp_path / f"{name}.keras")
        kerasx.models.load_model(_path(name)).save(out)
        data = str(tmp_path / f"{name}.npz")
        np.savez(data, x=a["x"], pred_0=a["pred"], step_x=a["x"][:8], step_y_0=a["y"][:8],
                 after_step_0=a["after_step"])
        jobs.append({"path": out, "data": data})
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, os.path.join(INTEROP, "keras_check.py"),
                          str(tmp_path / "jobs.json")], env=env, capture_output=True, text=True,
                         timeout=600)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULTS ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    for path, result in json.loads(lines[-1][len("RESULTS "):]).items():
        assert "error" not in result, (path, result)
        assert not result["warnings"], (path, result["warnings"])
        assert max(result["pred"]) < 1e-5 and max(result["after_step"]) < 1e-5, (path, result)
