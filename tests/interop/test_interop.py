"""`.keras` and `.weights.h5` files move between real Keras 3 and kerasx.

The fixtures were written by Keras 3.15 (`make_fixtures.py`, see
`fixtures/versions.json`); these tests need no keras. Where an interpreter
with keras is available (this one, or the one named by `KERASX_KERAS_PYTHON`)
the files kerasx writes are also loaded back in real Keras.
"""

import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import kerasx
from tests.interop.specs import LAYER_SPECS, build_spec_model, h5_layout, spec_data

h5py = pytest.importorskip("h5py")

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
MODELS = ["mlp", "convnet", "lstm", "two_output"]
TOL = 1e-5
POLICIES_TOL = 1e-3  # float16 computations and int8-quantized inputs


def fixture(name):
    return os.path.join(FIXTURES, name)


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def step_targets(data):
    ys = [data[k] for k in sorted(data.files) if k.startswith("step_y")]
    return ys[0] if len(ys) == 1 else ys


def config_of(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def layer_classes(config, found=None):
    """The class names of every layer in a saved config (entries of module `keras.layers`)."""
    found = set() if found is None else found
    if isinstance(config, dict):
        if config.get("module") == "keras.layers" and isinstance(config.get("class_name"), str):
            found.add(config["class_name"])
        for value in config.values():
            layer_classes(value, found)
    elif isinstance(config, list):
        for value in config:
            layer_classes(value, found)
    return found


def require_kerasx_support(path):
    """Skips when the file uses a layer or optimizer kerasx does not have (yet)."""
    config = config_of(path)
    missing = sorted(c for c in layer_classes(config) if not hasattr(kerasx.layers, c))
    if missing:
        pytest.skip(f"kerasx has no {', '.join(missing)} layer (yet); "
                    f"{os.path.basename(path)} needs it")
    optimizer = (config.get("compile_config") or {}).get("optimizer") or {}
    name = optimizer.get("class_name")
    if name and not hasattr(kerasx.optimizers, name):
        pytest.skip(f"kerasx has no optimizer {name} (yet); {os.path.basename(path)} needs it")


def zip_entries(path):
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def archive_layout(path):
    """The h5 layout of the `model.weights.h5` inside a `.keras` file."""
    with zipfile.ZipFile(path) as zf:
        data = zf.read("model.weights.h5")
    groups, datasets = [], []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: (datasets.append((name, tuple(obj.shape)))
                                        if isinstance(obj, h5py.Dataset)
                                        else groups.append(name)))
    return sorted(groups), sorted(datasets)


# -- Keras files load in kerasx ------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_keras_model_loads_and_predicts_the_same(name):
    path = fixture(f"{name}.keras")
    require_kerasx_support(path)
    data = np.load(fixture(f"{name}.npz"))
    model = kerasx.models.load_model(path)
    assert model.compiled
    assert int(model.optimizer.iterations) == 4  # 32 samples, batch 8, one epoch
    for i, pred in enumerate(as_list(model.predict(data["x"], verbose=0))):
        np.testing.assert_allclose(pred, data[f"pred_{i}"], atol=TOL, rtol=0)


@pytest.mark.parametrize("name", [m for m in MODELS if m != "convnet"])
def test_keras_model_continues_training_like_keras(name):
    """One more step after loading matches the step Keras took: the optimizer state
    (moments, iteration count, learning rate) came through in the right order."""
    path = fixture(f"{name}.keras")
    require_kerasx_support(path)
    data = np.load(fixture(f"{name}.npz"))
    model = kerasx.models.load_model(path)
    model.train_on_batch(data["step_x"], step_targets(data))
    for i, pred in enumerate(as_list(model.predict(data["x"], verbose=0))):
        np.testing.assert_allclose(pred, data[f"after_step_{i}"], atol=TOL, rtol=0)


@pytest.mark.parametrize("name", MODELS)
def test_kerasx_file_has_the_layout_keras_writes(name, tmp_path):
    path = fixture(f"{name}.keras")
    require_kerasx_support(path)
    model = kerasx.models.load_model(path)
    out = str(tmp_path / f"{name}.keras")
    model.save(out)
    assert zip_entries(out) == zip_entries(path) == ["metadata.json", "config.json",
                                                     "model.weights.h5"]
    assert archive_layout(out) == archive_layout(path)
    ours, theirs = config_of(out), config_of(path)
    assert ours["class_name"] == theirs["class_name"]
    assert set(ours["compile_config"]) == set(theirs["compile_config"])
    assert ours["compile_config"]["optimizer"]["class_name"] == \
        theirs["compile_config"]["optimizer"]["class_name"]
    with zipfile.ZipFile(out) as zf:
        assert set(json.loads(zf.read("metadata.json"))) == {"keras_version", "date_saved"}


