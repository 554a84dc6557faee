"""GPTQ against real Keras 3 (the `gptq` golden family): the Hessian, the stored levels,
scales, zero points and group indices, and the outputs of single layers and of models
calibrated end to end."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.quantizers import GPTQConfig
from kerasx.quantizers.gptq import GPTQ
from tests.conftest import to_numpy
from tests.quantizers._golden import load_cases

CASES = {case["name"]: case for case in load_cases("gptq")}
LAYER_CASES = [name for name, case in CASES.items()
               if case["class"] != "Sequential" and "gptq" in case]
MODEL_CASES = [name for name, case in CASES.items() if case["class"] == "Sequential"]


def _quantized_layer(case):
    arrays = case["arrays"]
    layer = getattr(keras.layers, case["class"])(**case["config"])
    layer.build((None,) + tuple(case["input_shape"]))
    layer.set_weights([arrays[f"weight_{i}"] for i in range(len(layer.weights))])
    config = GPTQConfig(dataset=None, tokenizer=None, **case["gptq"])
    layer.quantize("gptq", config=config)
    state = GPTQ(layer, config)
    for key in ("batch_0", "batch_1"):
        batch = arrays[key]
        state.update_hessian_with_batch(keras.ops.reshape(batch, (-1, state.rows)))
    hessian = to_numpy(state.hessian)
    state.quantize_and_correct_layer(blocksize=case["blocksize"])
    return layer, hessian


def _assert_levels_match(levels, expected, bits, flipped=0.02):
    """The stored levels equal Keras's but for at most a fraction `flipped` one level
    apart: float32 rounding (JAX's against the array library's) may flip a level near
    a rounding boundary, and GPTQ passes that difference on to later rows."""
    if bits == 4:  # two levels per byte
        levels = np.stack([levels & 15, levels >> 4])
        expected = np.stack([expected & 15, expected >> 4])
    diff = np.abs(levels.astype(np.int32) - expected.astype(np.int32))
    assert diff.max() <= 1
    assert (diff > 0).mean() <= flipped


@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_quantized_as_keras(name):
    case = CASES[name]
    arrays = case["arrays"]
    layer, hessian = _quantized_layer(case)
    np.testing.assert_allclose(hessian, arrays["hessian"], rtol=1e-5, atol=1e-5)
    assert layer.dtype_policy.name == case["policy"]
    assert [v.name for v in layer.weights] == case["saved_names"]
    bits = case["gptq"].get("weight_bits", 4)
    _assert_levels_match(to_numpy(layer.quantized_kernel), arrays["quantized_kernel"], bits)
    np.testing.assert_allclose(to_numpy(layer.kernel_scale), arrays["kernel_scale"],
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(to_numpy(layer.kernel_zero), arrays["kernel_zero"])
    np.testing.assert_array_equal(to_numpy(layer.g_idx), arrays["g_idx"])
    y = to_numpy(layer(arrays["x"]))
    np.testing.assert_allclose(y, arrays["y"], rtol=1e-3, atol=1e-3 * np.abs(arrays["y"]).max())


@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_config_as_keras(name):
    case = CASES[name]
    layer, _ = _quantized_layer(case)
    config = layer.get_config()
    expected = case["layer_config"]
    for key in ("dtype", "quantization_config", "gptq_unpacked_column_size"):
        assert config.get(key) == expected.get(key), key


class CharTokenizer:
    def tokenize(self, text):
        return keras.ops.convert_to_tensor(
            [[ord(c) - 96 if "a" <= c <= "z" else 0 for c in text]], dtype="int32")


@pytest.mark.parametrize("name", MODEL_CASES)
def test_model_calibrated_as_keras(name, monkeypatch):
    case = CASES[name]
    arrays = case["arrays"]
    length, vocab = case["length"], case["vocab"]
    embedding = keras.layers.Embedding(vocab, 8)
    first, second = keras.layers.Dense(6, activation="relu"), keras.layers.Dense(5)
    model = keras.Sequential([keras.Input((length,), dtype="int32"), embedding, first, second])
    model.set_weights([arrays[f"weight_{i}"] for i in range(len(model.weights))])
    np.testing.assert_allclose(to_numpy(model(arrays["tokens"])), arrays["before"], rtol=1e-5,
                               atol=1e-5)
    dataset = [case["text"]] if case["text"] else [arrays["dataset"]]
    config = GPTQConfig(dataset=dataset, tokenizer=CharTokenizer(), num_samples=1,
                        sequence_length=length,
                        quantization_layer_structure={"pre_block_layers": [embedding],
                                                      "sequential_blocks": [first, second]},
                        **case["gptq"])
    hessians = []
    original = GPTQ.quantize_and_correct_layer

    def recorded(state, blocksize=128):
        hessians.append(to_numpy(state.hessian))
        return original(state, blocksize)

    monkeypatch.setattr(GPTQ, "quantize_and_correct_layer", recorded)
    with pytest.warns(UserWarning, match="Embedding"):
        model.quantize("gptq", config=config)
    # the first block sees the embedded window, the second the quantized first block's
    # outputs (whose few flipped levels move it a little)
    np.testing.assert_allclose(hessians[0], arrays["layer0_hessian"], rtol=1e-5, atol=1e-5)
    scale = np.abs(arrays["layer1_hessian"]).max()
    np.testing.assert_allclose(hessians[1], arrays["layer1_hessian"], atol=0.05 * scale)
    for i, layer in enumerate((first, second)):
        assert layer.is_gptq_calibrated
        # one window through two layers: the second layer's inputs carry the first
        # layer's flipped levels, so a few more levels may differ than in one layer
        _assert_levels_match(to_numpy(layer.quantized_kernel),
                             arrays[f"layer{i}_quantized_kernel"], 4, flipped=0.2)
        np.testing.assert_allclose(to_numpy(layer.kernel_scale), arrays[f"layer{i}_kernel_scale"],
                                   rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(to_numpy(layer.g_idx), arrays[f"layer{i}_g_idx"])
    # the output is much closer to Keras's quantized model than that is to the float one
    after, before = arrays["after"], arrays["before"]
    ours = to_numpy(model(arrays["tokens"]))
    assert np.linalg.norm(ours - after) <= 0.5 * np.linalg.norm(after - before)

