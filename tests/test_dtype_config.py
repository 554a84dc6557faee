"""Configs write and read the dtype policy as Keras 3.15.1 does.

`test_golden_dtype_configs` replays the `dtype_config` golden family (cases of
tests/golden/dtype_config_recipe.py): a layer's `get_config()["dtype"]` is Keras's
DTypePolicy config (`{"module": "keras", "class_name": "DTypePolicy", "config": {"name":
"float32"}, "registered_name": None}`, a quantized policy's or a policy map's) however its
dtype was given; `InputLayer`, `Discretization`, `SpatialDropout*` keep the dtype name, a
functional model writes none; `from_config` and `deserialize_keras_object` take a name, a
config dict or a policy, and make a plain policy from a plain policy's config.
"""

import json
import zipfile

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers
from kerasx.backends import current
from tests.backend_dtypes import has_dtype
from tests.golden import dtype_config_recipe as recipe
from tests.golden.loader import load_cases

GOLDEN = load_cases("dtype_config")

# Keras raises where kerasx writes the config: a layer class without its own `get_config`
# (Identity) given a DTypePolicy object has no auto-config in Keras (the argument is not
# plain data) and its `get_config` raises NotImplementedError; kerasx writes the policy.
KERASX_WRITES = {"layer-Identity-policy:mixed_bfloat16"}
_HALF = ("float16", "bfloat16", "float8")
# cases that make a mixed or half-precision layer among others
_WITH_HALF = ("wrappers", "models", "global_policy", "policy_map", "saved_config")


# cases that make a bfloat16 layer (NumPy knows bfloat16 through ml_dtypes only)
_WITH_BFLOAT16 = ("saved_config",)


def _needs(case_name):
    """The reason the current backend cannot run a case, or None."""
    if current().name == "array_api_strict" and (
            any(h in case_name for h in _HALF) or case_name in _WITH_HALF):
        return "array_api_strict has no float16 / bfloat16 / float8"
    if ("bfloat16" in case_name or case_name in _WITH_BFLOAT16) and not has_dtype("bfloat16"):
        return "bfloat16 needs ml_dtypes, which is not installed"
    return None


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: c["name"])
def test_golden_dtype_configs(case, tmp_path):
    reason = _needs(case["name"])
    if reason:
        pytest.skip(reason)
    keras.utils.clear_session()
    got = json.loads(json.dumps(recipe.run(keras, case["name"], str(tmp_path))))
    if case["name"] in KERASX_WRITES:
        assert case["keras"] == {"error": "NotImplementedError"}
        assert got["out"]["class_name"] == "DTypePolicy"
        return
    assert got == case["keras"]


def test_configs_with_dtype_names_still_load(tmp_path):
    """Configs and `.keras` files that hold a layer's dtype as a name (as kerasx wrote
    them before, and Keras 2) load, and are written back as Keras 3 writes them."""
    config = keras.saving.serialize_keras_object(layers.Dense(2, name="d"))
    config["config"]["dtype"] = "float64"
    layer = keras.saving.deserialize_keras_object(config)
    assert layer.dtype_policy == keras.DTypePolicy("float64") and layer.dtype == "float64"
    assert layer.get_config()["dtype"]["config"] == {"name": "float64"}
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, dtype="float64", name="d")])
    path = str(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    saved = json.loads(members["config.json"])
    dense = saved["config"]["layers"][1]["config"]
    assert dense["dtype"]["config"] == {"name": "float64"}
    saved["config"]["dtype"] = "float32"
    dense["dtype"] = "float64"
    old = str(tmp_path / "names.keras")
    with zipfile.ZipFile(old, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, json.dumps(saved) if name == "config.json" else data)
    loaded = keras.saving.load_model(old)
    assert loaded.get_layer("d").dtype_policy == keras.DTypePolicy("float64")
    x = np.ones((2, 3))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)),
                                  keras.ops.convert_to_numpy(model(x)))
