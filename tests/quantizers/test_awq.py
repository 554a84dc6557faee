"""AWQ: its config and dtype policy, the layers quantized as real Keras 3 quantizes
them (the `awq_*` cases of the `gptq` golden family), the scale search's properties,
and a model calibrated and saved."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.dtype_policies import AWQDTypePolicy
from kerasx.quantizers import AWQConfig
from kerasx.quantizers.awq import AWQ, awq_quantize_matrix, awq_search_optimal_scales
from tests.conftest import to_numpy
from tests.quantizers._golden import load_cases

CASES = {case["name"]: case for case in load_cases("gptq") if case["name"].startswith("awq_")}


def test_config_defaults_validation_and_round_trip():
    config = AWQConfig(dataset=["text"], tokenizer=None)
    assert (config.mode, config.weight_bits, config.num_samples, config.sequence_length,
            config.group_size, config.num_grid_points) == ("awq", 4, 128, 512, 128, 20)
    assert config.dtype_policy_string() == "awq/4/128"
    restored = keras.quantizers.deserialize(keras.quantizers.serialize(config))
    assert isinstance(restored, AWQConfig) and restored.get_config() == config.get_config()
    for kwargs, message in [
            ({"weight_bits": 8}, "AWQ only supports 4-bit quantization. Received weight_bits=8."),
            ({"num_samples": 0}, "num_samples must be a positive integer."),
            ({"sequence_length": 0}, "sequence_length must be a positive integer."),
            ({"group_size": 0}, "Supported values are -1 (per-channel) or a positive integer"),
            ({"num_grid_points": 0}, "num_grid_points must be a positive integer.")]:
        with pytest.raises(ValueError) as info:
            AWQConfig(dataset=None, tokenizer=None, **kwargs)
        assert message in str(info.value)


def test_policy():
    policy = keras.dtype_policies.get("awq/4/64_from_float32")
    assert isinstance(policy, AWQDTypePolicy)
    assert (policy.quantization_mode, policy.weight_bits, policy.group_size) == ("awq", 4, 64)
    assert policy.get_config() == {"mode": "awq/4/64", "source_name": "float32"}
    with pytest.raises(ValueError, match="AWQ only supports 4-bit quantization, but got 3"):
        AWQDTypePolicy("awq/3/64", "float32")
    with pytest.raises(ValueError, match="Expected format 'awq/<weight_bits>/<group_size>'"):
        AWQDTypePolicy("awq/4", "float32")


def _quantized_layer(case):
    arrays = case["arrays"]
    layer = getattr(keras.layers, case["class"])(**case["config"])
    layer.build((None,) + tuple(case["input_shape"]))
    layer.set_weights([arrays[f"weight_{i}"] for i in range(len(layer.weights))])
    config = AWQConfig(dataset=None, tokenizer=None, **case["awq"])
    layer.quantize("awq", config=config)
    state = AWQ(layer, config)
    for key in ("batch_0", "batch_1"):
        state.update_activation_magnitudes(keras.ops.reshape(arrays[key], (-1, state.rows)))
    magnitudes = to_numpy(state.activation_magnitudes)
    state.quantize_layer()
    return layer, magnitudes


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_quantized_as_keras(name):
    case = CASES[name]
    arrays = case["arrays"]
    layer, magnitudes = _quantized_layer(case)
    np.testing.assert_allclose(magnitudes, arrays["activation_magnitudes"], rtol=1e-6)
    assert layer.dtype_policy.name == case["policy"]
    assert [v.name for v in layer.weights] == case["saved_names"]
    np.testing.assert_allclose(to_numpy(layer.awq_scales), arrays["awq_scales"], rtol=1e-5)
    levels, expected = to_numpy(layer.quantized_kernel), arrays["quantized_kernel"]
    diff = np.abs(np.stack([levels & 15, levels >> 4]).astype(int)
                  - np.stack([expected & 15, expected >> 4]).astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() <= 0.02  # a float32 rounding tie at most
    np.testing.assert_allclose(to_numpy(layer.kernel_scale), arrays["kernel_scale"], rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_array_equal(to_numpy(layer.kernel_zero), arrays["kernel_zero"])
    np.testing.assert_array_equal(to_numpy(layer.g_idx), arrays["g_idx"])
    y = arrays["y"]
    np.testing.assert_allclose(to_numpy(layer(arrays["x"])), y, rtol=1e-3,
                               atol=2e-3 * np.abs(y).max())
    config = layer.get_config()
    assert config["dtype"] == case["layer_config"]["dtype"]
    assert config["quantization_config"] == case["layer_config"]["quantization_config"]


def test_search_beats_plain_rounding_and_never_loses():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(8, 32)).astype(np.float32)
    magnitudes = np.exp(rng.normal(size=32) * 1.5).astype(np.float32)  # a few salient rows
    scales = to_numpy(awq_search_optimal_scales(weights, magnitudes, group_size=-1))

    q, scale, zero, awq_scales, _ = (to_numpy(t) for t in awq_quantize_matrix(
        weights, magnitudes, group_size=-1))
    restored = scale * (q - zero) / awq_scales
    np.testing.assert_array_equal(awq_scales, scales)
    plain_q, plain_scale, plain_zero, ones, _ = (to_numpy(t) for t in awq_quantize_matrix(
        weights, np.ones(32, np.float32), group_size=-1))
    np.testing.assert_array_equal(ones, np.ones(32))  # equal magnitudes: no rescaling
    plain = plain_scale * (plain_q - plain_zero)
    weighted = lambda w: np.mean((weights - w) ** 2 * magnitudes ** 2)  # noqa: E731
    assert weighted(restored) < weighted(plain)


def test_model_calibration_and_round_trip(tmp_path):
    class Tokenizer:
        def tokenize(self, text):
            return keras.ops.convert_to_tensor([ord(c) for c in text], dtype="int32")

    embedding = keras.layers.Embedding(130, 8)
    first, second = keras.layers.Dense(16, activation="relu"), keras.layers.Dense(4)
    model = keras.Sequential([keras.Input((12,), dtype="int32"), embedding, first, second])
    tokens = np.random.default_rng(1).integers(0, 130, size=(2, 12)).astype(np.int32)
    before = to_numpy(model(tokens))
    config = AWQConfig(dataset=["some text to calibrate on"], tokenizer=Tokenizer(),
                       num_samples=2, sequence_length=12, group_size=4,
                       quantization_layer_structure={"pre_block_layers": [embedding],
                                                     "sequential_blocks": [first, second]})
    with pytest.warns(UserWarning, match="Embedding"):
        model.quantize("awq", config=config)
    assert first.is_awq_calibrated and second.is_awq_calibrated
    assert not np.all(to_numpy(first.awq_scales) == 1)  # the magnitudes were collected
    after = to_numpy(model(tokens))
    assert np.allclose(after, before, atol=0.3 * np.abs(before).max())
    path = str(tmp_path / "awq.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.layers[1].dtype_policy.name == "awq/4/4_from_float32"
    np.testing.assert_array_equal(to_numpy(loaded(tokens)), after)
    with pytest.raises(ValueError, match="AWQ quantization requires a dataset and tokenizer."):
        fresh = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        fresh.quantize("awq", config=AWQConfig(dataset=None, tokenizer=None,
                                               quantization_layer_structure={}))