# -- optimizer state, optimizer by optimizer -----------------------------------------------
OPTIMIZERS = sorted({k.split("/")[0] for k in np.load(fixture("optimizers.npz")).files
                     if "/" in k})


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_keras_optimizer_state_resumes_in_kerasx(name, tmp_path):
    path = fixture(f"opt_{name}.keras")
    require_kerasx_support(path)
    data = np.load(fixture("optimizers.npz"))
    model = kerasx.models.load_model(path)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data[f"{name}/pred"],
                               atol=TOL, rtol=0)
    out = str(tmp_path / f"opt_{name}.keras")
    model.save(out)
    assert archive_layout(out) == archive_layout(path)
    model.train_on_batch(data["step_x"], data["step_y"])
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data[f"{name}/after_step"],
                               atol=TOL, rtol=0)


# -- one model per layer type: the same h5 layout as Keras ---------------------------------
with open(fixture("layer_structures.json")) as _f:
    LAYOUTS = json.load(_f)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_weights_file_layout_matches_keras(name, tmp_path):
    """Same groups, dataset paths and shapes as Keras's `save_weights` for a small model
    around each layer type, after one training step (so optimizer slots are included)."""
    case = LAYOUTS[name]
    assert case["spec"] == LAYER_SPECS[name][0], "specs.py changed: rerun make_fixtures.py"
    model = build_spec_model(kerasx, name)
    model.compile(optimizer="adam", loss="mse")
    xs, y = spec_data(name, case["inputs"])
    model.fit(xs if len(xs) > 1 else xs[0], y, batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    ours, theirs = h5_layout(path), case["layout"]
    assert ours["groups"] == theirs["groups"]
    assert [(p, s) for p, s, _ in ours["datasets"]] == [(p, s) for p, s, _ in theirs["datasets"]]


# -- kerasx files load in real Keras -------------------------------------------------------
def _keras_python():
    """An interpreter with keras, or the reason there is none."""
    candidates = []
    if os.environ.get("KERASX_KERAS_PYTHON"):
        candidates.append(os.environ["KERASX_KERAS_PYTHON"])
    if importlib.util.find_spec("keras") is not None:
        candidates.append(sys.executable)
    if not candidates:
        return None, ("keras is not installed here; set KERASX_KERAS_PYTHON to a Python with "
                      "keras 3 (and jax) to also load kerasx's files in real Keras")
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
           "JAX_PLATFORMS": "cpu"}
    errors = []
    for python in candidates:
        probe = subprocess.run([python, "-c", "import keras"], env=env, capture_output=True,
                               text=True, timeout=120)
        if probe.returncode == 0:
            return python, None
        errors.append(f"{python}: {probe.stderr.strip().splitlines()[-1:]}")
    return None, f"keras cannot be imported ({'; '.join(errors)})"


def _job(tmp_path, name, model_path, x, preds, step=None, after=None):
    arrays = {"x": x}
    arrays.update({f"pred_{i}": p for i, p in enumerate(preds)})
    if step is not None:
        arrays["step_x"] = step[0]
        ys = step[1] if isinstance(step[1], list) else [step[1]]
        arrays.update({f"step_y_{i}": y for i, y in enumerate(ys)})
        arrays.update({f"after_step_{i}": p for i, p in enumerate(after)})
    data = str(tmp_path / f"{name}.npz")
    np.savez(data, **arrays)
    return {"path": model_path, "data": data}


