"""Application models compute what Keras's compute: real Keras builds each model of
`NUMERIC_CASES` with random weights and writes its weights (Keras 3 and legacy
layouts) and outputs (`tests/interop/keras_app_outputs.py`); kerasx builds the
same model, loads each file and must predict the same.

Needs an interpreter with keras: this one, or the one named by
`KERASX_KERAS_PYTHON` (the test is skipped otherwise, like the interop tests).
"""

import os
import shutil
import subprocess

import numpy as np
import pytest

import kerasx
from tests.interop.app_cases import NUMERIC_CASES
from tests.interop.test_interop import _keras_python

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "interop",
                      "keras_app_outputs.py")
pytest.importorskip("h5py")


def keras_outputs(out):
    python, reason = _keras_python()
    if python is None:
        pytest.skip(reason)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, SCRIPT, str(out)], env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0 and "DONE" in run.stdout, run.stderr[-3000:]


def build(case, weights):
    kerasx.utils.clear_session(free_memory=False)
    kwargs = dict(case["kwargs"], input_shape=tuple(case["kwargs"]["input_shape"]))
    return getattr(kerasx.applications, case["builder"])(weights=weights, **kwargs)


def max_error(model, data):
    got, want = model.predict(data["x"], verbose=0), data["pred"]
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


def test_application_outputs_match_keras(tmp_path, monkeypatch):
    # one test, so that Keras builds the models once (not once per test worker)
    keras_outputs(tmp_path)
    errors = {}
    for case in NUMERIC_CASES:
        base = os.path.join(str(tmp_path), case["id"])
        data = np.load(base + ".npz")
        # the legacy layout, read as weights="imagenet" reads Keras's files
        errors[f"{case['id']} (legacy .h5)"] = max_error(build(case, base + ".h5"), data)
        model = build(case, None)
        model.load_weights(base + ".weights.h5")
        errors[f"{case['id']} (.weights.h5)"] = max_error(model, data)
    # weights="imagenet" takes Keras's file from the cache; MobileNet's files have no hash,
    # so the legacy file Keras wrote stands in for the pretrained one
    case = next(c for c in NUMERIC_CASES if c["id"] == "mobilenet")
    cache = tmp_path / "keras_home" / "models"
    cache.mkdir(parents=True)
    shutil.copy(os.path.join(str(tmp_path), "mobilenet.h5"),
                cache / "mobilenet_5_0_224_tf_no_top.h5")
    monkeypatch.setenv("KERAS_HOME", str(cache.parent))
    with pytest.warns(UserWarning, match=r"\(224, 224\) will be loaded"):
        model = build(case, "imagenet")
    errors["mobilenet (weights='imagenet', from the cache)"] = max_error(
        model, np.load(os.path.join(str(tmp_path), "mobilenet.npz")))
    bad = {k: v for k, v in errors.items() if not v <= 1e-4}
    assert not bad, f"relative errors against Keras: {bad}"
