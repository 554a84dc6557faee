"""Models saved by Keras 3.15.1 load in kerasx as Keras reloads them (predictions,
optimizer state, compile state, one more training step), and the files kerasx writes for
the same models have Keras's structure (`config.json`, `metadata.json`, the HDF5 layout of
the weights), so that Keras and tools reading the archive take them.

Reference values: tests/golden/family_fuzz_saving.py (Keras 3.15.1, JAX backend)."""

import json
import os
import zipfile

import numpy as np
import pytest

import kerasx
from tests.golden.loader import GOLDEN_DIR, load_cases
from tests.golden.fuzz_saving_common import fuzz_model_class, h5_layout

h5py = pytest.importorskip("h5py")

CASES = {case["name"]: case for case in load_cases("fuzz_saving")}
COMPILED = [name for name, case in CASES.items() if "eval" in case]


FuzzModel = fuzz_model_class(kerasx)


def keras_file(name, suffix=".keras"):
    return os.path.join(GOLDEN_DIR, f"fuzz_saving_{name}{suffix}")


def inputs_targets(case):
    arrays = case["arrays"]
    xs = [arrays[f"x{i}"] for i in range(len([k for k in arrays if k[0] == "x"]))]
    ys = [arrays[f"y{i}"] for i in range(len([k for k in arrays if k[0] == "y"]))]
    x = xs if len(xs) > 1 else xs[0]
    if case["output_names"]:
        return x, dict(zip(case["output_names"], ys))
    return x, (ys[0] if ys else None)


def predictions(model, case):
    x, _ = inputs_targets(case)
    out = model.predict(x, verbose=0)
    if isinstance(out, dict):
        return [np.asarray(out[k]) for k in case["output_names"]]
    return [np.asarray(out)]


def numbered(arrays, prefix):
    return [arrays[f"{prefix}{i}"] for i in range(len([k for k in arrays
                                                       if k.startswith(prefix)]))]


def assert_predictions(model, case):
    got = predictions(model, case)
    want = numbered(case["arrays"], "pred_")
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_keras_file_loads_with_keras_predictions_and_weights(name):
    case = CASES[name]
    model = kerasx.saving.load_model(keras_file(name))
    assert_predictions(model, case)


@pytest.mark.parametrize("name", COMPILED)
def test_keras_file_restores_optimizer_and_compile_state(name):
    case = CASES[name]
    model = kerasx.saving.load_model(keras_file(name))
    state = model.optimizer.variables
    if case["model"] != "subclassed":
        # Keras's reload builds a subclassed model's layers outside its name scope
        # ("sgd/dense_kernel_momentum" where the saved model had
        # "sgd/fuzz_model_dense_kernel_momentum"); kerasx keeps the model's name
        assert [v.path for v in state] == case["optimizer_names"]
    for got, want in zip(state, numbered(case["arrays"], "opt_"), strict=True):
        np.testing.assert_array_equal(kerasx.ops.convert_to_numpy(got), want)
    x, y = inputs_targets(case)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == sorted(case["eval"])
    for key, want in case["eval"].items():
        np.testing.assert_allclose(float(logs[key]), want, rtol=1e-5, atol=1e-6)
    # Keras 3.15.1 lists "compile_metrics" even for `metrics=[]` (the subclassed case)
    assert model.metrics_names == case["metrics_names"]
    model.train_on_batch(x, y)
    for got, want in zip(model.get_weights(), numbered(case["arrays"], "w1_"), strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_keras_to_json_rebuilds_the_model(name):
    case = CASES[name]
    model = kerasx.models.model_from_json(case["json"])
    model.load_weights(keras_file(name, ".weights.h5" if case["weights_file"] else ".keras"))
    assert_predictions(model, case)


def comparable(config):
    """A config with the differences kerasx keeps on purpose taken out: no
    `shared_object_id` (object ids of one Keras process), the module of this file's
    registered class, node kwargs `mask` / `training` (Keras records the defaults and
    mask tensors as graph nodes; kerasx records what the call was given)."""
    if isinstance(config, dict):
        out = {k: comparable(v) for k, v in config.items() if k != "shared_object_id"}
        if str(out.get("registered_name")).startswith("fuzz_saving>"):
            out.pop("module")  # the module defining the class (Keras ran it as __main__)
        if "args" in out and isinstance(out.get("kwargs"), dict):
            out["kwargs"] = {k: v for k, v in out["kwargs"].items()
                             if k not in ("mask", "training")}
        return out
    if isinstance(config, list):
        return [comparable(v) for v in config]
    return config


@pytest.mark.parametrize("name", list(CASES))
def test_written_archive_has_keras_structure(name, tmp_path):
    case = CASES[name]
    model = kerasx.saving.load_model(keras_file(name))
    path = str(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        layout = h5_layout(archive.read("model.weights.h5"))
    assert comparable(config) == comparable(json.loads(case["json"]))
    assert sorted(metadata) == case["metadata_keys"]
    assert layout == case["weights_layout"]
    model.save_weights(str(tmp_path / "model.weights.h5"))
    with open(tmp_path / "model.weights.h5", "rb") as f:
        assert h5_layout(f.read()) == case["weights_layout"]


def test_shared_layer_calls_run_in_keras_order():
    """A BatchNormalization shared by two branches of different depths updates its moving
    statistics once per call; Keras 3.15.1 runs the call on `b` (the deeper branch's) first
    and the call on `a` last, so `a`'s batch statistics enter last (Keras gives the values
    of this formula)."""
    layers = kerasx.layers
    a, b = kerasx.Input((3,)), kerasx.Input((3,))
    bn = layers.BatchNormalization(momentum=0.5)
    branch_a = layers.Dense(2)(bn(a))
    branch_b = layers.Dense(2)(layers.Dense(2)(bn(b)))
    model = kerasx.Model([a, b], layers.Concatenate()([branch_a, branch_b]))
    model.compile(kerasx.optimizers.SGD(0.0), "mse")
    rng = np.random.default_rng(0)
    xa = rng.normal(size=(6, 3)).astype("float32")
    xb = (rng.normal(size=(6, 3)) * 2 + 3).astype("float32")
    model.train_on_batch([xa, xb], np.zeros((6, 4), "float32"))
    xa, xb = xa.astype("float64"), xb.astype("float64")
    mean = 0.5 * (0.5 * 0.0 + 0.5 * xb.mean(0)) + 0.5 * xa.mean(0)
    variance = 0.5 * (0.5 * 1.0 + 0.5 * xb.var(0)) + 0.5 * xa.var(0)
    np.testing.assert_allclose(kerasx.ops.convert_to_numpy(bn.moving_mean), mean, rtol=1e-5)
    np.testing.assert_allclose(kerasx.ops.convert_to_numpy(bn.moving_variance), variance,
                               rtol=1e-5)
