"""Dtype policies: names, the global policy, get/serialize/deserialize, policy maps,
and the policy a layer takes (Keras 3 semantics)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import dtype_policies, layers
from kerasx.backends import current
from kerasx.dtype_policies import DTypePolicy, DTypePolicyMap, FloatDTypePolicy

needs_float16 = pytest.mark.skipif(
    not hasattr(current().xp, "float16"),
    reason="the backend has no float16 (not an array API dtype; array_api_strict lacks it)")


@pytest.fixture(autouse=True)
def _default_policy():
    """Each test starts, and leaves, with no global policy set (layers follow floatx)."""
    from kerasx.dtype_policies.dtype_policy import reset_dtype_policy

    reset_dtype_policy()
    yield
    reset_dtype_policy()


@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("float64", "float64", "float64"),
    ("float16", "float16", "float16"), ("bfloat16", "bfloat16", "bfloat16"),
    ("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
])
def test_policy_names(name, compute, variable):
    policy = DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert policy.quantization_mode is None
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert policy == FloatDTypePolicy(name) and policy != DTypePolicy("float64" if name ==
                                                                        "float32" else "float32")


@pytest.mark.parametrize("name", ["mixed_float32", "float", "float8", "half"])
def test_unknown_policy_names_are_refused(name):
    with pytest.raises(ValueError, match="mixed_float16"):
        DTypePolicy(name)


def test_policy_name_must_be_a_string():
    with pytest.raises(TypeError, match="must be a string"):
        DTypePolicy(np.float32)
    with pytest.raises(ValueError, match="Cannot interpret"):
        dtype_policies.get(3)


def test_get_accepts_names_dtypes_configs_and_policies():
    assert dtype_policies.get(None) == DTypePolicy("float32")
    assert dtype_policies.get("mixed_float16").compute_dtype == "float16"
    assert dtype_policies.get(np.float64).name == "float64"
    policy = DTypePolicy("mixed_bfloat16")
    assert dtype_policies.get(policy) is policy
    config = {"module": "keras", "class_name": "DTypePolicy",
              "config": {"name": "mixed_float16"}, "registered_name": None}
    assert dtype_policies.get(config) == DTypePolicy("mixed_float16")


def test_serialize_writes_keras_config_and_round_trips():
    config = dtype_policies.serialize(DTypePolicy("mixed_float16"))
    assert config == {"module": "keras", "class_name": "DTypePolicy",
                      "config": {"name": "mixed_float16"}, "registered_name": None}
    assert dtype_policies.deserialize(config) == DTypePolicy("mixed_float16")
    alias = dtype_policies.deserialize({"class_name": "FloatDTypePolicy",
                                        "config": {"name": "float16"}})
    assert type(alias) is FloatDTypePolicy and alias == DTypePolicy("float16")


@needs_float16
def test_global_policy_applies_to_layers_created_afterwards():
    before = layers.Dense(2)
    keras.mixed_precision.set_global_policy("mixed_float16")
    assert keras.mixed_precision.global_policy() == DTypePolicy("mixed_float16")
    assert keras.config.dtype_policy() is keras.mixed_precision.dtype_policy()
    after = layers.Dense(2)
    own = layers.Dense(2, dtype="float32")
    assert before.dtype_policy.name == "float32"
    assert (after.dtype_policy.name, after.dtype, after.compute_dtype) == (
        "mixed_float16", "float32", "float16")
    assert (own.dtype_policy.name, own.compute_dtype) == ("float32", "float32")


def test_global_policy_follows_floatx_until_set():
    keras.config.set_floatx("float64")
    assert keras.config.dtype_policy().name == "float64"
    assert layers.Dense(2).dtype == "float64"


def test_set_global_policy_refuses_other_values():
    with pytest.raises(ValueError, match="DTypePolicy instance"):
        keras.mixed_precision.set_global_policy(3)
    with pytest.raises(ValueError, match="Cannot convert"):
        keras.config.set_dtype_policy("mixed_half")


def test_policy_aliases():
    assert keras.mixed_precision.Policy is DTypePolicy
    assert keras.DTypePolicy is DTypePolicy and keras.FloatDTypePolicy is FloatDTypePolicy


def test_policy_map_lookup():
    policy_map = DTypePolicyMap(default_policy="float32")
    policy_map["encoder/dense"] = "mixed_float16"
    policy_map["encoder/.*"] = DTypePolicy("float16")
    assert policy_map["encoder/dense"].name == "mixed_float16"
    assert policy_map["encoder/attention"].name == "float16"
    assert policy_map["decoder"].name == "float32"
    assert (policy_map.name, policy_map.compute_dtype) == ("map_float32", "float32")
    policy_map["encoder/att.*"] = "float64"
    with pytest.raises(ValueError, match="matches several"):
        policy_map["encoder/attention"]
    with pytest.raises(ValueError, match="already in"):
        policy_map["decoder"] = "float32"
        policy_map["decoder"] = "float16"
    with pytest.raises(ValueError, match="cannot be a DTypePolicyMap"):
        DTypePolicyMap(default_policy=policy_map)


def test_policy_map_round_trip():
    policy_map = DTypePolicyMap(default_policy="mixed_float16",
                                policy_map={"head": "float32"})
    config = dtype_policies.serialize(policy_map)
    assert config["module"] == "keras.dtype_policies"
    assert config["class_name"] == "DTypePolicyMap"
    restored = dtype_policies.deserialize(config)
    assert restored == policy_map and restored["head"].name == "float32"
    assert restored.compute_dtype == "float16"


def test_layer_takes_policy_objects_and_names():
    layer = layers.Dense(2, dtype=DTypePolicy("float64"))
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == ("float64",) * 3
    assert layers.Dense(2, dtype="float64").dtype_policy == DTypePolicy("float64")
    with pytest.raises(ValueError, match="Cannot interpret"):
        layers.Dense(2, dtype=3.5)


def test_layer_config_holds_the_policy_config_as_keras_writes_it():
    def policy(name):
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
                "registered_name": None}

    assert layers.Dense(2).get_config()["dtype"] == policy("float32")
    assert layers.Dense(2, dtype="float64").get_config()["dtype"] == policy("float64")
    assert layers.InputLayer(shape=(2,)).get_config()["dtype"] == "float32"  # a name, as Keras
    # configs holding the name (older kerasx files, Keras 2) still load
    config = dict(layers.Dense(2).get_config(), dtype="float64")
    assert layers.Dense.from_config(config).dtype_policy == DTypePolicy("float64")
