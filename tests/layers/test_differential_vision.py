"""Random vision models replayed against Keras 3.15.1.

The golden family ``fuzz_vision`` holds small functional models that a seeded grammar drew
from convolution, pooling, reshaping, normalization, activation, merging and Dense layers,
with Keras's forward outputs, shapes, parameter counts and the weights after two training
steps. Each case is rebuilt here from Keras's JSON and must give the same numbers.
"""

import json

import numpy as np
import pytest

import kerasx
from kerasx import ops
from tests.golden.loader import case_ids, load_cases

# Keys whose values are known to be written differently (names are numbered per process).
CONFIG_KEYS_SKIPPED = {"name"}


def _config_differences(keras_layers, kerasx_layers):
    out = []
    for theirs, ours in zip(keras_layers, kerasx_layers):
        a, b = theirs["config"], json.loads(json.dumps(ours["config"]))
        for key in sorted(set(a) | set(b)):
            if key in CONFIG_KEYS_SKIPPED:
                continue
            if key not in a or key not in b or a[key] != b[key]:
                out.append(f"config {theirs['class_name']}.{key}: keras "
                           f"{a.get(key, '<absent>')!r} kerasx {b.get(key, '<absent>')!r}")
    return out


def _close(label, ours, theirs, rtol, atol):
    ours = np.asarray(ours)
    if ours.shape != theirs.shape:
        return [f"{label}: shape {ours.shape} != keras {theirs.shape}"]
    if not np.allclose(ours, theirs, rtol=rtol, atol=atol):
        err = np.max(np.abs(ours - theirs))
        return [f"{label}: max abs difference {err:.3g}"]
    return []


def replay_case(case):
    """Every way kerasx differs from Keras on one case, as a list of strings."""
    arrays = case["arrays"]
    weights = [arrays[f"w{i}"] for i in range(case["n_weights"])]
    keras_config = json.loads(case["model_json"])
    model = kerasx.models.model_from_json(case["model_json"])
    diffs = []
    shape = list(model.outputs[0].shape[1:])
    if shape != case["output_shape"]:
        diffs.append(f"output shape {shape} keras {case['output_shape']}")
    if model.count_params() != case["count_params"]:
        diffs.append(f"count_params {model.count_params()} keras {case['count_params']}")
    diffs += _config_differences(keras_config["config"]["layers"], model.get_config()["layers"])
    type(model).from_config(model.get_config())
    model.set_weights(weights)
    for mode, training in (("infer", False), ("train", True)):
        out = ops.convert_to_numpy(model(arrays["x"], training=training))
        diffs += _close(f"out_{mode}", out, arrays[f"out_{mode}"], 1e-4, 1e-5)
    loss = case["loss"]
    loss = kerasx.losses.deserialize(loss) if isinstance(loss, dict) else loss
    model.compile(optimizer=kerasx.optimizers.deserialize(case["optimizer"]), loss=loss)
    losses = [float(model.train_on_batch(arrays["x"], arrays["y"])) for _ in range(2)]
    diffs += _close("losses", losses, np.asarray(case["losses"]), 1e-4, 1e-5)
    for i, w in enumerate(model.get_weights()):
        diffs += _close(f"trained{i}", w, arrays[f"trained{i}"], 1e-3, 1e-4)
    return diffs


CASES = load_cases("fuzz_vision")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_random_model_matches_keras(case):
    kerasx.utils.clear_session()
    assert replay_case(case) == []