def test_real_keras_loads_kerasx_files(tmp_path):
    """kerasx saves; real Keras loads, predicts the same and trains on from the same
    optimizer state (for the fixtures and for models built and trained in kerasx)."""
    python, reason = _keras_python()
    if python is None:
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    jobs = []
    for name in MODELS:
        path = fixture(f"{name}.keras")
        try:
            require_kerasx_support(path)
        except pytest.skip.Exception:
            continue
        data = np.load(fixture(f"{name}.npz"))
        model = kerasx.models.load_model(path)
        out = str(tmp_path / f"{name}.keras")
        model.save(out)
        preds = [data[f"pred_{i}"] for i in range(len(as_list(model.predict(data["x"][:1],
                                                                               verbose=0))))]
        step = after = None
        if "step_x" in data.files:
            step = (data["step_x"], step_targets(data))
            after = [data[f"after_step_{i}"] for i in range(len(preds))]
        jobs.append(_job(tmp_path, name, out, data["x"], preds, step, after))
    opt_data = np.load(fixture("optimizers.npz"))
    for name in OPTIMIZERS:
        try:
            require_kerasx_support(fixture(f"opt_{name}.keras"))
        except pytest.skip.Exception:
            continue
        out = str(tmp_path / f"opt_{name}.keras")
        kerasx.models.load_model(fixture(f"opt_{name}.keras")).save(out)
        jobs.append(_job(tmp_path, f"opt_{name}", out, opt_data["x"], [opt_data[f"{name}/pred"]],
                         (opt_data["step_x"], opt_data["step_y"]),
                         [opt_data[f"{name}/after_step"]]))
    jobs.append(_native_job(tmp_path))
    policies_job, policies = _policies_job(tmp_path)
    jobs.append(policies_job)
    jobs_path = tmp_path / "jobs.json"
    jobs_path.write_text(json.dumps(jobs))
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
           "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, os.path.join(HERE, "keras_check.py"), str(jobs_path)],
                         env=env, capture_output=True, text=True, timeout=600)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULTS ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    results = json.loads(lines[-1][len("RESULTS "):])
    problems = []
    for path, result in results.items():
        name = os.path.basename(path)
        if "error" in result:
            problems.append(f"{name}: {result['error']}")
            continue
        if result["warnings"]:
            problems.append(f"{name}: Keras warned {result['warnings']}")
        if max(result["pred"]) > (POLICIES_TOL if name == "policies.keras" else TOL):
            problems.append(f"{name}: predictions differ by {max(result['pred'])}")
        if name == "policies.keras" and result["policies"] != policies:
            problems.append(f"{name}: Keras reads the policies {result['policies']}, kerasx "
                            f"saved {policies}")
        if max(result.get("after_step", [0.0])) > TOL:
            problems.append(f"{name}: after one more step, predictions differ by "
                            f"{max(result['after_step'])}")
    assert not problems, "\n".join(problems)


def _native_job(tmp_path):
    """A model built and trained in kerasx only, with what kerasx predicts before and
    after one more step."""
    kerasx.utils.set_random_seed(3)
    inputs = kerasx.Input(shape=(6,))
    hidden = kerasx.layers.Dense(5, activation="relu")(inputs)
    out = kerasx.layers.Dense(2)(kerasx.layers.BatchNormalization()(hidden))
    model = kerasx.Model(inputs, out, name="native")
    model.compile(optimizer=kerasx.optimizers.Adam(0.02), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "native.keras")
    model.save(path)
    pred = model.predict(x[:4], verbose=0)
    model.train_on_batch(x[:8], y[:8])
    return _job(tmp_path, "native", path, x[:4], [pred], (x[:8], y[:8]),
                [model.predict(x[:4], verbose=0)])



def _policies_job(tmp_path):
    """A model whose layers have other dtype policies than the default (float64, mixed
    where the backend has float16, int8-quantized), with its layers' policy names."""
    kerasx.utils.set_random_seed(4)
    half = kerasx.backends.current().name != "array_api_strict"
    inputs = kerasx.Input(shape=(5,))
    wide = kerasx.layers.Dense(4, dtype="float64", name="wide")(inputs)
    mixed = kerasx.layers.Dense(4, dtype="mixed_float16" if half else
                                kerasx.DTypePolicy("float32"), name="mixed")(wide)
    quantized = kerasx.layers.Dense(3, name="quantized")
    model = kerasx.Model(inputs, quantized(mixed), name="policies")
    quantized.quantize("int8")
    path = str(tmp_path / "policies.keras")
    model.save(path)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    policies = {layer.name: layer.dtype_policy.name for layer in model.layers}
    pred = kerasx.ops.convert_to_numpy(model.predict(x, verbose=0)).astype("float32")
    return _job(tmp_path, "policies", path, x, [pred]), policies
